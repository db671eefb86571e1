import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { refreshExpiry } from '../../core/session-issuer.js';
import type { User } from '../../store/users/store.js';
import { createTestContext, type TestContext } from '../../testing/test-app.js';

let ctx: TestContext;
let user: User;
beforeEach(async () => {
  ctx = await createTestContext({ GATEHOUSE_RATE_LIMITS: 'false' });
  // As a social login or a passkey will create it: no password.
  const created = await ctx.store.createUser(
    { username: 'social', usernameKey: 'social', email: 'social@example.com', passwordHash: null },
    ctx.clock(),
  );
  if (!created.ok) throw new Error('createUser failed');
  user = created.user;
});
afterEach(() => ctx.close());

const post = (url: string, payload: object, access?: string) =>
  ctx.app.inject({
    method: 'POST',
    url,
    payload,
    headers: access === undefined ? {} : { authorization: `Bearer ${access}` },
  });

/** An access token of a session the store knows, as another sign-in method would start one. */
async function signedIn(): Promise<string> {
  const now = ctx.clock();
  const sessionId = randomUUID();
  await ctx.store.startSession(
    { id: sessionId, userId: user.id, userAgent: '', ip: '', methods: ['fed'], authTime: now },
    {
      jti: randomUUID().replaceAll('-', ''),
      userId: user.id,
      issuedAt: now,
      expiresAt: refreshExpiry(ctx.config.jwt, now),
    },
  );
  const iat = Math.floor(now.getTime() / 1000);
  return ctx.mint({
    token_type: 'access',
    exp: iat + 300,
    iat,
    jti: randomUUID().replaceAll('-', ''),
    user_id: user.id,
    username: user.username,
    sid: sessionId,
    amr: ['fed'],
    auth_time: iat,
  });
}

describe('an account without a password', () => {
  test('cannot sign in with a password, whatever it tries', async () => {
    for (const password of ['password1', 'null', 'undefined', '!']) {
      const response = await post('/api/auth/login/', { email: 'social@example.com', password });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ detail: 'No active account found with the given credentials' });
    }
  });

  test('sets its first password without a current one, then signs in with it', async () => {
    const access = await signedIn();
    const set = await post(
      '/api/users/me/password/',
      { current_password: 'ignored', new_password: 'tangerine-kayak-42' },
      access,
    );
    expect(set.statusCode).toBe(204);
    const login = await post('/api/auth/login/', { email: 'social', password: 'tangerine-kayak-42' });
    expect(login.statusCode).toBe(200);
    // From then on, changing it needs it.
    const { access: next } = login.json();
    const refused = await post(
      '/api/users/me/password/',
      { current_password: 'ignored', new_password: 'another-kayak-43' },
      next as string,
    );
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({
      current_password: ['Your old password was entered incorrectly. Please enter it again.'],
    });
  });

  test('the first password still follows the policy', async () => {
    const response = await post(
      '/api/users/me/password/',
      { current_password: 'ignored', new_password: '12345678' },
      await signedIn(),
    );
    expect(response.statusCode).toBe(400);
    expect(Object.keys(response.json())).toEqual(['new_password']);
    expect(await ctx.store.findPasswordHash(user.id)).toBeNull();
  });
});
