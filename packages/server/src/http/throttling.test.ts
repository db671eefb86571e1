import { afterEach, describe, expect, test } from 'vitest';
import { createApp } from '../app.js';
import { createPasswordHasher } from '../auth/passwords.js';
import { createTestContext, TEST_SIGNING_KEY, type TestContext } from '../testing/test-app.js';

let ctx: TestContext;
afterEach(() => ctx.close());

const ATTACKER = '203.0.113.7';
const OWNER = '198.51.100.20';

const login = (
  username: string,
  password: string,
  remoteAddress = ATTACKER,
  headers: Record<string, string> = {},
) =>
  ctx.app.inject({
    method: 'POST',
    url: '/api/token/',
    remoteAddress,
    headers,
    payload: { username, password },
  });

async function setUp(env: Record<string, string> = {}) {
  ctx = await createTestContext(env);
  await ctx.createUser({ username: 'user1', email: 'user1@example.com' });
}

describe('failed logins: growing delays per account', () => {
  test('five free failures, then 429 with Retry-After doubling; the delay passes', async () => {
    await setUp();
    for (let i = 0; i < 6; i++)
      expect((await login('user1', 'wrong')).statusCode, `failure ${i + 1}`).toBe(401);
    const blocked = await login('user1', 'wrong');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['retry-after']).toBe('1');
    expect(blocked.json()).toEqual({ detail: 'Request was throttled. Expected available in 1 second.' });
    // Hammering during a block changes nothing: it is refused before its password is looked at.
    expect((await login('user1', 'wrong')).headers['retry-after']).toBe('1');
    ctx.clock.advance(1);
    // The next attempt is checked (a seventh failure), and sets the next delay: 2 s.
    expect((await login('user1', 'wrong')).statusCode).toBe(401);
    expect((await login('user1', 'password1')).headers['retry-after']).toBe('2');
    ctx.clock.advance(2);
    expect((await login('user1', 'password1')).statusCode).toBe(200);
    // Success clears the account's counter.
    expect((await login('user1', 'wrong')).statusCode).toBe(401);
  });

  test('while an account is blocked, a right and a wrong guess get the same answer and write the same', async () => {
    await setUp();
    for (let i = 0; i < 10; i++) await login('user1', 'wrong');
    const failures = () =>
      ctx.rows.all('select key, failures, blocked_until from login_failures order by key');
    const before = await failures();
    const right = await login('user1', 'password1');
    const afterRight = await failures();
    const wrong = await login('user1', 'wrong');
    const afterWrong = await failures();
    expect([right.statusCode, right.headers['retry-after'], right.body]).toEqual([
      wrong.statusCode,
      wrong.headers['retry-after'],
      wrong.body,
    ]);
    expect(right.statusCode).toBe(429);
    // Neither wrote anything: the block did not move, and no count changed.
    expect(afterRight).toEqual(before);
    expect(afterWrong).toEqual(before);
  });

  test('20 parallel guesses: no more are checked than the free attempts and the first delayed one', async () => {
    await setUp();
    const answers = await Promise.all(Array.from({ length: 20 }, () => login('user1', 'wrong')));
    const statuses = answers.map((answer) => answer.statusCode);
    expect(statuses.filter((status) => status === 401)).toHaveLength(6);
    expect(statuses.filter((status) => status === 429)).toHaveLength(14);
  });

  test('one bucket per account: guesses by username and by email add up', async () => {
    await setUp();
    for (let i = 0; i < 3; i++) await login('user1', 'wrong');
    for (let i = 0; i < 3; i++) await login('user1@example.com', 'wrong');
    expect((await login('USER1', 'password1')).statusCode).toBe(429);
  });

  test('an unknown account is throttled exactly like a real one', async () => {
    await setUp();
    const answers = [];
    for (const username of ['user1', 'nobody']) {
      const seen = [];
      for (let i = 0; i < 8; i++) {
        const response = await login(username, 'wrong');
        seen.push([response.statusCode, response.headers['retry-after'] ?? null, response.body]);
      }
      answers.push(seen);
    }
    expect(answers[0]).toEqual(answers[1]);
  });

  test('the owner still gets in from a device they used before; a new device waits out the delay', async () => {
    await setUp();
    expect((await login('user1', 'password1', OWNER)).statusCode).toBe(200);
    for (let i = 0; i < 10; i++) await login('user1', 'wrong');
    expect((await login('user1', 'password1', ATTACKER)).statusCode).toBe(429);
    expect((await login('user1', 'password1', OWNER)).statusCode).toBe(200);
    // A wrong password from the known device is still refused as throttled, not as wrong, and counts
    // against that address, so someone sharing it cannot guess on without bound.
    const ipFailures = async () =>
      (await ctx.rows.all(`select failures from login_failures where key = 'ip:${OWNER}'`))[0]?.['failures'];
    const before = Number((await ipFailures()) ?? 0);
    expect((await login('user1', 'wrong', OWNER)).statusCode).toBe(429);
    expect(Number(await ipFailures())).toBe(before + 1);
    const newcomer = await login('user1', 'password1', '192.0.2.99');
    expect(newcomer.statusCode).toBe(429);
    ctx.clock.advance(Number(newcomer.headers['retry-after']));
    expect((await login('user1', 'password1', '192.0.2.99')).statusCode).toBe(200);
  });

  test('delays are capped at 15 minutes: no permanent lockout', async () => {
    await setUp();
    for (let i = 0; i < 30; i++) {
      await login('user1', 'wrong');
      ctx.clock.advance(901);
    }
    ctx.clock.advance(901);
    expect((await login('user1', 'password1')).statusCode).toBe(200);
  }, 60_000);
});

