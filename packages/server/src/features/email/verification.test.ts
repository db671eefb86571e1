import { afterEach, describe, expect, test } from 'vitest';
import type { QueuedMail } from '../../mail/message.js';
import { outboxProbe, tokenOfLink } from '../../testing/outbox.js';
import { createTestContext, type TestContext } from '../../testing/test-app.js';
import { FEATURES } from '../features.js';

/** Passes the password policy for every username and email used here. */
const STRONG = 'tangerine-kayak-42';
const PUBLIC_URL = 'https://auth.example.com';
const VERIFIED = (email: string) => ({ detail: 'Your email address is verified.', email });
const INVALID = { detail: 'This link is invalid or has expired.', code: 'invalid_token' };
const RESENT = { detail: 'If the address needs verifying, a new link is on its way.' };

let ctx: TestContext;
let probe: ReturnType<typeof outboxProbe>;

async function setUp(env: Record<string, string> = {}) {
  probe = outboxProbe();
  ctx = await createTestContext(
    { GATEHOUSE_PUBLIC_URL: PUBLIC_URL, GATEHOUSE_RATE_LIMITS: 'false', ...env },
    { features: [...FEATURES, probe.feature] },
  );
}
afterEach(() => ctx.close());

function post(url: string, payload: object, token?: string) {
  return ctx.app.inject({
    method: 'POST',
    url,
    payload,
    ...(token !== undefined && { headers: { authorization: `Bearer ${token}` } }),
  });
}
const verify = (token: string) => post('/api/auth/email/verify/', { token });
const me = (access: string) =>
  ctx.app.inject({ method: 'GET', url: '/api/users/me/', headers: { authorization: `Bearer ${access}` } });

