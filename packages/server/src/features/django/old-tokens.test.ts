import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createJwtCodec } from '../../auth/jwt.js';
import { useDjango, type DjangoFixture } from '../../testing/django.js';
import { createTestContext, decodePayload, type TestContext } from '../../testing/test-app.js';
import { importFromDjango } from './importer.js';

const django = await useDjango("the old Django deployment's tokens");

describe.runIf(django)("the old Django deployment's tokens (GATEHOUSE_DJANGO_SECRET_KEY)", () => {
  let a: DjangoFixture;
  let ctx: TestContext;
  beforeAll(async () => {
    a = await (django as NonNullable<typeof django>).make('a');
  }, 60_000);
  afterEach(async () => {
    await ctx.close();
  });

  /** An app with the old key (or none), a Gatehouse account first so ids differ from Django's, the import. */
  const start = async (env: Record<string, string> = { GATEHOUSE_DJANGO_SECRET_KEY: a.secretKey }) => {
    ctx = await createTestContext(env);
    await ctx.createUser({ username: 'already-here' });
    await importFromDjango(
      { from: a.database, profileTable: 'base_profile', dryRun: false },
      ctx.store,
      ctx.clock,
    );
  };
  const me = (access: string) =>
    ctx.app.inject({ method: 'GET', url: '/api/users/me/', headers: { authorization: `Bearer ${access}` } });
  const refresh = (token: string) =>
    ctx.app.inject({ method: 'POST', url: '/api/token/refresh/', payload: { refresh: token } });
  const tokens = (name: string) => a.tokens[name] as NonNullable<DjangoFixture['tokens'][string]>;

  test('an old access token is accepted for the imported user, until it expires', async () => {
    await start();
    const response = await me(tokens('user1').access);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ username: 'user1', email: 'user1@example.com' });
    expect(
      (
        await ctx.app.inject({
          method: 'GET',
          url: '/api/profile/',
          headers: { authorization: `Bearer ${tokens('user1').access}` },
        })
      ).json(),
    ).toMatchObject({ first_name: 'Sam' });
    const exp = decodePayload(tokens('user1').access).exp as number;
    ctx.clock.advance(exp - Math.floor(ctx.clock().getTime() / 1000));
    expect((await me(tokens('user1').access)).statusCode).toBe(401);
  });

  test('an old access token on the account routes: no session of its own here, and no error', async () => {
    await start();
    const bearer = { authorization: `Bearer ${tokens('user1').access}` };
    const sessions = await ctx.app.inject({ method: 'GET', url: '/api/users/me/sessions/', headers: bearer });
    expect(sessions.statusCode).toBe(200);
    expect(sessions.json()).toEqual([]);
    const permissions = await ctx.app.inject({
      method: 'GET',
      url: '/api/users/me/permissions/',
      headers: bearer,
    });
    expect(permissions.statusCode, permissions.body).toBe(200);
    expect(permissions.json()).toMatchObject({
      permissions: ['auth:change_user', 'auth:view_group', 'auth:view_user'],
    });
    const everywhere = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/logout-all/',
      headers: bearer,
    });
    expect(everywhere.statusCode).toBe(200);
  });

  test('off by default: the old tokens are refused', async () => {
    await start({});
    expect((await me(tokens('user1').access)).statusCode).toBe(401);
    expect((await refresh(tokens('user1').refresh)).statusCode).toBe(401);
  });

  test('refreshing an old refresh token gives Gatehouse tokens and a session, and blacklists the old one', async () => {
    await start();
    const response = await refresh(tokens('user1').refresh);
    expect(response.statusCode, response.body).toBe(200);
    const pair = response.json<{ access: string; refresh: string }>();
    const claims = decodePayload(pair.access);
    expect(claims).toHaveProperty('sid');
    expect(claims.username).toBe('user1');
    expect((await me(pair.access)).statusCode).toBe(200);
    const sessions = await ctx.app.inject({
      method: 'GET',
      url: '/api/users/me/sessions/',
      headers: { authorization: `Bearer ${pair.access}` },
    });
    expect(sessions.json<unknown[]>()).toHaveLength(1);
    // The new refresh token is Gatehouse's own: it rotates as any.
    expect((await refresh(pair.refresh)).statusCode).toBe(200);
    const again = await refresh(tokens('user1').refresh);
    expect(again.statusCode).toBe(401);
    expect(again.json()).toMatchObject({ code: 'token_not_valid', detail: 'Token is blacklisted' });
  });

  test('a token the old site blacklisted stays refused; so does an expired one', async () => {
    await start();
    const blacklisted = await refresh(tokens('blacklisted').refresh);
    expect(blacklisted.statusCode).toBe(401);
    expect(blacklisted.json()).toMatchObject({ detail: 'Token is blacklisted' });
    const verify = await ctx.app.inject({
      method: 'POST',
      url: '/api/token/verify/',
      payload: { token: tokens('blacklisted').refresh },
    });
    // simplejwt's verify view answers a blacklisted token so.
    expect(verify.statusCode).toBe(400);
    expect(verify.json()).toEqual({ non_field_errors: ['Token is blacklisted'] });
    const valid = await ctx.app.inject({
      method: 'POST',
      url: '/api/token/verify/',
      payload: { token: tokens('user1').refresh },
    });
    expect(valid.statusCode).toBe(200);
    ctx.clock.advance(a.refreshLifetime + 1);
    expect((await refresh(tokens('user1').refresh)).statusCode).toBe(401);
  });

  test("an inactive user's old tokens are refused", async () => {
    await start();
    expect((await me(tokens('sleeper').access)).statusCode).toBe(401);
    expect((await refresh(tokens('sleeper').refresh)).statusCode).toBe(401);
  });

  /** A pair as the old site would have minted it now, for the Django user `username` (HS256, its key). */
  const mint = (username: string) => {
    const codec = createJwtCodec({ algorithm: 'HS256', key: a.secretKey, leeway: 0 });
    const now = Math.floor(ctx.clock().getTime() / 1000);
    const djangoId = a.users.find((u) => u.username === username)?.id;
    const claims = (type: string, lifetime: number) => ({
      token_type: type,
      jti: randomUUID().replaceAll('-', ''),
      user_id: djangoId,
      iat: now,
      exp: now + lifetime,
    });
    return {
      access: codec.sign(claims('access', a.accessLifetime), now),
      refresh: codec.sign(claims('refresh', a.refreshLifetime), now),
    };
  };
  const verify = (token: string) =>
    ctx.app.inject({ method: 'POST', url: '/api/token/verify/', payload: { token } });

  test('after logging out everywhere, the old tokens are refused; an untouched user keeps theirs', async () => {
    await start();
    const other = mint('user_md5');
    ctx.clock.advance(1);
    const everywhere = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/logout-all/',
      headers: { authorization: `Bearer ${tokens('user1').access}` },
    });
    expect(everywhere.statusCode, everywhere.body).toBe(200);
    expect((await me(tokens('user1').access)).statusCode).toBe(401);
    const refused = await refresh(tokens('user1').refresh);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ code: 'token_not_valid', detail: 'Token is blacklisted' });
    expect((await verify(tokens('user1').refresh)).statusCode).toBe(400);
    // Another imported user's old tokens are not touched by it.
    expect((await me(other.access)).statusCode).toBe(200);
    expect((await verify(other.refresh)).statusCode).toBe(200);
    expect((await refresh(other.refresh)).statusCode).toBe(200);
  });

  test('after a password change, the old refresh and access tokens are refused', async () => {
    await start();
    const login = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/login/',
      payload: { username: 'user1', password: 'password1' },
    });
    expect(login.statusCode, login.body).toBe(200);
    const { access } = login.json<{ access: string }>();
    ctx.clock.advance(1);
    const change = await ctx.app.inject({
      method: 'POST',
      url: '/api/users/me/password/',
      headers: { authorization: `Bearer ${access}` },
      payload: { current_password: 'password1', new_password: 'a-new-Passw0rd-for-sam' },
    });
    expect(change.statusCode, change.body).toBe(204);
    expect((await refresh(tokens('user1').refresh)).statusCode).toBe(401);
    expect((await me(tokens('user1').access)).statusCode).toBe(401);
    // The session the change was made in goes on.
    expect((await me(access)).statusCode).toBe(200);
  });

  test('an old token issued after the sessions ended is accepted (the cutoff is per token, not per user)', async () => {
    await start();
    await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/logout-all/',
      headers: { authorization: `Bearer ${tokens('user1').access}` },
    });
    ctx.clock.advance(1);
    const later = mint('user1');
    expect((await me(later.access)).statusCode).toBe(200);
    expect((await refresh(later.refresh)).statusCode).toBe(200);
  });

  test('logging out with an old refresh token blacklists it', async () => {
    await start();
    const logout = await ctx.app.inject({
      method: 'POST',
      url: '/api/token/blacklist/',
      payload: { refresh: tokens('user1').refresh },
    });
    expect(logout.statusCode, logout.body).toBe(200);
    expect((await refresh(tokens('user1').refresh)).statusCode).toBe(401);
  });
});