describe('failed logins: per client IP', () => {
  test('fifty free failures across any accounts, then the IP waits; other IPs are unaffected', async () => {
    await setUp();
    for (let i = 0; i < 51; i++) await login(`guess${i}`, 'wrong');
    const blocked = await login('user1', 'password1');
    expect(blocked.statusCode).toBe(429);
    expect((await login('user1', 'password1', OWNER)).statusCode).toBe(200);
  }, 60_000);

  test('rotating X-Forwarded-For does not reset the counter unless the proxy is trusted', async () => {
    await setUp();
    for (let i = 0; i < 7; i++) await login('user1', 'wrong', ATTACKER, { 'x-forwarded-for': `10.0.0.${i}` });
    expect((await login('user1', 'password1', ATTACKER, { 'x-forwarded-for': '10.9.9.9' })).statusCode).toBe(
      429,
    );
    await ctx.close();

    await setUp({ GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1' });
    expect((await login('user1', 'password1', '127.0.0.1', { 'x-forwarded-for': OWNER })).statusCode).toBe(
      200,
    );
    for (let i = 0; i < 51; i++)
      await login(`guess${i}`, 'wrong', '127.0.0.1', { 'x-forwarded-for': ATTACKER });
    // The proxy's own address is not what is blocked: the client behind it is.
    expect((await login('user1', 'password1', '127.0.0.1', { 'x-forwarded-for': ATTACKER })).statusCode).toBe(
      429,
    );
    expect((await login('user1', 'password1', '127.0.0.1', { 'x-forwarded-for': OWNER })).statusCode).toBe(
      200,
    );
  }, 60_000);

  test('IPv6: the addresses of one /64 share one counter; an IPv4-mapped address counts as the IPv4', async () => {
    await setUp();
    // One host with a /64 has 2^64 addresses: a new one per attempt must not buy fifty new failures.
    for (let i = 0; i < 51; i++) await login(`guess${i}`, 'wrong', `2001:db8:0:1::${(i + 1).toString(16)}`);
    expect((await login('user1', 'password1', '2001:db8:0:1:ffff::1')).statusCode).toBe(429);
    expect((await login('user1', 'password1', '2001:db8:0:2::1')).statusCode).toBe(200);

    for (let i = 0; i < 51; i++) await login(`guess${i}`, 'wrong', `::ffff:${ATTACKER}`);
    expect((await login('user1', 'password1', ATTACKER)).statusCode).toBe(429);
  }, 60_000);

  test('counters live in the database: a second server process on the same store sees them', async () => {
    await setUp();
    const other = await createApp({
      config: ctx.config,
      store: ctx.store,
      hasher: createPasswordHasher(ctx.config.passwordHash),
      signingKey: TEST_SIGNING_KEY,
      clock: ctx.clock,
    });
    for (let i = 0; i < 7; i++) await login('user1', 'wrong');
    const response = await other.inject({
      method: 'POST',
      url: '/api/token/',
      remoteAddress: '192.0.2.50',
      payload: { username: 'user1', password: 'password1' },
    });
    expect(response.statusCode).toBe(429);
    await other.close();
  });

  test('a full hashing queue answers 503 with Retry-After at once; the rest are served', async () => {
    await setUp();
    // One hash at a time and two waiting: of ten logins at once, three are hashed and seven refused.
    const busy = await createApp({
      config: ctx.config,
      store: ctx.store,
      hasher: createPasswordHasher(ctx.config.passwordHash, 1, 2),
      signingKey: TEST_SIGNING_KEY,
      clock: ctx.clock,
    });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        busy.inject({
          method: 'POST',
          url: '/api/token/',
          remoteAddress: `192.0.2.${i + 1}`,
          payload: { username: `someone${i}`, password: 'wrong' },
        }),
      ),
    );
    await busy.close();
    const refused = answers.filter((answer) => answer.statusCode === 503);
    expect(answers.filter((answer) => answer.statusCode === 401)).toHaveLength(3);
    expect(refused).toHaveLength(7);
    expect(refused[0]?.headers['retry-after']).toBe('1');
    expect(refused[0]?.json()).toMatchObject({ code: 'service_unavailable' });
  });
});

