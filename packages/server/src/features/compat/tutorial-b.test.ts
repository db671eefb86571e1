import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTestContext, type TestContext } from '../../testing/test-app.js';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await ctx.createUser({
    username: 'admin',
    email: 'admin@example.com',
    password: 'adminpass123',
    isSuperuser: true,
    isStaff: true,
  });
  await ctx.createUser({ username: 'user1', email: 'user1@example.com' });
});
afterEach(() => ctx.close());

const post = (url: string, payload: object) => ctx.app.inject({ method: 'POST', url, payload });
const get = (url: string, access?: string) =>
  ctx.app.inject({ url, headers: access ? { authorization: `Bearer ${access}` } : {} });
const STRONG = 'tangerine-kayak-42';

describe('POST /api/auth/register/', () => {
  test('201 {user, refresh, token}: the access token is named token', async () => {
    const response = await post('/api/auth/register/', {
      email: 'TestUser@yopmail.com',
      password: STRONG,
      username: 'testuser',
    });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(Object.keys(body)).toEqual(['user', 'refresh', 'token']);
    expect(body.user).toMatchObject({ username: 'testuser', email: 'testuser@yopmail.com', is_active: true });
    expect(body.user.public_id).toBe(body.user.id);
    expect((await get('/api/profile/', body.token)).statusCode).toBe(200);
  });

  test('a taken email or username is a 400 field error, never the existing account (the tutorial hole)', async () => {
    const email = await post('/api/auth/register/', {
      email: 'USER1@example.com',
      password: STRONG,
      username: 'someoneelse',
    });
    expect(email.statusCode).toBe(400);
    expect(email.json()).toEqual({ email: ['user with this email already exists.'] });
    const username = await post('/api/auth/register/', {
      email: 'other@yopmail.com',
      password: STRONG,
      username: 'User1',
    });
    expect(username.json()).toEqual({ username: ['user with this username already exists.'] });
  });

  test('missing fields, a short password and a bad email, as DRF words them', async () => {
    expect((await post('/api/auth/register/', {})).body).toBe(
      '{"username":["This field is required."],"email":["This field is required."],"password":["This field is required."]}',
    );
    const bad = await post('/api/auth/register/', {
      email: 'not-an-email',
      password: 'short',
      username: 'x',
    });
    expect(bad.json()).toEqual({
      email: ['Enter a valid email address.'],
      password: ['Ensure this field has at least 8 characters.'],
    });
  });

  test("the tutorial's example password is refused by the policy, with the reasons", async () => {
    const response = await post('/api/auth/register/', {
      email: 'testuser@yopmail.com',
      password: '12345678',
      username: 'testuser',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      password: ['This password is too common.', 'This password is entirely numeric.'],
    });
  });

  test('50 concurrent registrations of one identity create exactly one account', async () => {
    // Uniqueness under concurrency, not the per-IP registration limit, is what is tested here.
    await ctx.close();
    ctx = await createTestContext({ GATEHOUSE_RATE_LIMITS: 'false' });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        post('/api/auth/register/', { email: 'race@example.com', password: STRONG, username: 'racer' }),
      ),
    );
    expect(responses.filter((r) => r.statusCode === 201)).toHaveLength(1);
    for (const loser of responses.filter((r) => r.statusCode !== 201)) {
      expect(loser.statusCode).toBe(400);
      expect(Object.keys(loser.json()).sort()).toEqual(
        expect.arrayContaining([expect.stringMatching(/^(username|email)$/)]),
      );
    }
    expect((await ctx.store.queryUsers({ search: 'race', offset: 0, limit: 10 })).count).toBe(1);
  }, 60_000);
});