async function register(username: string, email: string): Promise<{ access: string; refresh: string }> {
  const response = await post('/api/users/', { username, email, password: STRONG });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

const verifications = (to?: string) => probe.messages(ctx.rows, 'verify_email', to);

/** The link of `mail` as the sender would fill it now (minting its token), and its token. */
async function linkOf(mail: QueuedMail | undefined): Promise<string> {
  if (!mail) throw new Error('no such message queued');
  const composed = await probe.compose(mail);
  if (!('variables' in composed)) throw new Error(`skipped: ${composed.skip}`);
  return tokenOfLink(composed.variables['link'], PUBLIC_URL, 'verify-email');
}

describe('registration queues a verification mail, whose link verifies the address', () => {
  test('register -> queued mail -> its link -> verified; email_verified in the account', async () => {
    await setUp();
    const { access } = await register('alice', 'Alice@Example.com');
    expect((await me(access)).json()).toMatchObject({ email: 'alice@example.com', email_verified: false });

    const queued = await verifications();
    // The queued row names the account and carries no secret: the link is minted when it is sent.
    expect(queued).toEqual([
      {
        id: expect.any(String),
        kind: 'verify_email',
        to: 'alice@example.com',
        userId: expect.any(Number),
        data: {},
        attempts: 0,
        createdAt: ctx.clock(),
        status: 'queued',
      },
    ]);
    const composed = await probe.compose(queued[0] as QueuedMail);
    expect(composed).toEqual({
      variables: {
        username: 'alice',
        link: expect.stringMatching(/^https:\/\/auth\.example\.com\/verify-email#token=[A-Za-z0-9_-]{43}$/),
        expires_in: '24 hours',
      },
    });

    const token = await linkOf(queued[0]);
    const verified = await verify(token);
    expect(verified.statusCode, verified.body).toBe(200);
    expect(verified.json()).toEqual(VERIFIED('alice@example.com'));
    expect((await me(access)).json()).toMatchObject({ email_verified: true });

    // Used once; the audit log says who verified what, from where.
    expect((await verify(token)).json()).toEqual(INVALID);
    const events = await ctx.app.inject({
      method: 'GET',
      url: '/api/users/me/events/',
      headers: { authorization: `Bearer ${access}` },
    });
    expect(events.json().results).toEqual([
      expect.objectContaining({
        action: 'email.verify',
        actor: 'alice',
        detail: { email: 'alice@example.com' },
      }),
    ]);
    // Verified: a message still queued is skipped when its turn comes.
    expect(await probe.compose(queued[0] as QueuedMail)).toEqual({ skip: 'the address is verified already' });
  });

  test("the tutorials' registrations queue it too, and keep their exact shapes", async () => {
    await setUp();
    const b = await post('/api/auth/register/', {
      username: 'bea',
      email: 'bea@example.com',
      password: STRONG,
    });
    expect(b.statusCode, b.body).toBe(201);
    expect(Object.keys(b.json().user)).not.toContain('email_verified');
    const c = await post('/user/register', { name: 'Cy', email: 'cy@example.com', password: STRONG });
    expect(c.statusCode, c.body).toBe(200);
    expect(c.json()).toEqual({ id: expect.any(Number), name: 'Cy', email: 'cy@example.com' });
    for (const address of ['bea@example.com', 'cy@example.com']) {
      const [mail] = await verifications(address);
      expect((await verify(await linkOf(mail))).json()).toEqual(VERIFIED(address));
    }
    const user = await ctx.rows.userByUsernameKey('cy@example.com');
    expect(user?.emailVerified).toBe(true);
  });

  test('an account without an address gets no mail; a refused registration queues none', async () => {
    await setUp();
    expect((await post('/api/users/', { username: 'noemail', password: STRONG })).statusCode).toBe(201);
    const weak = await post('/api/users/', {
      username: 'weak',
      email: 'weak@example.com',
      password: 'password',
    });
    expect(weak.statusCode).toBe(400);
    expect(await verifications()).toEqual([]);
    // The refused attempt used up no mail under the send limits: the corrected one gets its link.
    await register('weak', 'weak@example.com');
    expect(await verifications('weak@example.com')).toHaveLength(1);
  });

  test('GATEHOUSE_EMAIL_VERIFICATION=none: no verification mail at all, and resends send nothing', async () => {
    await setUp({ GATEHOUSE_EMAIL_VERIFICATION: 'none' });
    const { access } = await register('alice', 'alice@example.com');
    expect(
      await post('/user/register', { name: 'Cy', email: 'cy@example.com', password: STRONG }),
    ).toMatchObject({
      statusCode: 200,
    });
    expect((await post('/api/auth/email/verify/resend/', {}, access)).statusCode).toBe(202);
    expect((await post('/api/auth/email/verify/resend/', { email: 'alice@example.com' })).statusCode).toBe(
      202,
    );
    expect(await ctx.rows.outbox()).toEqual([]);
  });
});

describe('refused links', () => {
  test('bad, tampered, used, expired and wrong-purpose tokens: 400 invalid_token, nothing verified', async () => {
    await setUp();
    await register('alice', 'alice@example.com');
    const token = await linkOf((await verifications())[0]);
    const tampered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of ['', 'nope', tampered, `${token}x`, 'x'.repeat(300)]) {
      const response = await verify(bad);
      expect(response.statusCode, bad).toBe(400);
      if (bad.length > 0 && bad.length <= 256) expect(response.json(), bad).toEqual(INVALID);
    }
    // A reset token is no verification token (asked for after the registration's minute of mail).
    ctx.clock.advance(61);
    const reset = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/password/reset/',
      payload: { email: 'alice@example.com' },
    });
    expect(reset.statusCode).toBe(202);
    const [resetMail] = await probe.messages(ctx.rows, 'password_reset');
    const composed = await probe.compose(resetMail as QueuedMail);
    if (!('variables' in composed)) throw new Error('reset mail skipped');
    const resetToken = tokenOfLink(composed.variables['link'], PUBLIC_URL, 'reset-password');
    expect((await verify(resetToken)).json()).toEqual(INVALID);

    // Expired: the lifetime is GATEHOUSE_EMAIL_VERIFICATION_TTL (24 h by default).
    ctx.clock.advance(86400);
    expect((await verify(token)).json()).toEqual(INVALID);
    expect((await ctx.rows.userByUsernameKey('alice'))?.emailVerified).toBe(false);
  });

  test('a link minted again replaces the earlier one', async () => {
    await setUp();
    await register('alice', 'alice@example.com');
    const [mail] = await verifications();
    const first = await linkOf(mail);
    const second = await linkOf(mail);
    expect((await verify(first)).json()).toEqual(INVALID);
    expect((await verify(second)).json()).toEqual(VERIFIED('alice@example.com'));
  });

  test('a link for an address the account no longer has is refused, and its message is skipped', async () => {
    await setUp();
    await register('alice', 'alice@example.com');
    const [mail] = await verifications();
    const token = await linkOf(mail);
    // As an email change would leave it (the change helper's route), straight in the table here.
    await ctx.rows.setEmail('alice', 'alice@new.example.com');
    expect((await verify(token)).json()).toEqual(INVALID);
    expect(await probe.compose(mail as QueuedMail)).toEqual({ skip: 'the account has another address now' });
    expect((await ctx.rows.userByUsernameKey('alice'))?.emailVerified).toBe(false);
  });

  test('a deleted or deactivated account: the message is skipped, the link refused', async () => {
    await setUp();
    await register('alice', 'alice@example.com');
    await register('bob', 'bob@example.com');
    const [aliceMail] = await verifications('alice@example.com');
    const [bobMail] = await verifications('bob@example.com');
    const bobToken = await linkOf(bobMail);
    const alice = await ctx.rows.userByUsernameKey('alice');
    const bob = await ctx.rows.userByUsernameKey('bob');
    await ctx.store.deleteUser(alice?.id ?? 0);
    await ctx.store.updateUser(bob?.id ?? 0, { isActive: false }, ctx.clock());
    expect(await probe.compose(aliceMail as QueuedMail)).toEqual({ skip: 'no such account' });
    expect(await probe.compose(bobMail as QueuedMail)).toEqual({ skip: 'the account is deactivated' });
    expect((await verify(bobToken)).json()).toEqual(INVALID);
  });

  test('bad input is a 400 with field errors, never a 500', async () => {
    await setUp();
    for (const [payload, errors] of [
      [{}, { token: ['This field is required.'] }],
      [{ token: 42 }, { token: ['Not a valid string.'] }],
      [{ token: null }, { token: ['Not a valid string.'] }],
      [[], { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] }],
    ] as const) {
      const response = await post('/api/auth/email/verify/', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json()).toEqual(errors);
    }
    const huge = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/email/verify/',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ token: 'x'.repeat(100_000) }),
    });
    expect(huge.statusCode).toBe(413);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/auth/email/verify/' })).statusCode).toBe(405);
  });
});