describe('rate limits', () => {
  test('registration: 10 an hour per IP, then 429 with Retry-After', async () => {
    await setUp();
    const register = (i: number) =>
      ctx.app.inject({
        method: 'POST',
        url: '/api/users/',
        remoteAddress: ATTACKER,
        payload: { username: `new${i}`, password: 'tangerine-kayak-42' },
      });
    for (let i = 0; i < 10; i++) expect((await register(i)).statusCode).toBe(201);
    const limited = await register(10);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('3600');
    // Counted before the body is even read: malformed requests count too, and other routes are free.
    const malformed = await ctx.app.inject({
      method: 'POST',
      url: '/user/register',
      remoteAddress: ATTACKER,
      payload: 'x',
    });
    expect(malformed.statusCode).toBe(429);
    ctx.clock.advance(3600);
    expect((await register(11)).statusCode).toBe(201);
  }, 30_000);

  test('each limit is configurable; once refused, a client is refused again without a database write', async () => {
    await setUp({ GATEHOUSE_RATE_LIMIT_REGISTER: '2/h', GATEHOUSE_LOGIN_FAILURES_PER_IP: '3' });
    const register = (i: number) =>
      ctx.app.inject({
        method: 'POST',
        url: '/api/users/',
        remoteAddress: ATTACKER,
        payload: { username: `new${i}`, password: 'tangerine-kayak-42' },
      });
    expect((await register(0)).statusCode).toBe(201);
    expect((await register(1)).statusCode).toBe(201);
    expect((await register(2)).statusCode).toBe(429);
    const count = async () =>
      (await ctx.rows.all("select count from rate_limits where key like 'register:%'"))[0]?.['count'];
    const counted = await count();
    for (let i = 3; i < 20; i++) expect((await register(i)).statusCode).toBe(429);
    expect(await count()).toEqual(counted);
    ctx.clock.advance(3600);
    expect((await register(20)).statusCode).toBe(201);
    // Three failed logins from one address, then it waits.
    for (let i = 0; i < 4; i++) await login(`guess${i}`, 'wrong');
    expect((await login('user1', 'password1')).statusCode).toBe(429);
  }, 30_000);

  test('the mail, mailed-link and passkey routes are limited per IP too, each as configured', async () => {
    await setUp({
      GATEHOUSE_RATE_LIMIT_MAIL: '2/h',
      GATEHOUSE_RATE_LIMIT_LINK: '3/15m',
      GATEHOUSE_RATE_LIMIT_PASSKEY: '2/m',
      GATEHOUSE_PUBLIC_URL: 'https://auth.example.com',
    });
    const post = (url: string, payload: object) =>
      ctx.app.inject({ method: 'POST', url, remoteAddress: ATTACKER, payload });
    const statuses = async (requests: [string, object][]) => {
      const answers = [];
      for (const [url, payload] of requests) answers.push((await post(url, payload)).statusCode);
      return answers;
    };
    // Asking for mail: a reset and an anonymous verification resend count together.
    expect(
      await statuses([
        ['/api/auth/password/reset/', { email: 'a@example.com' }],
        ['/api/auth/email/verify/resend/', { email: 'b@example.com' }],
        ['/api/auth/password/reset/', { email: 'c@example.com' }],
      ]),
    ).toEqual([202, 202, 429]);
    // Following a mailed link: the verification, reset and email-change links, and ending every session.
    const token = { token: 'x'.repeat(43) };
    expect(
      await statuses([
        ['/api/auth/email/verify/', token],
        ['/api/auth/password/reset/confirm/', { ...token, new_password: 'tangerine-kayak-42' }],
        ['/api/auth/email/change/confirm/', token],
        ['/api/auth/sessions/end-all/', token],
        ['/api/auth/email/change/revert/', token],
      ]),
    ).toEqual([400, 400, 400, 429, 429]);
    expect(
      await statuses([
        ['/api/auth/passkey/options/', {}],
        ['/api/auth/passkey/options/', {}],
        ['/api/auth/passkey/options/', {}],
      ]),
    ).toEqual([200, 200, 429]);
    // Another client is not held back by any of them.
    const elsewhere = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/password/reset/',
      remoteAddress: OWNER,
      payload: { email: 'a@example.com' },
    });
    expect(elsewhere.statusCode).toBe(202);
  });

  test('IPv6: per /64, not per address', async () => {
    await setUp();
    const register = (i: number, remoteAddress: string) =>
      ctx.app.inject({
        method: 'POST',
        url: '/api/users/',
        remoteAddress,
        payload: { username: `new${i}`, password: 'tangerine-kayak-42' },
      });
    for (let i = 0; i < 10; i++) expect((await register(i, `2001:db8:0:1::${i + 1}`)).statusCode).toBe(201);
    expect((await register(10, '2001:db8:0:1::abcd')).statusCode).toBe(429);
    expect((await register(11, '2001:db8:0:2::1')).statusCode).toBe(201);
  }, 30_000);

  test('password endpoints: 10 per 15 minutes per IP; GATEHOUSE_RATE_LIMITS=false turns route limits off', async () => {
    await setUp();
    const { access } = await ctx.login('user1');
    const change = () =>
      ctx.app.inject({
        method: 'POST',
        url: '/api/users/me/password/',
        headers: { authorization: `Bearer ${access}` },
        payload: { current_password: 'wrong', new_password: 'tangerine-kayak-42' },
      });
    for (let i = 0; i < 10; i++) expect((await change()).statusCode).toBe(400);
    expect((await change()).statusCode).toBe(429);
    await ctx.close();

    await setUp({ GATEHOUSE_RATE_LIMITS: 'false' });
    const again = await ctx.login('user1');
    for (let i = 0; i < 12; i++) {
      const response = await ctx.app.inject({
        method: 'POST',
        url: '/api/users/me/password/',
        headers: { authorization: `Bearer ${again.access}` },
        payload: { current_password: 'wrong', new_password: 'tangerine-kayak-42' },
      });
      expect(response.statusCode).toBe(400);
    }
  }, 30_000);
});

describe('HSTS', () => {
  test('sent over HTTPS as a trusted proxy reports it, never over plain HTTP or on an untrusted claim', async () => {
    await setUp({ GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1' });
    const viaProxy = await ctx.app.inject({ url: '/api/', headers: { 'x-forwarded-proto': 'https' } });
    expect(viaProxy.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
    expect((await ctx.app.inject({ url: '/api/' })).headers['strict-transport-security']).toBeUndefined();
    const untrusted = await ctx.app.inject({
      url: '/api/',
      remoteAddress: ATTACKER,
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(untrusted.headers['strict-transport-security']).toBeUndefined();
  });
});
