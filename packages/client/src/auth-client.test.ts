import { describe, expect, test } from 'vitest';
import type { AuthState } from './auth-state.js';
import { GatehouseError } from './errors.js';
import { memoryStorage } from './storage.js';
import { credentials, setup } from './testing/setup.js';

describe('state', () => {
  test('loading until started; the same object until it changes; subscribers hear every change', async () => {
    const { client } = setup();
    const auth = client();
    const seen: AuthState[] = [];
    auth.subscribe((state) => seen.push(state));
    expect(auth.getState()).toEqual({ status: 'loading' });
    expect(auth.getState()).toBe(auth.getState());
    await auth.start();
    expect(auth.getState()).toEqual({ status: 'signed-out', reason: 'initial' });
    await auth.login(credentials);
    const signedIn = auth.getState();
    expect(signedIn).toMatchObject({ status: 'signed-in', user: { username: 'ada' } });
    await auth.getAccessToken();
    expect(auth.getState()).toBe(signedIn);
    await auth.logout();
    expect(seen.map((state) => state.status)).toEqual(['signed-out', 'signed-in', 'signed-out']);
    expect(auth.getState()).toEqual({ status: 'signed-out', reason: 'logout' });
  });

  test('unsubscribe and dispose stop notifications', async () => {
    const { client } = setup();
    const auth = client();
    let calls = 0;
    const unsubscribe = auth.subscribe(() => calls++);
    unsubscribe();
    auth.subscribe(() => calls++);
    auth.dispose();
    await auth.start();
    expect(calls).toBe(0);
  });
});

describe('start', () => {
  test('cookie mode: a silent refresh then the account restores the session after a reload', async () => {
    const { client, server } = setup();
    await client().login(credentials);
    const reloaded = client();
    const state = await reloaded.start();
    expect(state).toMatchObject({ status: 'signed-in', user: { username: 'ada' } });
    expect(server.calls.slice(-2).map((call) => `${call.method} ${call.path}`)).toEqual([
      'POST /api/auth/refresh/',
      'GET /api/users/me/',
    ]);
  });

  test('is idempotent: concurrent and repeated calls make one round of requests', async () => {
    const { client, server } = setup();
    await client().login(credentials);
    const auth = client();
    const [first, second] = await Promise.all([auth.start(), auth.start()]);
    expect(second).toBe(first);
    await auth.start();
    expect(server.count('/api/auth/refresh/')).toBe(1);
    expect(server.count('/api/users/me/', 'GET')).toBe(1);
  });

  test('token mode: from the stored refresh token, or signed out at once without one', async () => {
    const { client, server } = setup();
    const storage = memoryStorage();
    await client({ mode: 'token', storage }).login(credentials);
    expect(await client({ mode: 'token', storage }).start()).toMatchObject({ status: 'signed-in' });
    const empty = client({ mode: 'token' });
    const before = server.calls.length;
    expect(await empty.start()).toEqual({ status: 'signed-out', reason: 'initial' });
    expect(server.calls.length).toBe(before);
  });

  test('a network failure keeps loading (not signed out) and rejects; start() may be called again', async () => {
    const { client, server } = setup();
    await client().login(credentials);
    const auth = client();
    server.offline = true;
    await expect(auth.start()).rejects.toMatchObject({ code: 'network_error', status: 0 });
    expect(auth.getState()).toEqual({ status: 'loading' });
    server.offline = false;
    expect(await auth.start()).toMatchObject({ status: 'signed-in' });
  });
});

describe('login and register', () => {
  test('login with an email as the username', async () => {
    const { client } = setup();
    const auth = client();
    const user = await auth.login({ username: 'ada@example.com', password: 'password1' });
    expect(user.username).toBe('ada');
  });

  test('a refused login is a GatehouseError no_active_account and leaves the state alone', async () => {
    const { client } = setup();
    const auth = client();
    await auth.start();
    const error = await auth.login({ username: 'ada', password: 'wrong' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatehouseError);
    expect(error).toMatchObject({
      status: 401,
      code: 'no_active_account',
      detail: 'No active account found with the given credentials',
    });
    expect(auth.getState()).toEqual({ status: 'signed-out', reason: 'initial' });
  });

  test('register signs in; field errors come back as DRF sent them', async () => {
    const { client } = setup();
    const auth = client();
    expect((await auth.register({ username: 'grace', password: 'tangerine-kayak-42' })).username).toBe(
      'grace',
    );
    expect(auth.getState()).toMatchObject({ status: 'signed-in', user: { username: 'grace' } });
    const error = await client()
      .register({ username: 'ada', password: 'x' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      status: 400,
      code: 'invalid',
      // The server's (DRF's unique validator's) wording, which the fake now answers too.
      fieldErrors: { username: ['user with this username already exists.'] },
      detail: 'user with this username already exists.',
    });
  });
});

describe('getUser', () => {
  test('reads the account again and updates the signed-in state', async () => {
    const { client } = setup();
    const auth = client();
    const before = await auth.login(credentials);
    const after = await auth.getUser();
    expect(after).toEqual(before);
    expect(auth.getState()).toEqual({ status: 'signed-in', user: after });
  });
});

describe('logout', () => {
  test('ends the session on the server', async () => {
    const { client, server } = setup();
    const auth = client();
    await auth.login(credentials);
    const cookie = server.cookie as string;
    await auth.logout();
    expect(server.sessionEnded(cookie)).toBe(true);
    expect(await auth.getAccessToken()).toBeNull();
  });

  test('offline: signed out locally all the same, and no error', async () => {
    const { client, server } = setup();
    const auth = client();
    await auth.login(credentials);
    server.offline = true;
    await expect(auth.logout()).resolves.toBeUndefined();
    expect(auth.getState()).toEqual({ status: 'signed-out', reason: 'logout' });
  });

  test('logoutEverywhere ends every session of the user', async () => {
    const { client, server } = setup();
    const phone = client({ mode: 'token' });
    await phone.login(credentials);
    const auth = client();
    await auth.login(credentials);
    await auth.logoutEverywhere();
    expect(auth.getState()).toEqual({ status: 'signed-out', reason: 'logout' });
    const response = await phone.fetch('/api/things/');
    expect(response.status).toBe(401);
    expect(phone.getState()).toEqual({ status: 'signed-out', reason: 'expired' });
    expect(
      server.calls.find((call) => call.path === '/api/auth/logout-all/')?.headers.get('x-gatehouse-session'),
    ).toBe('cookie');
  });
});