describe('POST /api/auth/email/verify/resend/', () => {
  test('signed in: 202 and a new link to the account’s address; verified: 202 and nothing', async () => {
    await setUp();
    const { access } = await register('alice', 'alice@example.com');
    // The registration's mail used this minute's message to the address.
    const early = await post('/api/auth/email/verify/resend/', {}, access);
    expect(early.statusCode).toBe(202);
    expect(early.json()).toEqual(RESENT);
    expect(await verifications()).toHaveLength(1);

    ctx.clock.advance(61);
    const resent = await post('/api/auth/email/verify/resend/', {}, access);
    expect(resent.statusCode).toBe(202);
    expect(resent.json()).toEqual(RESENT);
    const queued = await verifications();
    expect(queued).toHaveLength(2);
    expect(queued.map((mail) => mail.userId)).toEqual([queued[0]?.userId, queued[0]?.userId]);
    expect((await verify(await linkOf(queued[1]))).json()).toEqual(VERIFIED('alice@example.com'));

    ctx.clock.advance(61);
    const done = await post('/api/auth/email/verify/resend/', {}, access);
    expect(done.json()).toEqual(RESENT);
    expect(await verifications()).toHaveLength(2);
  });

  test('a bad access token is a 401, not an anonymous request', async () => {
    await setUp();
    const response = await post(
      '/api/auth/email/verify/resend/',
      { email: 'alice@example.com' },
      'not-a-token',
    );
    expect(response.statusCode).toBe(401);
    expect(await ctx.rows.outbox()).toEqual([]);
  });

  test('anonymous: the same 202 for an unverified, a verified and an unknown address; only the first gets mail', async () => {
    await setUp();
    await register('alice', 'alice@example.com');
    await register('bob', 'bob@example.com');
    await verify(await linkOf((await verifications('bob@example.com'))[0]));
    ctx.clock.advance(61);

    const answers = [];
    for (const email of ['ALICE@example.com', 'bob@example.com', 'nobody@example.com']) {
      const response = await post('/api/auth/email/verify/resend/', { email });
      answers.push({ status: response.statusCode, body: response.body });
    }
    expect(answers).toEqual(Array.from({ length: 3 }, () => ({ status: 202, body: JSON.stringify(RESENT) })));

    // Every request queued the same work; which ones are mail is decided when they are sent.
    const anonymous = (await verifications()).filter((mail) => mail.userId === null);
    expect(anonymous.map((mail) => mail.to).sort()).toEqual([
      'alice@example.com',
      'bob@example.com',
      'nobody@example.com',
    ]);
    const composed = await Promise.all(anonymous.map(async (mail) => [mail.to, await probe.compose(mail)]));
    expect(Object.fromEntries(composed)).toEqual({
      'alice@example.com': { variables: expect.objectContaining({ username: 'alice' }) },
      'bob@example.com': { skip: 'the address is verified already' },
      'nobody@example.com': { skip: 'no such account' },
    });
    const aliceMail = anonymous.find((mail) => mail.to === 'alice@example.com');
    expect((await verify(await linkOf(aliceMail))).json()).toEqual(VERIFIED('alice@example.com'));
  });

  test('anonymous without an address, or with a malformed one: 400 field errors', async () => {
    await setUp();
    const missing = await post('/api/auth/email/verify/resend/', {});
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ email: ['This field is required.'] });
    const malformed = await post('/api/auth/email/verify/resend/', { email: 'not-an-address' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toEqual({ email: ['Enter a valid email address.'] });
  });

  test('send limits: a second request in a minute is answered the same and queues nothing', async () => {
    await setUp();
    const first = await post('/api/auth/email/verify/resend/', { email: 'someone@example.com' });
    const second = await post('/api/auth/email/verify/resend/', { email: 'someone@example.com' });
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    expect(second.body).toBe(first.body);
    expect(await verifications('someone@example.com')).toHaveLength(1);
    ctx.clock.advance(61);
    await post('/api/auth/email/verify/resend/', { email: 'someone@example.com' });
    expect(await verifications('someone@example.com')).toHaveLength(2);
  });

  test('send limits per IP, signed in or not: over GATEHOUSE_MAIL_LIMIT_PER_IP, the same answer and nothing queued', async () => {
    await setUp({ GATEHOUSE_MAIL_LIMIT_PER_IP: '3/h', GATEHOUSE_MAIL_LIMIT_PER_ADDRESS: 'off' });
    const signedIn: string[] = [];
    for (const name of ['alice', 'bob', 'carol']) {
      await ctx.createUser({ username: name, email: `${name}@example.com` });
      signedIn.push((await ctx.login(name)).access);
    }
    const answers = [];
    // Two anonymous and two signed-in requests from one address: the fourth is over the limit.
    answers.push(await post('/api/auth/email/verify/resend/', { email: 'dave@example.com' }));
    answers.push(await post('/api/auth/email/verify/resend/', {}, signedIn[0]));
    answers.push(await post('/api/auth/email/verify/resend/', { email: 'erin@example.com' }));
    answers.push(await post('/api/auth/email/verify/resend/', {}, signedIn[1]));
    expect(answers.map((answer) => [answer.statusCode, answer.json()])).toEqual(
      Array.from({ length: 4 }, () => [202, RESENT]),
    );
    // Queued at one instant (the test's clock stands still): in no particular order.
    expect((await verifications()).map((mail) => mail.to).sort()).toEqual([
      'alice@example.com',
      'dave@example.com',
      'erin@example.com',
    ]);
    // Still over it, whichever way the next one asks.
    expect((await post('/api/auth/email/verify/resend/', {}, signedIn[2])).json()).toEqual(RESENT);
    expect((await post('/api/auth/email/verify/resend/', { email: 'frank@example.com' })).json()).toEqual(
      RESENT,
    );
    expect(await verifications()).toHaveLength(3);
  });

  test('a registration over the send limits still creates the account, without mail', async () => {
    await setUp({ GATEHOUSE_MAIL_LIMIT_PER_IP: '2/h' });
    await register('alice', 'alice@example.com');
    await register('bob', 'bob@example.com');
    await register('carol', 'carol@example.com');
    expect((await verifications()).map((mail) => mail.to).sort()).toEqual([
      'alice@example.com',
      'bob@example.com',
    ]);
    expect(await ctx.rows.userByUsernameKey('carol')).toMatchObject({ emailVerified: false });
  });
});

