import { createAuthClient, type Account, type AuthClient } from '@gatehouse/client';

export interface FakeRequest {
  method: string;
  path: string;
  body: unknown;
  headers: Headers;
}

/** Answers one request; a request no handler names gets a 404. */
export type Handler = (request: FakeRequest) => Response | Promise<Response>;

export const json = (status: number, body: unknown) =>
  new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

export function account(overrides: Partial<Account> = {}): Account {
  return {
    id: '6f1c1f4e-2c3b-4a63-9d55-0b8c2f6d1a10',
    public_id: '6f1c1f4e-2c3b-4a63-9d55-0b8c2f6d1a10',
    username: 'ada',
    email: 'ada@example.com',
    first_name: 'Ada',
    last_name: 'Lovelace',
    is_active: true,
    is_staff: false,
    is_superuser: false,
    last_login: null,
    created: '2026-01-01T00:00:00.000Z',
    updated: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/**
 * A fetch that routes "METHOD /path" to handlers, for a real client in tests: the app talks to the
 * client exactly as in the browser, only the network is fake.
 */
export function fakeFetch(handlers: Record<string, Handler>) {
  const calls: FakeRequest[] = [];
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = (init.method ?? 'GET').toUpperCase();
    const text = typeof init.body === 'string' ? init.body : undefined;
    const request = {
      method,
      path: url.pathname,
      body: text === undefined ? undefined : (JSON.parse(text) as unknown),
      headers: new Headers(init.headers),
    };
    calls.push(request);
    const handler = handlers[`${method} ${url.pathname}`];
    return handler ? handler(request) : json(404, { detail: 'Not found.' });
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

/** Handlers of a browser-mode session for `user`, or of no session at all. */
export function sessionHandlers(user: Account | null): Record<string, Handler> {
  return {
    'POST /api/auth/refresh/': () =>
      user ? json(200, { access: 'access-1' }) : json(401, { detail: 'Token is invalid or expired' }),
    'GET /api/users/me/': () => (user ? json(200, user) : json(401, { detail: 'Not authenticated.' })),
    'POST /api/auth/logout/': () => json(200, {}),
  };
}

export function testClient(fetch: typeof globalThis.fetch): AuthClient {
  return createAuthClient({ baseUrl: 'http://gatehouse.test', mode: 'cookie', fetch, tabs: null });
}
