import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTestContext, type TestContext } from '../../server/src/testing/test-app.js';
import { createAuthClient, type AuthClientOptions } from './auth-client.js';
import { GatehouseError } from './errors.js';
import { memoryStorage } from './storage.js';

// The client against the real Gatehouse app: the fake server's shapes are checked against the real ones.
let ctx: TestContext;
let baseUrl: string;
const paths: string[] = [];
beforeEach(async () => {
  ctx = await createTestContext();
  await ctx.createUser({ username: 'ada', email: 'ada@example.com' });
  baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  paths.length = 0;
});
afterEach(() => ctx.close());

const recordingFetch: typeof fetch = (input, init) => {
  paths.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
  return fetch(input, init);
};

const tokenClient = (options: AuthClientOptions = {}) =>
  createAuthClient({
    baseUrl,
    mode: 'token',
    fetch: recordingFetch,
    // The server's test clock, so that moving it expires the tokens for both.
    now: () => ctx.clock().getTime(),
    ...options,
  });

describe('token mode against the real server', () => {
  test('login, authenticated fetch, proactive refresh with rotation, logout', async () => {
    const storage = memoryStorage();
    const auth = tokenClient({ storage });
    const user = await auth.login({ username: 'ada@example.com', password: 'password1' });
    expect(user).toMatchObject({ username: 'ada', email: 'ada@example.com' });
    const first = await storage.get();
    expect(first).toMatch(/^ey/);

    expect((await auth.fetch('/api/users/me/')).status).toBe(200);
    ctx.clock.advance(ctx.config.jwt.accessTokenLifetime - 10);
    paths.length = 0;
    const sessions = await auth.fetch('/api/users/me/sessions/');
    expect(sessions.status).toBe(200);
    expect(paths).toEqual(['POST /api/auth/refresh/', 'GET /api/users/me/sessions/']);
    const second = await storage.get();
    expect(second).not.toBe(first);

    // The spent token is refused by the server: rotation really happened.
    const replay = await fetch(`${baseUrl}/api/auth/refresh/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh: first }),
    });
    expect(replay.status).toBe(401);

    await auth.logout();
    expect(await storage.get()).toBeNull();
    expect(auth.getState()).toEqual({ status: 'signed-out', reason: 'logout' });
  });

  test('start() restores the session from storage; getUser reads the account', async () => {
    const storage = memoryStorage();
    await tokenClient({ storage }).login({ username: 'ada', password: 'password1' });
    const again = tokenClient({ storage });
    expect(await again.start()).toMatchObject({ status: 'signed-in', user: { username: 'ada' } });
    expect((await again.getUser()).username).toBe('ada');
  });

  test('register, and the server’s errors as GatehouseError', async () => {
    const auth = tokenClient();
    expect((await auth.register({ username: 'grace', password: 'tangerine-kayak-42' })).username).toBe(
      'grace',
    );

    const taken = await tokenClient()
      .register({ username: 'grace', password: 'tangerine-kayak-42' })
      .catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(GatehouseError);
    expect(taken).toMatchObject({
      status: 400,
      code: 'invalid',
      fieldErrors: { username: [expect.any(String)] },
    });

    const wrong = await tokenClient()
      .login({ username: 'ada', password: 'nope' })
      .catch((e: unknown) => e);
    expect(wrong).toMatchObject({
      status: 401,
      code: 'no_active_account',
      detail: 'No active account found with the given credentials',
    });
  });

  test('429 carries retryAfter', async () => {
    const auth = tokenClient();
    let error: unknown;
    for (
      let attempt = 0;
      attempt < 12 && !(error instanceof GatehouseError && error.status === 429);
      attempt++
    ) {
      error = await auth.register({ username: '', password: 'x' }).catch((e: unknown) => e);
    }
    expect(error).toMatchObject({ status: 429, code: 'throttled' });
    expect((error as GatehouseError).retryAfter).toBeGreaterThan(0);
  });

  test('logoutEverywhere ends the other sessions', async () => {
    const laptop = tokenClient();
    const phone = tokenClient();
    await laptop.login({ username: 'ada', password: 'password1' });
    await phone.login({ username: 'ada', password: 'password1' });
    await laptop.logoutEverywhere();
    await expect(phone.refresh()).rejects.toMatchObject({ status: 401 });
    expect(phone.getState()).toEqual({ status: 'signed-out', reason: 'expired' });
  });
});

describe('cookie mode against the real app (through app.inject, with a cookie jar)', () => {
  test('the refresh token never reaches the client; the session survives a reload', async () => {
    let jar = '';
    const bodies: string[] = [];
    const browserFetch: typeof fetch = async (input, init = {}) => {
      const url = new URL(String(input), 'http://localhost');
      const response = await ctx.app.inject({
        method: (init.method ?? 'GET') as 'GET',
        url: url.pathname,
        headers: { ...Object.fromEntries(new Headers(init.headers)), ...(jar && { cookie: jar }) },
        ...(typeof init.body === 'string' && { payload: init.body }),
      });
      const setCookie = [response.headers['set-cookie'] ?? []].flat().join(';');
      const value = /gatehouse_refresh=([^;]*)/.exec(setCookie)?.[1];
      if (value !== undefined) jar = value === '' ? '' : `gatehouse_refresh=${value}`;
      bodies.push(response.body);
      return new Response(response.body, { status: response.statusCode });
    };
    const options = { mode: 'cookie' as const, fetch: browserFetch, tabs: null };
    const auth = createAuthClient(options);
    await auth.login({ username: 'ada', password: 'password1' });
    expect(jar).toMatch(/^gatehouse_refresh=ey/);
    const reloaded = createAuthClient(options);
    expect(await reloaded.start()).toMatchObject({ status: 'signed-in', user: { username: 'ada' } });
    expect(bodies.some((body) => body.includes('"refresh"'))).toBe(false);
    await reloaded.logout();
    expect(jar).toBe('');
    expect(await createAuthClient(options).start()).toEqual({ status: 'signed-out', reason: 'initial' });
  });
});
