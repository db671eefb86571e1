import { expect } from 'vitest';
import type { TestContext } from './test-app.js';
import { timeStep, totpCode } from '../features/mfa/totp.js';

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
