import type { Account } from '../auth-state.js';

/** A clock tests move by hand (ms). */
export function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  const clock = () => now;
  clock.advance = (seconds: number) => {
    now += seconds * 1000;
  };
  return clock;
}

export interface FakeServerOptions {
  now: () => number;
  /** Seconds (default 300, the server's default). */
  accessLifetime?: number;
  /** Where the server lives: absolute URLs are matched against it (default http://gatehouse.test). */
  origin?: string;
}

interface Session {
  userId: string;
  current: string;
  ended: boolean;
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
 * Gatehouse's auth endpoints in memory, behind an injectable fetch: JWT-shaped tokens with `exp`,
 * refresh rotation with reuse refused (no grace period), browser mode with one cookie jar (one browser:
 * every client using this fetch shares it, as tabs do).
 */
export function createFakeServer({
  now,
  accessLifetime = 300,
  origin = 'http://gatehouse.test',
}: FakeServerOptions) {
  const users = new Map<string, { account: Account; password: string }>();
  const sessions = new Map<string, Session>();
  const refreshTokens = new Map<string, string>();
  const issuedAccess: string[] = [];
  const revokedAccess = new Set<string>();
  const calls: Call[] = [];
  const overrides = new Map<string, Override[]>();
  const gates = new Map<string, Promise<void>>();
  let counter = 0;
  let offline = false;

  const seconds = () => Math.floor(now() / 1000);
  const mint = (claims: Record<string, unknown>) =>
    [{ alg: 'HS256', typ: 'JWT' }, claims, 'signature']
      .map((part) =>
        Buffer.from(typeof part === 'string' ? part : JSON.stringify(part)).toString('base64url'),
      )
      .join('.');
  const claimsOf = (token: string): Record<string, unknown> | undefined => {
    try {
      return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<
        string,
        unknown
      >;
    } catch {
      return undefined;
    }
  };
  const issue = (sessionId: string, userId: string) => {
    const iat = seconds();
    const jti = `t${++counter}`;
    const access = mint({
      token_type: 'access',
      exp: iat + accessLifetime,
      iat,
      jti,
      user_id: userId,
      sid: sessionId,
    });
    const refresh = mint({
      token_type: 'refresh',
      exp: iat + 86400,
      iat,
      jti: `r${counter}`,
      sid: sessionId,
    });
    refreshTokens.set(refresh, sessionId);
    issuedAccess.push(access);
    const session = sessions.get(sessionId);
    if (session) session.current = refresh;
    return { access, refresh };
  };
  const startSession = (userId: string) => {
    const id = `s${++counter}`;
    sessions.set(id, { userId, current: '', ended: false });
    return issue(id, userId);
  };

  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });
  const notAuthenticated = () => json(401, { detail: 'Authentication credentials were not provided.' });
  const tokenInvalid = (detail = 'Token is invalid or expired') =>
    json(401, { detail, code: 'token_not_valid' });

  function caller(headers: Headers): Account | Response {
    const header = headers.get('authorization');
    if (header === null) return notAuthenticated();
    const token = header.replace(/^Bearer /, '');
    const claims = claimsOf(token);
    const session = sessions.get(String(claims?.['sid']));
    if (
      !claims ||
      !session ||
      session.ended ||
      revokedAccess.has(token) ||
      Number(claims['exp']) <= seconds()
    ) {
      return json(401, {
        detail: 'Given token not valid for any token type',
        code: 'token_not_valid',
        messages: [
          { token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid or expired' },
        ],
      });
    }
    return (
      [...users.values()].find((user) => user.account.id === session.userId)?.account ?? notAuthenticated()
    );
  }

  function signIn(account: Account, cookieMode: boolean, status = 200) {
    const { access, refresh } = startSession(account.id);
    if (cookieMode) {
      server.cookie = refresh;
      return json(status, { access, user: account });
    }
    return json(status, { refresh, access, user: account });
  }

  function presented(
    cookieMode: boolean,
    body: Record<string, unknown>,
    jar: string | null,
  ): string | Response {
    if (cookieMode) {
      const token = jar ?? '';
      // As the server: a refused cookie is cleared, a good one replaced.
      server.cookie = null;
      return token;
    }
    if (typeof body['refresh'] !== 'string') return json(400, { refresh: ['This field is required.'] });
    return body['refresh'];
  }

  function route(
    method: string,
    path: string,
    headers: Headers,
    body: Record<string, unknown>,
    jar: string | null,
  ): Response {
    const cookieMode = headers.get('x-gatehouse-session') === 'cookie';
    switch (`${method} ${path}`) {
      case 'POST /api/auth/login/': {
        const identifier = body['email'] ?? body['username'];
        const user = [...users.values()].find(
          (u) => u.account.username === identifier || u.account.email === identifier,
        );
        if (!user || user.password !== body['password']) {
          return json(401, { detail: 'No active account found with the given credentials' });
        }
        return signIn(user.account, cookieMode);
      }
      case 'POST /api/users/': {
        if (typeof body['username'] !== 'string') return json(400, { username: ['This field is required.'] });
        if (users.has(body['username'])) {
          return json(400, { username: ['A user with that username already exists.'] });
        }
        const account = server.addUser(body['username'], String(body['password']));
        return signIn(account, cookieMode, 201);
      }
      case 'POST /api/auth/refresh/': {
        const token = presented(cookieMode, body, jar);
        if (token instanceof Response) return token;
        const sessionId = refreshTokens.get(token);
        const session = sessionId === undefined ? undefined : sessions.get(sessionId);
        if (!session || session.ended) return tokenInvalid();
        if (session.current !== token) {
          // Reuse of a spent token: the whole session ends, as on the real server.
          session.ended = true;
          return tokenInvalid('Token is blacklisted');
        }
        const pair = issue(sessionId as string, session.userId);
        if (cookieMode) {
          server.cookie = pair.refresh;
          return json(200, { access: pair.access });
        }
        return json(200, pair);
      }
      case 'POST /api/auth/logout/': {
        const token = presented(cookieMode, body, jar);
        if (token instanceof Response) return token;
        const session = sessions.get(refreshTokens.get(token) ?? '');
        if (!session || session.ended || session.current !== token) return tokenInvalid();
        session.ended = true;
        return json(200, {});
      }
      case 'POST /api/auth/logout-all/': {
        const account = caller(headers);
        if (account instanceof Response) return account;
        let ended = 0;
        for (const session of sessions.values()) {
          if (session.userId === account.id && !session.ended) {
            session.ended = true;
            ended++;
          }
        }
        if (cookieMode) server.cookie = null;
        return json(200, { sessions_ended: ended });
      }
      case 'GET /api/users/me/':
      case 'GET /api/things/': {
        const account = caller(headers);
        if (account instanceof Response) return account;
        return json(200, path === '/api/things/' ? { things: [], user: account.username } : account);
      }
      default:
        return json(404, { detail: 'Not found.' });
    }
  }

  const fetch: typeof globalThis.fetch = async (input, init = {}) => {
    const url = new URL(String(input), origin);
    const headers = new Headers(init.headers);
    const body = typeof init.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : {};
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
    if (url.origin !== origin) return json(200, { elsewhere: true });
    return route(init.method ?? 'GET', url.pathname, headers, body, jar);
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
    /** Refuses every access token issued so far, though unexpired (as after a key rotation). */
    revokeAccessTokens() {
      for (const token of issuedAccess) revokedAccess.add(token);
    },
    sessionEnded: (refresh: string) => sessions.get(refreshTokens.get(refresh) ?? '')?.ended ?? true,
    addUser(username: string, password = 'password1'): Account {
      const stamp = new Date(now()).toISOString();
      const id = `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`;
      const account: Account = {
        id,
        public_id: id,
        username,
        email: `${username}@example.com`,
        first_name: '',
        last_name: '',
        is_active: true,
        is_staff: false,
        is_superuser: false,
        last_login: null,
        created: stamp,
        updated: stamp,
      };
      users.set(username, { account, password });
      return account;
    },
  };
  return server;
}

export type FakeServer = ReturnType<typeof createFakeServer>;
