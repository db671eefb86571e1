import { describe, expect, test, vi } from 'vitest';
import { createAuthClient } from './auth-client.js';
import { memoryStorage, type TokenStorage } from './storage.js';
import { credentials, setup } from './testing/setup.js';

const AUTH_PATHS = ['/api/auth/login/', '/api/auth/refresh/', '/api/auth/logout/', '/api/users/'];

/** A storage that answers later, as an async store would, and remembers what it was given. */
function asyncStorage(): TokenStorage & { history: (string | null)[] } {
  const inner = memoryStorage();
  const history: (string | null)[] = [];
  return {
    history,
    get: async () => inner.get(),
    set: async (refresh) => {
      history.push(refresh);
      await inner.set(refresh);
    },
  };
}

describe('cookie mode', () => {
  test('asks for browser mode on every auth call, with credentials; no refresh token in any body or storage', async () => {
    const { client, server } = setup();
    const storage = asyncStorage();
    const auth = client({ mode: 'cookie', storage });
    await auth.register({ username: 'grace', password: 'tangerine-kayak-42' });
    await auth.refresh();
    await auth.logout();
    const authCalls = server.calls.filter((call) => AUTH_PATHS.includes(call.path));
    expect(authCalls.map((call) => call.path)).toEqual([
      '/api/users/',
      '/api/auth/refresh/',
      '/api/auth/logout/',
    ]);
    for (const call of authCalls) {
      expect(call.headers.get('x-gatehouse-session')).toBe('cookie');
      expect(call.credentials).toBe('include');
      expect(call.body).not.toHaveProperty('refresh');
    }
    expect(storage.history).toEqual([]);
  });

  test('is the default where there is a document', async () => {
    const { server } = setup();
    const globals = globalThis as { document?: unknown };
    globals.document = {};
    try {
      const auth = createAuthClient({ baseUrl: 'http://gatehouse.test', fetch: server.fetch, tabs: null });
      await auth.login(credentials);
      expect(server.calls.at(-1)?.headers.get('x-gatehouse-session')).toBe('cookie');
    } finally {
      delete globals.document;
    }
  });
});

describe('token mode', () => {
  test('tokens in the body, the refresh token in storage, saved again at each rotation', async () => {
    const { client, server } = setup();
    const storage = asyncStorage();
    const auth = client({ mode: 'token', storage });
    await auth.login(credentials);
    const first = await storage.get();
    expect(first).toMatch(/^ey/);
    await auth.refresh();
    const refreshCall = server.calls.find((call) => call.path === '/api/auth/refresh/');
    expect(refreshCall?.body).toEqual({ refresh: first });
    expect(refreshCall?.headers.get('x-gatehouse-session')).toBeNull();
    const second = await storage.get();
    expect(second).not.toBe(first);
    expect(server.sessionEnded(first as string)).toBe(false);
    await auth.logout();
    expect(server.calls.at(-1)?.body).toEqual({ refresh: second });
    expect(server.sessionEnded(second as string)).toBe(true);
    expect(storage.history).toEqual([first, second, null]);
  });

  test('is the default without a document; a refused stored token is dropped', async () => {
    const { server, clock } = setup();
    const storage = memoryStorage();
    await storage.set('not-a-token');
    const auth = createAuthClient({
      baseUrl: 'http://gatehouse.test',
      fetch: server.fetch,
      now: clock,
      storage,
    });
    expect(await auth.start()).toEqual({ status: 'signed-out', reason: 'initial' });
    expect(server.calls[0]?.body).toEqual({ refresh: 'not-a-token' });
    expect(await storage.get()).toBeNull();
    auth.dispose();
  });

  test('a refresh answered after logout is ended, not kept', async () => {
    const { client, server } = setup();
    const storage = memoryStorage();
    const auth = client({ mode: 'token', storage });
    await auth.login(credentials);
    const first = await storage.get();
    const release = server.hold('/api/auth/refresh/');
    const refreshing = auth.refresh().catch((error: unknown) => error);
    await vi.waitFor(() => expect(server.count('/api/auth/refresh/')).toBe(1));
    const loggingOut = auth.logout();
    release();
    await loggingOut;
    expect(await refreshing).toMatchObject({ status: 401, code: 'not_authenticated' });
    expect(await storage.get()).toBeNull();
    expect(auth.getState()).toEqual({ status: 'signed-out', reason: 'logout' });
    await vi.waitFor(() => expect(server.count('/api/auth/logout/')).toBe(2));
    expect(server.sessionEnded(first as string)).toBe(true);
  });
});

test('token mode: a login while a refresh waits for its turn keeps the new session', async () => {
  const { client, server } = setup();
  const storage = memoryStorage();
  const auth = client({ mode: 'token', storage });
  await auth.login(credentials);
  const starting = auth.refresh().catch((error: unknown) => error);
  await auth.login(credentials);
  await starting;
  const current = await storage.get();
  expect(server.sessionEnded(current as string)).toBe(false);
  expect((await auth.fetch('/api/things/')).status).toBe(200);
  expect(auth.getState().status).toBe('signed-in');
});
