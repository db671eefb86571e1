/**
 * CSRF on the routes that finish a login and so set the browser-mode refresh cookie, beyond the password
 * login (csrf.test.ts): the second step with an authenticator code or a passkey, the enrolment a covered
 * account goes through, and the passwordless passkey sign-in. A cross-site browser-mode request is
 * refused with 403 before its proof is looked at: no session, no cookie, nothing spent, so the same
 * answer from the page's own origin still signs in.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, test } from 'vitest';
import { FEATURES } from '../features/features.js';
import { codeOf, enableTotp } from '../testing/mfa.js';
import { openPasskeys } from '../testing/passkeys.js';
import { createTestContext, type TestContext } from '../testing/test-app.js';

const BROWSER = { 'x-gatehouse-session': 'cookie', host: 'localhost:80' };
const SAME_ORIGIN = { ...BROWSER, origin: 'http://localhost:80', 'sec-fetch-site': 'same-origin' };
const CROSS_SITE: Record<string, string>[] = [
  { ...BROWSER, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
  { ...BROWSER, origin: 'null' },
  { ...BROWSER, 'sec-fetch-site': 'same-site' },
];
const CSRF_FAILED = { detail: 'CSRF check failed.' };
const TABLES = ['sessions', 'refresh_tokens', 'one_time_tokens', 'audit_log', 'login_failures', 'passkeys'];

let ctx: TestContext | undefined;
afterEach(async () => {
  await ctx?.close();
  ctx = undefined;
});

async function snapshot(context: TestContext): Promise<Record<string, string[]>> {
  const state: Record<string, string[]> = {};
  for (const table of TABLES) {
    const rows = await context.rows.all(`SELECT * FROM ${table}`);
    state[table] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return state;
}

/** Every cross-site form of `send` is refused and changes nothing; from the page's origin it signs in. */
async function expectCsrfChecked(
  context: TestContext,
  send: (headers: Record<string, string>) => Promise<LightMyRequestResponse>,
) {
  const before = await snapshot(context);
  for (const headers of CROSS_SITE) {
    const refused = await send(headers);
    expect(refused.statusCode, JSON.stringify(headers)).toBe(403);
    expect(refused.json()).toEqual(CSRF_FAILED);
    expect(refused.headers['set-cookie']).toBeUndefined();
  }
  expect(await snapshot(context)).toEqual(before);
  const allowed = await send(SAME_ORIGIN);
  expect(allowed.statusCode, allowed.body).toBe(200);
  expect(String(allowed.headers['set-cookie'])).toMatch(/^gatehouse_refresh=ey/);
}

const post = (context: TestContext, url: string, payload: object, headers: Record<string, string> = {}) =>
  context.app.inject({ method: 'POST', url, payload, headers });

describe('CSRF on the routes that finish a login', () => {
  test('POST /api/auth/mfa/: the second step with an authenticator code', async () => {
    ctx = await createTestContext({ GATEHOUSE_RATE_LIMITS: 'false' }, { features: FEATURES });
    const context = ctx;
    await context.createUser({ username: 'alice', email: 'alice@example.com' });
    const { secret } = await enableTotp(context, 'alice');
    const first = await post(context, '/api/auth/login/', { username: 'alice', password: 'password1' });
    expect(first.json()).toMatchObject({ code: 'mfa_required' });
    const answer = { mfa_token: first.json().mfa_token as string, code: codeOf(context, secret) };
    await expectCsrfChecked(context, (headers) => post(context, '/api/auth/mfa/', answer, headers));
  });

  test('POST /api/auth/mfa/enroll/totp/confirm/: the end of an enrolment GATEHOUSE_MFA_REQUIRED holds a login for', async () => {
    ctx = await createTestContext({ GATEHOUSE_RATE_LIMITS: 'false', GATEHOUSE_MFA_REQUIRED: 'all' });
    const context = ctx;
    await context.createUser({ username: 'alice', email: 'alice@example.com' });
    const held = await post(context, '/api/auth/login/', { username: 'alice', password: 'password1' });
    expect(held.json()).toMatchObject({ code: 'mfa_enrollment_required' });
    const mfaToken = held.json().mfa_token as string;
    const started = await post(context, '/api/auth/mfa/enroll/totp/', { mfa_token: mfaToken });
    expect(started.statusCode, started.body).toBe(200);
    const answer = { mfa_token: mfaToken, code: codeOf(context, started.json().secret as string) };
    await expectCsrfChecked(context, (headers) =>
      post(context, '/api/auth/mfa/enroll/totp/confirm/', answer, headers),
    );
  });

  test('POST /api/auth/passkey/ and POST /api/auth/mfa/passkey/: a passkey alone, or as the second step', async () => {
    const h = await openPasskeys();
    ctx = h.ctx;
    const context = h.ctx;
    await context.createUser({ username: 'alice', email: 'alice@example.com' });
    const laptop = h.authenticator();
    expect((await h.register((await context.login('alice')).access, laptop)).statusCode).toBe(201);

    const credential = laptop.authenticate(await h.signInOptions());
    await expectCsrfChecked(context, (headers) =>
      post(context, '/api/auth/passkey/', { credential }, headers),
    );

    const first = await post(context, '/api/auth/login/', { username: 'alice', password: 'password1' });
    expect(first.json()).toMatchObject({ code: 'mfa_required', methods: ['hwk'] });
    const mfaToken = first.json().mfa_token as string;
    const options = await post(context, '/api/auth/mfa/passkey/options/', { mfa_token: mfaToken });
    expect(options.statusCode, options.body).toBe(200);
    const answer = { mfa_token: mfaToken, credential: laptop.authenticate(options.json()) };
    await expectCsrfChecked(context, (headers) => post(context, '/api/auth/mfa/passkey/', answer, headers));
  });
});
