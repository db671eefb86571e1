import { expect } from 'vitest';
import { FEATURES } from '../features/features.js';
import { timeStep, totpCode } from '../features/mfa/totp.js';
import { outboxProbe } from './outbox.js';
import { createTestContext, type TestContext } from './test-app.js';

/** Tests only: what an authenticator app does with the secret it was given. */
export function fromBase32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const char of text) {
    value = (value << 5) | alphabet.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** The app's code now (on the test's clock), or `offset` steps away. */
export function codeOf(ctx: TestContext, secret: string, offset = 0): string {
  return totpCode(fromBase32(secret), timeStep(ctx.clock()) + offset);
}

export const bearer = (access: string) => ({ authorization: `Bearer ${access}` });

/** Signs `username` in and sets up an authenticator app: its secret, the recovery codes, the session. */
export async function enableTotp(
  ctx: TestContext,
  username: string,
): Promise<{ secret: string; recoveryCodes: string[]; access: string }> {
  const { access } = await ctx.login(username);
  const started = await ctx.app.inject({
    method: 'POST',
    url: '/api/users/me/mfa/totp/',
    headers: bearer(access),
  });
  expect(started.statusCode, started.body).toBe(200);
  const { secret } = started.json<{ secret: string }>();
  const confirmed = await ctx.app.inject({
    method: 'POST',
    url: '/api/users/me/mfa/totp/confirm/',
    headers: bearer(access),
    payload: { code: codeOf(ctx, secret) },
  });
  expect(confirmed.statusCode, confirmed.body).toBe(200);
  // The code that confirmed it is spent: the tests' next code is of a later step.
  ctx.clock.advance(30);
  return { secret, recoveryCodes: confirmed.json<{ recovery_codes: string[] }>().recovery_codes, access };
}

/** Every login route, with alice's credentials as each takes them. */
export const LOGINS: [string, object][] = [
  ['/api/token/', { username: 'alice', password: 'password1' }],
  ['/token/', { email: 'alice@example.com', password: 'password1' }],
  ['/api/auth/login/', { email: 'alice@example.com', password: 'password1' }],
  ['/user/login', { email: 'alice@example.com', password: 'password1' }],
];

/**
 * The HTTP side of the second-factor tests: `open` makes a context (rate limits off, an https public
 * URL, the outbox probed) with alice in it; the rest are the calls the tests make against it.
 */
export function mfaHarness() {
  const probe = outboxProbe();
  let current: TestContext | undefined;
  const ctx = () => {
    if (!current) throw new Error('mfaHarness: open() first');
    return current;
  };
  const post = (url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    ctx().app.inject({
      method: 'POST',
      url,
      headers,
      ...(payload !== undefined && { payload: payload as object }),
    });
  return {
    probe,
    async open(env: Record<string, string> = {}): Promise<TestContext> {
      current = await createTestContext(
        { GATEHOUSE_RATE_LIMITS: 'false', GATEHOUSE_PUBLIC_URL: 'https://auth.example.com', ...env },
        { features: [...FEATURES, probe.feature] },
      );
      await current.createUser({ username: 'alice', email: 'alice@example.com' });
      return current;
    },
    post,
    status: async (access: string) =>
      (await ctx().app.inject({ method: 'GET', url: '/api/users/me/mfa/', headers: bearer(access) })).json(),
    /** A login that stops at the second factor: its mfa_token. */
    async challenge(): Promise<string> {
      const response = await post('/api/auth/login/', { email: 'alice', password: 'password1' });
      expect(response.statusCode, response.body).toBe(401);
      return response.json<{ mfa_token: string }>().mfa_token;
    },
    answer: (mfaToken: string, body: object, headers: Record<string, string> = {}) =>
      post('/api/auth/mfa/', { mfa_token: mfaToken, ...body }, headers),
  };
}
