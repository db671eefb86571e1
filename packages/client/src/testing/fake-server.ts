import { toResponse } from './answer.js';
import { createFakeGatehouse, type FakeGatehouseOptions } from './fake-gatehouse.js';

/** A clock tests move by hand (ms). */
export function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  const clock = () => now;
  clock.advance = (seconds: number) => {
    now += seconds * 1000;
  };
  return clock;
}

export interface FakeServerOptions extends Omit<FakeGatehouseOptions, 'origin'> {
  /** Where the server lives: absolute URLs are matched against it (default http://gatehouse.test). */
  origin?: string;
}

export interface Call {
  method: string;
  path: string;
  headers: Headers;
  body: unknown;
  credentials: RequestCredentials | undefined;
}

type Override = Response | 'network-error';

/**
 * Gatehouse behind an injectable fetch (fake-gatehouse.ts), with what tests need of a network: answers
 * that come later, held or replaced answers, going offline, and one cookie jar (one browser: every client
 * using this fetch shares it, as tabs do).
 */
export function createFakeServer({ origin = 'http://gatehouse.test', ...options }: FakeServerOptions) {
  const calls: Call[] = [];
  const overrides = new Map<string, Override[]>();
  const gates = new Map<string, Promise<void>>();
  let offline = false;

  const fetch: typeof globalThis.fetch = async (input, init = {}) => {
    const url = new URL(String(input), origin);
    const headers = new Headers(init.headers);
    const body: object = typeof init.body === 'string' ? (JSON.parse(init.body) as object) : {};
    calls.push({
      method: init.method ?? 'GET',
      path: url.pathname,
      headers,
      body,
      credentials: init.credentials,
    });
    // A browser attaches the cookie it has when the request leaves, not when the answer is made.
    const jar = server.cookie;
    // Answers come later, as over a network, so that concurrent calls really overlap.
    await new Promise((resolve) => setTimeout(resolve, 1));
    const gate = gates.get(url.pathname);
    gates.delete(url.pathname);
    await gate;
    const override = overrides.get(url.pathname)?.shift();
    if (offline || override === 'network-error') throw new TypeError('fetch failed');
    if (override) return override;
    if (url.origin !== origin) return toResponse({ status: 200, body: { elsewhere: true } });
    const cookieMode = headers.get('x-gatehouse-session') === 'cookie';
    return gatehouse.route(init.method ?? 'GET', url.pathname, { body, headers, jar, cookieMode });
  };

  const server = {
    fetch,
    calls,
    /** The browser's gatehouse_refresh cookie (browser mode). */
    cookie: null as string | null,
    set offline(value: boolean) {
      offline = value;
    },
    count: (path: string, method = 'POST') =>
      calls.filter((c) => c.path === path && c.method === method).length,
    /** The next answer(s) for a path, instead of the route's. */
    respondOnce(path: string, ...answers: Override[]) {
      overrides.set(path, [...(overrides.get(path) ?? []), ...answers]);
    },
    /** Holds the answer to the next request to `path` until the returned function is called. */
    hold(path: string): () => void {
      let release = () => {};
      gates.set(path, new Promise<void>((resolve) => (release = resolve)));
      return release;
    },
    revokeAccessTokens: () => gatehouse.revokeAccessTokens(),
    sessionEnded: (refresh: string) => gatehouse.sessionEnded(refresh),
    addUser: (username: string, password?: string, email?: string | null) =>
      gatehouse.addUser(username, password, email),
    requireSecondFactor: (
      ...args: Parameters<ReturnType<typeof createFakeGatehouse>['requireSecondFactor']>
    ) => gatehouse.requireSecondFactor(...args),
    /** Every mail the server "sent", oldest first. */
    get outbox() {
      return gatehouse.outbox;
    },
  };
  const gatehouse = createFakeGatehouse({ ...options, origin }, server);
  return server;
}

export type FakeServer = ReturnType<typeof createFakeServer>;
