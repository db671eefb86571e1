import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTestContext, decodeHeader, decodePayload, type TestContext } from '../testing/test-app.js';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext({ GATEHOUSE_RATE_LIMITS: 'false' });
  await ctx.createUser({ username: 'user1', email: 'user1@example.com', password: 'password1' });
});
afterEach(() => ctx.close());

const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
  ctx.app.inject({ method: 'POST', url, payload, headers });
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

describe('the session issuer: how and when the user signed in, in both tokens', () => {
  test('every login route issues tokens with amr ["pwd"] and auth_time, after the simplejwt claims', async () => {
    const logins: [string, object, (body: Record<string, string>) => (string | undefined)[]][] = [
      ['/api/token/', { username: 'user1', password: 'password1' }, (b) => [b.access, b.refresh]],
      ['/token/', { email: 'user1@example.com', password: 'password1' }, (b) => [b.access, b.refresh]],
      ['/api/auth/login/', { email: 'user1', password: 'password1' }, (b) => [b.access, b.refresh]],
      [
        '/user/login',
        { email: 'user1@example.com', password: 'password1' },
        (b) => [b.access_token, b.refresh_token],
      ],
    ];
    for (const [url, payload, tokensOf] of logins) {
      const response = await post(url, payload);
      expect(response.statusCode, url).toBe(200);
      for (const token of tokensOf(response.json())) {
        const claims = decodePayload(token ?? '');
        expect(claims.amr, url).toEqual(['pwd']);
        expect(claims.auth_time, url).toBe(seconds(ctx.clock()));
        expect(Object.keys(claims).slice(0, 5)).toEqual(['token_type', 'exp', 'iat', 'jti', 'user_id']);
      }
    }
  });

  test('access tokens say typ at+jwt (RFC 9068), refresh tokens rt+jwt, at login and at refresh', async () => {
    const login = await ctx.login('user1');
    const refreshed = (await post('/api/token/refresh/', { refresh: login.refresh })).json();
    for (const { access, refresh } of [login, refreshed]) {
      expect(decodeHeader(access)).toEqual({ alg: 'HS256', typ: 'at+jwt' });
      expect(decodeHeader(refresh)).toEqual({ alg: 'HS256', typ: 'rt+jwt' });
    }
  });

  test('registration signs the new account in with amr ["pwd"]', async () => {
    const response = await post('/api/users/', { username: 'newcomer', password: 'tangerine-kayak-42' });
    expect(response.statusCode).toBe(201);
    expect(decodePayload(response.json().access)).toMatchObject({
      amr: ['pwd'],
      auth_time: seconds(ctx.clock()),
    });
  });

  test('a refresh keeps amr and auth_time, while iat moves on', async () => {
    const { refresh } = await ctx.login('user1');
    const signedInAt = seconds(ctx.clock());
    ctx.clock.advance(3600);
    const response = await post('/api/token/refresh/', { refresh });
    expect(response.statusCode).toBe(200);
    for (const token of [response.json().access, response.json().refresh]) {
      const claims = decodePayload(token as string);
      expect(claims).toMatchObject({ amr: ['pwd'], auth_time: signedInAt, iat: signedInAt + 3600 });
    }
  });

  test('the session row records the methods and the time of the sign-in', async () => {
    const user = await ctx.createUser({ username: 'user2' });
    await ctx.login('user2');
    const [session] = await ctx.store.listSessions(user.id, ctx.clock());
    expect(session).toMatchObject({ methods: ['pwd'], authTime: ctx.clock() });
  });

  test('a refresh token signed before sessions recorded their methods refreshes as a password session', async () => {
    // What Gatehouse issued before this change: the same claims without amr and auth_time, for a
    // session the store knows.
    const { refresh } = await ctx.login('user1');
    const { amr: _amr, auth_time: _authTime, ...legacy } = decodePayload(refresh);
    const response = await post('/api/token/refresh/', { refresh: ctx.mint(legacy) });
    expect(response.statusCode).toBe(200);
    const claims = decodePayload(response.json().access as string);
    expect(claims.amr).toEqual(['pwd']);
    expect(claims).not.toHaveProperty('auth_time');
  });
});