describe('POST /api/auth/login/', () => {
  test('{refresh, access, user} by email, or by username', async () => {
    for (const payload of [
      { email: 'user1@example.com', password: 'password1' },
      { email: 'user1', password: 'password1' },
      { username: 'user1', password: 'password1' },
    ]) {
      const response = await post('/api/auth/login/', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(200);
      const body = response.json();
      expect(Object.keys(body)).toEqual(['refresh', 'access', 'user']);
      expect(Object.keys(body.user)).toEqual(
        expect.arrayContaining(['id', 'public_id', 'username', 'email', 'is_active', 'created', 'updated']),
      );
      expect(body.user).toMatchObject({ username: 'user1', email: 'user1@example.com', is_active: true });
    }
  });

  test('wrong password and unknown email: 401; missing fields name email', async () => {
    for (const payload of [
      { email: 'user1@example.com', password: 'nope-nope' },
      { email: 'ghost@yopmail.com', password: '12345678' },
    ]) {
      const response = await post('/api/auth/login/', payload);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ detail: 'No active account found with the given credentials' });
    }
    expect((await post('/api/auth/login/', {})).body).toBe(
      '{"email":["This field is required."],"password":["This field is required."]}',
    );
    const get405 = await ctx.app.inject({ url: '/api/auth/login/' });
    expect(get405.statusCode).toBe(405);
    expect(get405.json()).toEqual({ detail: 'Method "GET" not allowed.' });
  });

  test("the router's detail routes (which echoed plaintext passwords) do not exist", async () => {
    const echo = await post('/api/auth/register/anything/', {
      email: 'echo@example.com',
      password: STRONG,
      username: 'echo',
    });
    expect(echo.statusCode).toBe(404);
    expect(echo.body).not.toContain(STRONG);
  });
});

describe('POST /api/auth/refresh/', () => {
  test('rotates, and the old token is blacklisted; access tokens and missing fields refused', async () => {
    const login = (
      await post('/api/auth/login/', { email: 'user1@example.com', password: 'password1' })
    ).json();
    const refreshed = await post('/api/auth/refresh/', { refresh: login.refresh });
    expect(refreshed.statusCode).toBe(200);
    expect(Object.keys(refreshed.json())).toEqual(['access', 'refresh']);
    expect((await post('/api/auth/refresh/', { refresh: login.refresh })).json()).toEqual({
      detail: 'Token is blacklisted',
      code: 'token_not_valid',
    });
    expect((await post('/api/auth/refresh/', { refresh: login.access })).json()).toEqual({
      detail: 'Token has wrong type',
      code: 'token_not_valid',
    });
    expect((await post('/api/auth/refresh/', {})).json()).toEqual({ refresh: ['This field is required.'] });
  });
});

describe('/api/user/', () => {
  test('superusers: all users, newest updated first; ?ordering=updated reverses', async () => {
    const admin = await ctx.login('admin', 'adminpass123');
    ctx.clock.advance(5);
    await ctx.createUser({ username: 'newest', email: 'newest@example.com' });
    const response = await get('/api/user/', admin.access);
    expect(response.statusCode).toBe(200);
    const names = (response.json() as { username: string }[]).map((u) => u.username);
    expect(names[0]).toBe('newest');
    expect(response.headers['x-total-count']).toBe('3');
    const ascending = (await get('/api/user/?ordering=updated', admin.access)).json() as {
      username: string;
    }[];
    expect(ascending.map((u) => u.username)).toEqual([...names].reverse());
    expect(JSON.stringify(response.json())).not.toMatch(/argon2|password/);
  });

  test('others: 403; unauthenticated: 401; POST: 405', async () => {
    const user = await ctx.login('user1');
    const forbidden = await get('/api/user/', user.access);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toEqual({ detail: 'You do not have permission to perform this action.' });
    expect((await get('/api/user/')).json()).toEqual({
      detail: 'Authentication credentials were not provided.',
    });
    const post405 = await ctx.app.inject({
      method: 'POST',
      url: '/api/user/',
      headers: { authorization: `Bearer ${user.access}` },
    });
    expect(post405.statusCode).toBe(405);
  });

  test('/api/user/<public_id>/: the user themself or a superuser; anyone else gets 404 (the tutorial hole)', async () => {
    const user2 = await ctx.createUser({ username: 'user2', email: 'user2@example.com' });
    const user1 = await ctx.login('user1');
    const me = (await get('/api/users/me/', user1.access)).json();
    expect((await get(`/api/user/${me.public_id}/`, user1.access)).json()).toMatchObject({
      username: 'user1',
    });
    const other = await get(`/api/user/${user2.publicId}/`, user1.access);
    expect(other.statusCode).toBe(404);
    expect(other.json()).toEqual({ detail: 'Not found.' });
    const admin = await ctx.login('admin', 'adminpass123');
    expect((await get(`/api/user/${user2.publicId}/`, admin.access)).json()).toMatchObject({
      username: 'user2',
    });
    for (const id of ['00000000-0000-0000-0000-000000000000', 'not-a-uuid']) {
      const missing = await get(`/api/user/${id}/`, admin.access);
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual({ detail: 'Not found.' });
    }
  });
});
