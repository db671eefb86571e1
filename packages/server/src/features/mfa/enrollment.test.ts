import { afterEach, describe, expect, test } from 'vitest';
import { createTestContext, decodePayload, type TestContext } from '../../testing/test-app.js';
import { codeOf } from '../../testing/mfa.js';

let ctx: TestContext;
async function open(required: string) {
  ctx = await createTestContext({ GATEHOUSE_RATE_LIMITS: 'false', GATEHOUSE_MFA_REQUIRED: required });
  await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
  await ctx.createUser({ username: 'staff', email: 'staff@example.com', isStaff: true });
  await ctx.createUser({ username: 'root', email: 'root@example.com', isStaff: true, isSuperuser: true });
}
afterEach(() => ctx.close());

const post = (url: string, payload: object) => ctx.app.inject({ method: 'POST', url, payload });
const LOGINS: [string, (name: string) => object][] = [
  ['/api/token/', (name) => ({ username: name, password: 'password1' })],
  ['/token/', (name) => ({ email: `${name}@example.com`, password: 'password1' })],
  ['/api/auth/login/', (name) => ({ email: `${name}@example.com`, password: 'password1' })],
  ['/user/login', (name) => ({ email: `${name}@example.com`, password: 'password1' })],
];
const ENROL = { detail: 'Set up a second factor to continue.', code: 'mfa_enrollment_required' };

async function held(name: string, url = '/api/auth/login/'): Promise<string> {
  const credentials = LOGINS.find(([route]) => route === url)?.[1](name) ?? {};
  const response = await post(url, credentials);
  expect(response.statusCode, response.body).toBe(401);
  expect(response.json()).toEqual({ ...ENROL, mfa_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
  return response.json().mfa_token;
}

describe('GATEHOUSE_MFA_REQUIRED', () => {
  test('staff: staff and superusers without a factor enrol at every login route; others sign in', async () => {
    await open('staff');
    for (const [url, credentials] of LOGINS) {
      expect((await post(url, credentials('alice'))).statusCode, url).toBe(200);
      for (const name of ['staff', 'root']) {
        const response = await post(url, credentials(name));
        expect(response.statusCode, `${url} ${name}`).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
        expect(response.json(), `${url} ${name}`).toEqual({ ...ENROL, mfa_token: expect.any(String) });
        expect(Object.keys(response.json())).not.toContain('access');
      }
    }
    expect(
      await ctx.rows.all(
        'select id from sessions where user_id in (select id from users where is_staff = 1)',
      ),
    ).toEqual([]);
  });

  test('superusers covers superusers only; all covers everyone; none nobody', async () => {
    await open('superusers');
    expect((await post('/api/token/', { username: 'staff', password: 'password1' })).statusCode).toBe(200);
    await held('root');
    await ctx.close();
    await open('all');
    await held('alice');
    await ctx.close();
    await open('none');
    for (const name of ['alice', 'staff', 'root']) {
      expect((await post('/api/token/', { username: name, password: 'password1' })).statusCode).toBe(200);
    }
  });

  test('enrolment at each login route ends as a login, with the recovery codes; the next login asks for the code', async () => {
    await open('all');
    for (const [url] of LOGINS) {
      const name = `u${LOGINS.findIndex(([route]) => route === url)}`;
      await ctx.createUser({ username: name, email: `${name}@example.com` });
      const token = await held(name, url);
      const started = await post('/api/auth/mfa/enroll/totp/', { mfa_token: token });
      expect(started.statusCode, url).toBe(200);
      const { secret, otpauth_uri } = started.json();
      expect(otpauth_uri).toContain(`Gatehouse:${name}%40example.com`);
      const wrong = await post('/api/auth/mfa/enroll/totp/confirm/', {
        mfa_token: token,
        code: codeOf(ctx, secret, 3),
      });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json()).toMatchObject({ code: 'invalid_mfa_code', attempts_left: 4 });
      const done = await post('/api/auth/mfa/enroll/totp/confirm/', {
        mfa_token: token,
        code: codeOf(ctx, secret),
      });
      expect(done.statusCode, done.body).toBe(200);
      const body = done.json();
      expect(Object.keys(body)).toEqual(['refresh', 'access', 'user', 'recovery_codes']);
      expect(body.recovery_codes).toHaveLength(10);
      expect(body.user).toMatchObject({ username: name });
      expect(decodePayload(body.access)['amr']).toEqual(['pwd', 'otp', 'mfa']);
      // Spent: the token does not sign in twice.
      const again = await post('/api/auth/mfa/enroll/totp/confirm/', {
        mfa_token: token,
        code: codeOf(ctx, secret, 1),
      });
      expect(again.json()).toMatchObject({ code: 'invalid_mfa_token' });
      const next = await post(url, LOGINS.find(([route]) => route === url)?.[1](name) ?? {});
      expect(next.json(), url).toMatchObject({ code: 'mfa_required', methods: ['otp'] });
    }
    const notices = (await ctx.rows.outbox()).filter((mail) => mail.kind === 'mfa_changed');
    expect(notices).toHaveLength(4);
  });

  test('the enrolment token: ten minutes; not a challenge; a challenge is not one either', async () => {
    await open('all');
    const token = await held('alice');
    // Not an answer to a second-factor challenge.
    expect((await post('/api/auth/mfa/', { mfa_token: token, code: '123456' })).json()).toMatchObject({
      code: 'invalid_mfa_token',
    });
    const { secret } = (await post('/api/auth/mfa/enroll/totp/', { mfa_token: token })).json();
    ctx.clock.advance(10 * 60 + 1);
    const late = await post('/api/auth/mfa/enroll/totp/confirm/', {
      mfa_token: token,
      code: codeOf(ctx, secret),
    });
    expect(late.statusCode).toBe(401);
    expect(late.json()).toMatchObject({ code: 'invalid_mfa_token' });
    expect((await post('/api/auth/mfa/enroll/totp/', { mfa_token: 'x'.repeat(43) })).statusCode).toBe(401);
  });

  test('a new setup during enrolment replaces the pending one', async () => {
    await open('all');
    const token = await held('alice');
    const first = (await post('/api/auth/mfa/enroll/totp/', { mfa_token: token })).json().secret;
    const second = (await post('/api/auth/mfa/enroll/totp/', { mfa_token: token })).json().secret;
    expect(
      (await post('/api/auth/mfa/enroll/totp/confirm/', { mfa_token: token, code: codeOf(ctx, first) }))
        .statusCode,
    ).toBe(401);
    expect(
      (await post('/api/auth/mfa/enroll/totp/confirm/', { mfa_token: token, code: codeOf(ctx, second) }))
        .statusCode,
    ).toBe(200);
  });
});
