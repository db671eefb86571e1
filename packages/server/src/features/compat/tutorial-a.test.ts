import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTestContext, decodePayload, type TestContext } from '../../testing/test-app.js';

let ctx: TestContext;
let access: string;
let refresh: string;
beforeEach(async () => {
  ctx = await createTestContext();
  await ctx.createUser({
    username: 'user1',
    email: 'user1@example.com',
    firstName: 'Sam',
    lastName: 'Smith',
    profileEmail: 'sam@smith.com',
  });
  await ctx.createUser({ username: 'user2', email: 'user2@example.com', firstName: 'Tim' });
  ({ access, refresh } = await ctx.login('user1'));
});
afterEach(() => ctx.close());

const get = (authorization?: string, url = '/api/profile/') =>
  ctx.app.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } });

const invalid = (message: string) => ({
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
});

describe('GET /api/profile/', () => {
  test("returns the caller's own profile, never a password hash", async () => {
    const response = await get(`Bearer ${access}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    expect(Object.keys(body)).toEqual(['user', 'first_name', 'last_name', 'email']);
    expect(body).toMatchObject({ first_name: 'Sam', last_name: 'Smith', email: 'sam@smith.com' });
    expect(body.user).toMatchObject({
      id: 1,
      username: 'user1',
      email: 'user1@example.com',
      is_active: true,
      is_staff: false,
      is_superuser: false,
    });
    // Logging in recorded it.
    expect(body.user.last_login).toBe(ctx.clock().toISOString());
    expect(body.user.public_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.body).not.toMatch(/password|argon2/);
  });

  test('answers at /api/profile without the slash (tutorial A fetches it bare)', async () => {
    const response = await get(`Bearer ${access}`, '/api/profile');
    expect(response.statusCode).toBe(200);
    expect(response.json().user.username).toBe('user1');
  });

  test('another user sees only their own data', async () => {
    const other = await ctx.login('user2');
    expect((await get(`Bearer ${other.access}`)).json().user.username).toBe('user2');
  });

  test('without credentials: 401 not provided, with the Bearer challenge', async () => {
    for (const header of [undefined, `Token ${access}`, `bearer ${access}`, '']) {
      const response = await get(header);
      expect(response.statusCode, String(header)).toBe(401);
      expect(response.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
      expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
    }
  });

  test('a header with the token missing or an extra part is a bad header', async () => {
    for (const header of ['Bearer', `Bearer ${access} extra`]) {
      const response = await get(header);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({
        detail: 'Authorization header must contain two space-delimited values',
        code: 'bad_authorization_header',
      });
    }
    // Python's split(): runs of whitespace separate, as in simplejwt.
    expect((await get(`Bearer  ${access}`)).statusCode).toBe(200);
  });

  test('garbage, expired, wrong-key and refresh tokens are refused with the exact message', async () => {
    expect((await get('Bearer not.a.jwt')).json()).toEqual(invalid('Token is invalid or expired'));
    expect((await get(`Bearer ${refresh}`)).json()).toEqual(invalid('Token has wrong type'));
    const claims = decodePayload(access);
    expect((await get(`Bearer ${ctx.mint(claims, 'x'.repeat(40))}`)).json()).toEqual(
      invalid('Token is invalid or expired'),
    );
    ctx.clock.advance(300);
    expect((await get(`Bearer ${access}`)).json()).toEqual(invalid('Token is invalid or expired'));
  });

  test('alg none and other algorithms are refused', async () => {
    const [, payload] = access.split('.');
    for (const alg of ['none', 'None', 'NONE', 'HS512', 'RS256']) {
      const header = Buffer.from(JSON.stringify({ alg, typ: 'JWT' })).toString('base64url');
      for (const token of [
        `${header}.${payload}.`,
        `${header}.${payload}`,
        `${header}.${payload}.${access.split('.')[2]}`,
      ]) {
        const response = await get(`Bearer ${token}`);
        expect(response.statusCode, `${alg}: ${token}`).toBe(401);
      }
    }
  });

  test('a token without user_id, of a deactivated user, of a deleted user', async () => {
    const { user_id: _id, ...claims } = decodePayload(access);
    expect((await get(`Bearer ${ctx.mint(claims)}`)).json()).toEqual({
      detail: 'Token contained no recognizable user identification',
      code: 'token_not_valid',
    });
    expect((await get(`Bearer ${ctx.mint({ ...claims, user_id: 999 })}`)).json()).toEqual({
      detail: 'User not found',
      code: 'user_not_found',
    });
    await ctx.store.updateUser(1, { isActive: false }, new Date());
    expect((await get(`Bearer ${access}`)).json()).toEqual({
      detail: 'User is inactive',
      code: 'user_inactive',
    });
  });

  test('PATCH edits the names and contact email only: ids, roles, password and user are never applied', async () => {
    const response = await ctx.app.inject({
      method: 'PATCH',
      url: '/api/profile/',
      headers: { authorization: `Bearer ${access}` },
      payload: {
        first_name: 'Samuel',
        email: 'samuel@smith.com',
        is_superuser: true,
        is_staff: true,
        id: 99,
        password: 'x',
        user: { username: 'root', is_superuser: true },
      },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      first_name: 'Samuel',
      last_name: 'Smith',
      email: 'samuel@smith.com',
    });
    expect(response.json().user).toMatchObject({
      id: 1,
      username: 'user1',
      is_superuser: false,
      is_staff: false,
    });
    expect((await ctx.rows.userById(1))?.isSuperuser).toBe(false);
    expect((await ctx.login('user1')).access).toBeTruthy();
    // user2's profile is untouched.
    const other = await ctx.login('user2');
    expect((await get(`Bearer ${other.access}`)).json().first_name).toBe('Tim');
  });

  test('PATCH refuses wrong types and needs authentication', async () => {
    const bad = await ctx.app.inject({
      method: 'PATCH',
      url: '/api/profile/',
      headers: { authorization: `Bearer ${access}` },
      payload: { first_name: ['x'] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ first_name: ['Not a valid string.'] });
    expect((await ctx.app.inject({ method: 'PATCH', url: '/api/profile/', payload: {} })).statusCode).toBe(
      401,
    );
  });

  test('405 with Allow for other methods', async () => {
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/api/profile/',
      headers: { authorization: `Bearer ${access}` },
    });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, PATCH, HEAD, OPTIONS');
    expect(response.json()).toEqual({ detail: 'Method "POST" not allowed.' });
  });
});