describe('email_verified in user objects', () => {
  test("Gatehouse's own: /api/users/me/, login, admin list and detail; not tutorial B's user routes", async () => {
    await setUp();
    await ctx.createUser({ username: 'admin', email: 'admin@example.com', isSuperuser: true });
    const { access } = await ctx.login('admin');
    const login = await post('/api/auth/login/', { email: 'admin@example.com', password: 'password1' });
    expect(login.json().user).toMatchObject({ username: 'admin', email_verified: false });
    expect((await me(access)).json()).toMatchObject({ email_verified: false });
    const get = (url: string) =>
      ctx.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${access}` } });
    const list = (await get('/api/users/')).json();
    expect(list.results[0]).toMatchObject({ email_verified: false });
    const publicId = list.results[0].id as string;
    expect((await get(`/api/users/${publicId}/`)).json()).toMatchObject({ email_verified: false });
    for (const url of ['/api/user/', `/api/user/${publicId}/`]) {
      expect((await get(url)).body, url).not.toContain('email_verified');
    }
    expect((await get('/api/profile/')).body).not.toContain('email_verified');
  });
});

test('OpenAPI lists the routes, with their bodies and answers from packages/contract', async () => {
  await setUp();
  const document = (await ctx.app.inject({ url: '/api/docs/openapi.json' })).json();
  const route = (path: string) => document.paths[path]?.post;
  const body = (path: string) => route(path).requestBody.content['application/json'].schema;
  expect(body('/api/auth/email/verify/').required).toEqual(['token']);
  expect(Object.keys(route('/api/auth/email/verify/').responses)).toContain('200');
  expect(body('/api/auth/email/verify/resend/').properties.email.format).toBe('email');
  expect(Object.keys(route('/api/auth/email/verify/resend/').responses)).toContain('202');
  expect(body('/api/auth/password/reset/').required).toEqual(['email']);
  expect(body('/api/auth/password/reset/confirm/').required).toEqual(['token', 'new_password']);
  for (const path of ['/api/auth/email/verify/', '/api/auth/password/reset/confirm/']) {
    expect(route(path).tags, path).toEqual(['accounts']);
  }
  const account = document.paths['/api/users/me/'].get.responses['200'].content['application/json'].schema;
  expect(account.properties.email_verified).toEqual({ type: 'boolean' });
});
