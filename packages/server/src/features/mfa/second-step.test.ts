import { afterEach, describe, expect, test } from 'vitest';
import { tokenOfLink } from '../../testing/outbox.js';
import { decodePayload, type TestContext } from '../../testing/test-app.js';
import { LOGINS, mfaHarness, bearer, codeOf, enableTotp } from '../../testing/mfa.js';

let ctx: TestContext;
const harness = mfaHarness();
const { post, status, challenge, answer, probe } = harness;
async function open(env: Record<string, string> = {}) {
  ctx = await harness.open(env);
}
afterEach(() => ctx.close());

describe("the login's second step", () => {
  test('every login route asks for the code once the app is confirmed; the answer is a login’s', async () => {
    await open();
    const { secret } = await enableTotp(ctx, 'alice');
    for (const [url, credentials] of LOGINS) {
      const response = await post(url, credentials);
      expect(response.statusCode, url).toBe(401);
      expect(response.json(), url).toEqual({
        detail: 'Second factor required.',
        code: 'mfa_required',
        mfa_token: expect.any(String),
        methods: ['otp'],
      });
    }
    const signedIn = await answer(await challenge(), { code: codeOf(ctx, secret) });
    expect(signedIn.statusCode).toBe(200);
    const body = signedIn.json();
    expect(Object.keys(body)).toEqual(['refresh', 'access', 'user']);
    expect(body.user).toMatchObject({ username: 'alice', email: 'alice@example.com' });
    expect(decodePayload(body.access)['amr']).toEqual(['pwd', 'otp', 'mfa']);
    expect(await status(body.access)).toMatchObject({ totp: true });
  });

  test('browser mode: the refresh token in the cookie, as the login sets it', async () => {
    await open({ GATEHOUSE_CORS_ALLOWED_ORIGINS: 'http://localhost:5173' });
    const { secret } = await enableTotp(ctx, 'alice');
    const browser = {
      'x-gatehouse-session': 'cookie',
      origin: 'http://localhost:80',
      host: 'localhost:80',
      'sec-fetch-site': 'same-origin',
    };
    const first = await post('/api/auth/login/', { email: 'alice', password: 'password1' }, browser);
    expect(first.statusCode).toBe(401);
    const response = await answer(first.json().mfa_token, { code: codeOf(ctx, secret) }, browser);
    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.json())).toEqual(['access', 'user']);
    expect(String(response.headers['set-cookie'])).toMatch(
      /^gatehouse_refresh=ey[^;]+; Path=\/api\/auth; Max-Age=86400; HttpOnly; SameSite=Strict/,
    );
    // A cross-site request is refused as a cross-site login is.
    const crossSite = await answer(
      first.json().mfa_token,
      { code: codeOf(ctx, secret) },
      {
        ...browser,
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
      },
    );
    expect(crossSite.statusCode).toBe(403);
  });

  test('a code is good once: replayed, or an earlier step after it, it is refused', async () => {
    await open();
    const { secret } = await enableTotp(ctx, 'alice');
    const code = codeOf(ctx, secret);
    expect((await answer(await challenge(), { code })).statusCode).toBe(200);
    const replayed = await answer(await challenge(), { code });
    expect(replayed.statusCode).toBe(401);
    expect(replayed.json()).toEqual({
      detail: 'The code is wrong, or was used already.',
      code: 'invalid_mfa_code',
      attempts_left: 4,
    });
    expect((await answer(await challenge(), { code: codeOf(ctx, secret, -1) })).statusCode).toBe(401);
    ctx.clock.advance(30);
    expect((await answer(await challenge(), { code: codeOf(ctx, secret) })).statusCode).toBe(200);
  });

  test('one step either side of the clock, not two', async () => {
    await open();
    const { secret } = await enableTotp(ctx, 'alice');
    // Clear of the step that confirmed the app, which is spent.
    ctx.clock.advance(60);
    expect((await answer(await challenge(), { code: codeOf(ctx, secret, -2) })).statusCode).toBe(401);
    expect((await answer(await challenge(), { code: codeOf(ctx, secret, 2) })).statusCode).toBe(401);
    expect((await answer(await challenge(), { code: codeOf(ctx, secret, -1) })).statusCode).toBe(200);
    expect((await answer(await challenge(), { code: codeOf(ctx, secret, 1) })).statusCode).toBe(200);
  });

  test('one code sent twice at once, to two challenges: one session', async () => {
    await open();
    const { secret } = await enableTotp(ctx, 'alice');
    const tokens = [await challenge(), await challenge(), await challenge()];
    const code = codeOf(ctx, secret);
    const responses = await Promise.all(tokens.map((token) => answer(token, { code })));
    expect(responses.map((response) => response.statusCode).sort()).toEqual([200, 401, 401]);
  });

  test('a recovery code: once each, any case, with or without the dash; told to the owner', async () => {
    await open();
    const { recoveryCodes } = await enableTotp(ctx, 'alice');
    const [first = '', second = ''] = recoveryCodes;
    const response = await answer(await challenge(), { recovery_code: first.toUpperCase().replace('-', '') });
    expect(response.statusCode).toBe(200);
    // RFC 8176 otp (see service.ts), and mfa.
    expect(decodePayload(response.json().access)['amr']).toEqual(['pwd', 'otp', 'mfa']);
    expect((await answer(await challenge(), { recovery_code: first })).statusCode).toBe(401);
    expect((await answer(await challenge(), { recovery_code: ` ${second} ` })).statusCode).toBe(200);
    expect(await status(response.json().access)).toMatchObject({ recovery_codes_left: 8 });
    const used = (await ctx.rows.outbox()).filter((mail) => mail.data['change'] === 'recovery_code_used');
    expect(used).toHaveLength(2);
    const audit = await ctx.rows.all("select action from audit_log where action = 'mfa.recovery_code_used'");
    expect(audit).toHaveLength(2);
  });

  test('a new batch voids the old one', async () => {
    await open();
    const { recoveryCodes, access } = await enableTotp(ctx, 'alice');
    const fresh = await post('/api/users/me/mfa/recovery-codes/', undefined, bearer(access));
    expect(fresh.statusCode).toBe(200);
    const codes: string[] = fresh.json().recovery_codes;
    expect(codes).toHaveLength(10);
    expect(codes.some((code) => recoveryCodes.includes(code))).toBe(false);
    expect((await answer(await challenge(), { recovery_code: recoveryCodes[0] })).statusCode).toBe(401);
    expect((await answer(await challenge(), { recovery_code: codes[0] })).statusCode).toBe(200);
  });

  test('the mfa_token: five minutes, five wrong answers, then dead', async () => {
    await open();
    const { secret } = await enableTotp(ctx, 'alice');
    const late = await challenge();
    ctx.clock.advance(5 * 60 + 1);
    const expired = await answer(late, { code: codeOf(ctx, secret) });
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toEqual({
      detail: 'This sign-in has expired or is no longer valid. Sign in again.',
      code: 'invalid_mfa_token',
    });

    const token = await challenge();
    for (const left of [4, 3, 2, 1, 0]) {
      const wrong = await answer(token, { code: codeOf(ctx, secret, 4) });
      expect(wrong.json()).toMatchObject({ code: 'invalid_mfa_code', attempts_left: left });
    }
    expect((await answer(token, { code: codeOf(ctx, secret) })).json()).toMatchObject({
      code: 'invalid_mfa_token',
    });
    expect((await answer('x'.repeat(43), { code: '123456' })).json()).toMatchObject({
      code: 'invalid_mfa_token',
    });
    // A password reset's token or any other one-time token is not a challenge.
    expect((await answer('', { code: '123456' })).statusCode).toBe(400);
  });

  test('wrong answers count toward the login throttle: the account and the IP', async () => {
    await open({ GATEHOUSE_LOGIN_FAILURES_PER_ACCOUNT: '2' });
    const { secret } = await enableTotp(ctx, 'alice');
    const token = await challenge();
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await answer(token, { code: codeOf(ctx, secret, 4) })).statusCode).toBe(401);
    }
    const throttled = await answer(token, { code: codeOf(ctx, secret) });
    expect(throttled.statusCode).toBe(429);
    expect(throttled.headers['retry-after']).toBe('1');
    expect(throttled.json()).toEqual({ detail: 'Request was throttled. Expected available in 1 second.' });
    const failures = await ctx.rows.all('select key, failures from login_failures order by key');
    expect(failures).toEqual(
      expect.arrayContaining([
        { key: expect.stringMatching(/^account:\d+$/), failures: 3 },
        { key: expect.stringMatching(/^mfa:\d+$/), failures: 3 },
        { key: expect.stringMatching(/^ip:/), failures: 3 },
      ]),
    );
    // A right password clears the account's count, not the codes': signing in again for a new challenge
    // does not buy more guesses.
    ctx.clock.advance(1);
    const fresh = await challenge();
    expect((await answer(fresh, { code: codeOf(ctx, secret, 4) })).statusCode).toBe(401);
    expect((await answer(fresh, { code: codeOf(ctx, secret) })).statusCode).toBe(429);
    // Once the delay is over, the right code gets in and both counts are forgotten.
    ctx.clock.advance(2);
    expect((await answer(fresh, { code: codeOf(ctx, secret) })).statusCode).toBe(200);
    expect(await ctx.rows.all("select key from login_failures where key not like 'ip:%'")).toEqual([]);
  });

  test('bad input: a 400 JSON answer, never a 500', async () => {
    await open();
    const { secret } = await enableTotp(ctx, 'alice');
    const token = await challenge();
    const bodies: unknown[] = [
      {},
      { mfa_token: token },
      { code: '123456' },
      { mfa_token: token, code: '1234567' },
      { mfa_token: token, code: '12345' },
      { mfa_token: token, code: 123456 },
      { mfa_token: token, code: null },
      { mfa_token: ['x'], code: '123456' },
      { mfa_token: 'x'.repeat(100_00), code: '123456' },
      { mfa_token: token, recovery_code: 'a'.repeat(5000) },
      { mfa_token: token, code: codeOf(ctx, secret), recovery_code: 'aaaaa-aaaaa' },
      [],
      'text',
    ];
    for (const body of bodies) {
      const response = await post('/api/auth/mfa/', body);
      expect(response.statusCode, JSON.stringify(body).slice(0, 80)).toBe(body === 'text' ? 415 : 400);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
    }
    for (const url of ['/api/auth/mfa/enroll/totp/', '/api/auth/mfa/enroll/totp/confirm/']) {
      for (const body of [{}, { mfa_token: 5 }, { mfa_token: token, code: '1234567' }]) {
        const response = await post(url, body);
        expect(response.statusCode, url).toBeGreaterThanOrEqual(400);
        expect(response.statusCode, url).toBeLessThan(500);
      }
    }
    const { access } = await answer(token, { code: codeOf(ctx, secret) }).then((r) => r.json());
    for (const code of ['1234567', 123456, '', 'x'.repeat(10_000)]) {
      const response = await post('/api/users/me/mfa/totp/confirm/', { code }, bearer(access));
      expect(response.statusCode).toBe(400);
    }
    // The challenge was good all along: no wrong answer spent it.
    expect((await ctx.app.inject({ method: 'GET', url: '/api/auth/mfa/' })).statusCode).toBe(405);
  });

  test('a password reset never skips the second factor, and starts no session', async () => {
    await open();
    const { secret } = await enableTotp(ctx, 'alice');
    expect((await post('/api/auth/password/reset/', { email: 'alice@example.com' })).statusCode).toBe(202);
    const [mail] = await probe.messages(ctx.rows, 'password_reset');
    if (!mail) throw new Error('no reset mail');
    const composed = await probe.compose(mail);
    if (!('variables' in composed)) throw new Error(composed.skip);
    const token = tokenOfLink(composed.variables['link'], 'https://auth.example.com', 'reset-password');
    const reset = await post('/api/auth/password/reset/confirm/', {
      token,
      new_password: 'tangerine-kayak-42',
    });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(Object.keys(reset.json())).toEqual(['detail']);
    for (const [url, credentials] of LOGINS) {
      const response = await post(url, { ...credentials, password: 'tangerine-kayak-42' });
      expect(response.statusCode, url).toBe(401);
      expect(response.json().code, url).toBe('mfa_required');
    }
    expect((await answer(await challenge().catch(() => ''), { code: codeOf(ctx, secret) })).statusCode).toBe(
      400,
    );
  });
});
