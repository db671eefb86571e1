import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTestContext, type TestContext } from '../../testing/test-app.js';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
});
afterEach(() => ctx.close());

const post = (url: string, payload: object) => ctx.app.inject({ method: 'POST', url, payload });
const STRONG = 'tangerine-kayak-42';

describe("tutorial C's routes", () => {
  test('register answers 200 {id, name, email}; the email is also the username', async () => {
    const response = await post('/user/register', {
      name: 'Carol',
      email: 'Carol@Example.com',
      password: STRONG,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ id: 1, name: 'Carol', email: 'carol@example.com' });
    expect((await ctx.rows.userById(1))?.username).toBe('carol@example.com');
  });

  test('register: missing fields, bad email, taken email', async () => {
    expect((await post('/user/register', {})).body).toBe(
      '{"name":["This field is required."],"email":["This field is required."],"password":["This field is required."]}',
    );
    expect((await post('/user/register', { name: 'C', email: 'nope', password: STRONG })).json()).toEqual({
      email: ['Enter a valid email address.'],
    });
    await post('/user/register', { name: 'Carol', email: 'carol@example.com', password: STRONG });
    expect(
      (await post('/user/register', { name: 'Other', email: 'carol@example.com', password: STRONG })).json(),
    ).toEqual({
      email: ['user with this email already exists.'],
    });
  });

  test('register: the address is the username; when it cannot be one, an internal username without @, suffixed when taken', async () => {
    const plain = await post('/user/register', { name: 'Dave', email: 'dave@example.com', password: STRONG });
    expect((await ctx.rows.userById(plain.json().id))?.username).toBe('dave@example.com');
    await ctx.createUser({ username: 'o_brien_at_example.com', email: null });
    const response = await post('/user/register', {
      name: 'Pat',
      email: "o'brien@example.com",
      password: STRONG,
    });
    expect(response.statusCode).toBe(200);
    expect((await ctx.rows.userById(response.json().id))?.username).toBe('o_brien_at_example.com-2');
  });

  test("register: an address that is another account's username is taken (one namespace)", async () => {
    await ctx.store.createUser(
      { username: 'eve@example.com', usernameKey: 'eve@example.com', email: null, passwordHash: null },
      new Date(),
    );
    const response = await post('/user/register', {
      name: 'Eve',
      email: 'eve@example.com',
      password: STRONG,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ email: ['user with this email already exists.'] });
  });

  test('login: {access_token, refresh_token}; no account enumeration; inactive refused', async () => {
    await post('/user/register', { name: 'Carol', email: 'carol@example.com', password: STRONG });
    const response = await post('/user/login', { email: 'carol@example.com', password: STRONG });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(Object.keys(body)).toEqual(['access_token', 'refresh_token']);
    const profile = await ctx.app.inject({
      url: '/api/profile/',
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(profile.statusCode).toBe(200);

    // The tutorial said "Account does not exist" / "Incorrect Password": one answer for both here.
    const unknown = await post('/user/login', { email: 'ghost@example.com', password: STRONG });
    const wrong = await post('/user/login', { email: 'carol@example.com', password: 'wrong-password' });
    for (const failed of [unknown, wrong]) {
      expect(failed.statusCode).toBe(401);
      expect(failed.json()).toEqual({ detail: 'No active account found with the given credentials' });
    }
    await ctx.store.updateUser(1, { isActive: false }, new Date());
    expect((await post('/user/login', { email: 'carol@example.com', password: STRONG })).statusCode).toBe(
      401,
    );
    expect((await ctx.app.inject({ method: 'POST', url: '/user/login/', payload: {} })).json()).toEqual({
      email: ['This field is required.'],
      password: ['This field is required.'],
    });
  });

  test('logout blacklists the refresh token: "Logout Successful", then "Invalid Token"', async () => {
    await post('/user/register', { name: 'Carol', email: 'carol@example.com', password: STRONG });
    const tokens = (await post('/user/login', { email: 'carol@example.com', password: STRONG })).json();
    const response = await post('/user/logout', { refresh_token: tokens.refresh_token });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toBe('"Logout Successful"');
    for (const token of [tokens.refresh_token, tokens.access_token, 'garbage']) {
      const again = await post('/user/logout', { refresh_token: token });
      expect(again.statusCode).toBe(401);
      expect(again.json()).toEqual({ detail: 'Invalid Token' });
      expect(again.headers['www-authenticate']).toBe('Bearer realm="api"');
    }
    // Tokens work across the tutorials' routes: C's logged-out token is blacklisted at A's refresh.
    expect((await post('/api/token/refresh/', { refresh: tokens.refresh_token })).json()).toEqual({
      detail: 'Token is blacklisted',
      code: 'token_not_valid',
    });
    expect((await post('/user/logout', { refresh_token: '' })).body).toBe('"Logout Successful"');
    expect((await post('/user/logout', {})).json()).toEqual({ refresh_token: ['This field is required.'] });
  });
});
