import {
  Messages,
  type BrowserRefreshRequest,
  type Credentials,
  type EmptyResponse,
  type ErrorBody,
  type FieldErrors,
  type LogoutAllResponse,
  type LogoutRequest,
  type RefreshResponse,
  type SignedInResponse,
  type SignUpRequest,
} from '@gatehouse/contract';
import type { Account } from '../auth-state.js';
import { answer, toResponse, type Answer } from './answer.js';
import { createFakeMail, MailMessages, type FakeUser } from './fake-mail.js';
import { claimsOf, mintToken } from './fake-tokens.js';

export interface FakeGatehouseOptions {
  now: () => number;
  /** Seconds (default 300, the server's default). */
  accessLifetime?: number;
  /** Seconds a spent refresh cookie still gets its successor (default 5, the server's default). */
  rotationGracePeriod?: number;
  /** Where the server lives (its own origin passes the CSRF check). */
  origin: string;
  /** Other origins allowed to use browser mode (the server's GATEHOUSE_CORS_ALLOWED_ORIGINS). */
  allowedOrigins?: readonly string[];
  /** GATEHOUSE_EMAIL_VERIFICATION (default 'optional'). */
  emailVerification?: 'optional' | 'mandatory' | 'none';
  /** Seconds after a sign-in during which the email may be changed (default 900, the server's). */
  reauthenticationWindow?: number;
}

interface Session {
  userId: string;
  ended: boolean;
  signedInAt: number;
}

/** A refresh token the fake issued: current until rotated (into `successor`) or logged out. */
interface RefreshRecord {
  sessionId: string;
  spentAt?: number;
  successor?: string;
  loggedOut?: boolean;
}

/** The application's own API behind Gatehouse, as the client's tests call it: not Gatehouse's. */
interface ThingsResponse {
  things: never[];
  user: string;
}

type Refusal = ErrorBody | FieldErrors;

/** What each route reads and answers, in the contract's types: the fake stops compiling when they change. */
interface Routes {
  'POST /api/auth/login/': { body: Credentials; reply: SignedInResponse | Refusal };
  'POST /api/users/': { body: SignUpRequest; reply: SignedInResponse | Refusal };
  'POST /api/auth/refresh/': { body: BrowserRefreshRequest; reply: RefreshResponse | Refusal };
  'POST /api/auth/logout/': { body: LogoutRequest; reply: EmptyResponse | Refusal };
  'POST /api/auth/logout-all/': { body: EmptyResponse; reply: LogoutAllResponse | Refusal };
  'GET /api/users/me/': { body: EmptyResponse; reply: Account | Refusal };
  'GET /api/things/': { body: EmptyResponse; reply: ThingsResponse | Refusal };
}

export interface FakeRequest<Body> {
  /** Unvalidated, as it came: every field may be missing. */
  body: Partial<Body>;
  headers: Headers;
  /** The cookie the browser sent with the request (browser mode). */
  jar: string | null;
  cookieMode: boolean;
}

type RouteTable = {
  [K in keyof Routes]: (request: FakeRequest<Routes[K]['body']>) => Answer<Routes[K]['reply']>;
};

const CHALLENGE = 'Bearer realm="api"';

/**
 * Gatehouse's auth endpoints in memory: JWT-shaped tokens with `exp`, refresh rotation with reuse ending
 * the session (and the server's grace period in browser mode), the CSRF check of browser mode, and the
 * mailed-link flows (fake-mail.ts). `browser` holds the one refresh cookie. server-scenarios.test.ts runs
 * the same scenarios against this and the real server.
 */
export function createFakeGatehouse(
  {
    now,
    accessLifetime = 300,
    rotationGracePeriod = 5,
    origin,
    allowedOrigins = [],
    emailVerification = 'optional',
    reauthenticationWindow = 900,
  }: FakeGatehouseOptions,
  browser: { cookie: string | null },
) {
  const users = new Map<string, FakeUser>();
  /** Users with a second factor: the one code the "app" shows, and their unspent recovery codes. */
  const secondFactors = new Map<string, { code: string; recoveryCodes: string[] }>();
  /** Open challenges: mfa_token → user id. */
  const challenges = new Map<string, string>();
  const sessions = new Map<string, Session>();
  const refreshTokens = new Map<string, RefreshRecord>();
  const issuedAccess: string[] = [];
  const revokedAccess = new Set<string>();
  let counter = 0;

  const seconds = () => Math.floor(now() / 1000);
  const issueAccess = (sessionId: string, userId: string) => {
    const iat = seconds();
    const jti = `t${++counter}`;
    const access = mintToken({
      token_type: 'access',
      exp: iat + accessLifetime,
      iat,
      jti,
      user_id: userId,
      sid: sessionId,
    });
    issuedAccess.push(access);
    return access;
  };
  const issueRefresh = (sessionId: string) => {
    const iat = seconds();
    const refresh = mintToken({
      token_type: 'refresh',
      exp: iat + 86400,
      iat,
      jti: `r${++counter}`,
      sid: sessionId,
    });
    refreshTokens.set(refresh, { sessionId });
    return refresh;
  };
  const startSession = (userId: string) => {
    const id = `s${++counter}`;
    sessions.set(id, { userId, ended: false, signedInAt: now() });
    return { refresh: issueRefresh(id), access: issueAccess(id, userId) };
  };
  /** A refresh token this fake issued and that has not expired (else the server's "invalid"). */
  const known = (token: string) => {
    const record = refreshTokens.get(token);
    return record && Number(claimsOf(token)?.['exp']) > seconds() ? record : undefined;
  };
  const isCurrent = (record: RefreshRecord) => record.spentAt === undefined && !record.loggedOut;

  const refused = (detail: string) => answer<ErrorBody>(401, { detail, code: 'token_not_valid' });
  const accessRefused = (message: string) =>
    answer<ErrorBody>(401, {
      detail: Messages.tokenNotValidForAnyType,
      code: 'token_not_valid',
      messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
    });

  /** As refresh-cookie.ts: a browser that says where the request comes from must say this origin. */
  function csrfRefusal(headers: Headers): Answer<ErrorBody> | undefined {
    const from = headers.get('origin');
    const site = headers.get('sec-fetch-site');
    const crossAllowed = from !== null && allowedOrigins.includes(from);
    const foreign = from !== null && from !== origin && !crossAllowed;
    const crossSite = site !== null && site !== 'same-origin' && site !== 'none' && !crossAllowed;
    return foreign || crossSite ? answer<ErrorBody>(403, { detail: 'CSRF check failed.' }) : undefined;
  }

  function caller(headers: Headers): { account: Account; signedInAt: number } | Answer<ErrorBody> {
    const token = /^Bearer (\S+)$/.exec(headers.get('authorization') ?? '')?.[1];
    if (token === undefined) return answer<ErrorBody>(401, { detail: Messages.notAuthenticated });
    const claims = claimsOf(token);
    const session = sessions.get(String(claims?.['sid']));
    if (!claims || !session || revokedAccess.has(token) || Number(claims['exp']) <= seconds()) {
      return accessRefused(Messages.tokenInvalid);
    }
    if (session.ended) return accessRefused(Messages.tokenBlacklisted);
    const account = [...users.values()].find((user) => user.account.id === session.userId)?.account;
    return account ? { account, signedInAt: session.signedInAt } : accessRefused(Messages.userNotFound);
  }

  function endSessions(userId: string): number {
    let ended = 0;
    for (const session of sessions.values()) {
      if (session.userId === userId && !session.ended) {
        session.ended = true;
        ended++;
      }
    }
    return ended;
  }

  const mail = createFakeMail({
    now,
    origin,
    users: () => [...users.values()],
    caller,
    endSessions,
    reauthenticationWindow,
  });

  function signIn(account: Account, cookieMode: boolean, status: number): Answer<SignedInResponse> {
    const { access, refresh } = startSession(account.id);
    if (cookieMode) {
      browser.cookie = refresh;
      return answer(status, { access, user: account });
    }
    return answer(status, { refresh, access, user: account });
  }

  /** The refresh token presented: the cookie in browser mode (after the CSRF check), else the body's. */
  function presented(request: FakeRequest<LogoutRequest>): string | Answer<Refusal> {
    if (request.cookieMode) {
      const refusal = csrfRefusal(request.headers);
      if (refusal) return refusal;
      // As the server: a refused cookie is cleared, a good one replaced.
      browser.cookie = null;
      return request.jar ?? '';
    }
    if (typeof request.body.refresh !== 'string') return answer(400, { refresh: [Messages.fieldRequired] });
    return request.body.refresh;
  }

  const routes: RouteTable = {
    'POST /api/auth/login/': (request) => {
      const refusal = request.cookieMode ? csrfRefusal(request.headers) : undefined;
      if (refusal) return refusal;
      const identifier = request.body.email ?? request.body.username;
      const user = [...users.values()].find(
        (u) => u.account.username === identifier || u.account.email === identifier,
      );
      if (!user || user.password !== request.body.password) {
        return answer(401, { detail: Messages.noActiveAccount });
      }
      const { email, email_verified: verified } = user.account;
      if (emailVerification === 'mandatory' && email !== null && !verified) {
        return answer(401, { detail: MailMessages.emailNotVerified, code: 'email_not_verified' });
      }
      if (secondFactors.has(user.account.id)) {
        const token = `mfa${++counter}`;
        challenges.set(token, user.account.id);
        return answer(401, {
          detail: Messages.secondFactorRequired,
          code: 'mfa_required',
          mfa_token: token,
          methods: ['otp'],
        });
      }
      return signIn(user.account, request.cookieMode, 200);
    },
    'POST /api/users/': (request) => {
      const refusal = request.cookieMode ? csrfRefusal(request.headers) : undefined;
      if (refusal) return refusal;
      const { username, password, email = null } = request.body;
      if (typeof username !== 'string') return answer(400, { username: [Messages.fieldRequired] });
      if (users.has(username)) return answer(400, { username: ['user with this username already exists.'] });
      const account = addUser(username, String(password), email);
      if (emailVerification !== 'none') mail.sendVerification(account);
      // Mandatory verification: the account exists, yet nobody is signed in until the link is followed.
      if (emailVerification === 'mandatory' && email !== null) {
        return answer(401, { detail: MailMessages.emailNotVerified, code: 'email_not_verified' });
      }
      return signIn(account, request.cookieMode, 201);
    },
    'POST /api/auth/refresh/': (request) => {
      const token = presented(request);
      if (typeof token !== 'string') return token;
      const record = known(token);
      if (!record) return refused(Messages.tokenInvalid);
      const session = sessions.get(record.sessionId) as Session;
      let refresh: string;
      if (isCurrent(record)) {
        if (session.ended) return refused(Messages.tokenBlacklisted);
        refresh = issueRefresh(record.sessionId);
        Object.assign(record, { spentAt: now(), successor: refresh });
      } else {
        // A browser that lost the answer to its refresh presents the old cookie again: within the grace
        // period it gets the same successor; anything else is a reuse, and the whole session ends.
        const successor = record.successor === undefined ? undefined : refreshTokens.get(record.successor);
        const withinGrace =
          request.cookieMode &&
          rotationGracePeriod > 0 &&
          now() - (record.spentAt ?? -Infinity) <= rotationGracePeriod * 1000;
        if (!withinGrace || !successor || !isCurrent(successor) || session.ended) {
          // Someone else may hold the token: the session ends and its user is told, with a way out.
          if (!session.ended) {
            const user = [...users.values()].find((u) => u.account.id === session.userId);
            if (user) mail.sendReuseNotice(user.account);
          }
          session.ended = true;
          return refused(Messages.tokenBlacklisted);
        }
        refresh = record.successor as string;
      }
      const access = issueAccess(record.sessionId, session.userId);
      if (request.cookieMode) {
        browser.cookie = refresh;
        return answer(200, { access });
      }
      return answer(200, { access, refresh });
    },
    'POST /api/auth/logout/': (request) => {
      const token = presented(request);
      if (typeof token !== 'string') return token;
      const record = known(token);
      if (!record) return refused(Messages.tokenInvalid);
      const session = sessions.get(record.sessionId) as Session;
      if (!isCurrent(record) || session.ended) return refused(Messages.tokenBlacklisted);
      record.loggedOut = true;
      session.ended = true;
      return answer(200, {});
    },
    'POST /api/auth/logout-all/': (request) => {
      const found = caller(request.headers);
      if (!('account' in found)) return found;
      const ended = endSessions(found.account.id);
      if (request.cookieMode) browser.cookie = null;
      return answer(200, { sessions_ended: ended });
    },
    'GET /api/users/me/': (request) => {
      const found = caller(request.headers);
      return 'account' in found ? answer(200, found.account) : found;
    },
    'GET /api/things/': (request) => {
      const found = caller(request.headers);
      return 'account' in found ? answer(200, { things: [], user: found.account.username }) : found;
    },
  };

  /** The second step (issue 15; not in the contract yet): a code, or a recovery code once. */
  const secondStep = (
    request: FakeRequest<{ mfa_token: string; code: string; recovery_code: string }>,
  ): Answer<SignedInResponse | { detail: string; code: 'invalid_mfa_token' | 'invalid_mfa_code' }> => {
    const userId = challenges.get(String(request.body.mfa_token));
    const factor = secondFactors.get(userId ?? '');
    const account = [...users.values()].find((user) => user.account.id === userId)?.account;
    if (!factor || !account) return answer(401, { detail: 'Start again.', code: 'invalid_mfa_token' });
    const recovery = factor.recoveryCodes.indexOf(String(request.body.recovery_code));
    if (request.body.code !== factor.code && recovery === -1) {
      return answer(401, { detail: 'Wrong code.', code: 'invalid_mfa_code' });
    }
    if (recovery !== -1) factor.recoveryCodes.splice(recovery, 1);
    challenges.delete(String(request.body.mfa_token));
    return signIn(account, request.cookieMode, 200);
  };

  type Handler = (request: FakeRequest<object>) => Answer<unknown>;
  const table = new Map<string, Handler>(
    Object.entries({ ...routes, ...mail.routes, 'POST /api/auth/mfa/': secondStep }) as [string, Handler][],
  );
  const notFound: Handler = () => answer<ErrorBody>(404, { detail: Messages.notFound });

  function route(method: string, path: string, request: FakeRequest<object>): Response {
    const handler = table.get(`${method} ${path}`) ?? notFound;
    const { status, body } = handler(request);
    // As the server's error handler: every 401 names the scheme to authenticate with.
    return toResponse({
      status,
      body,
      ...(status === 401 && { headers: { 'www-authenticate': CHALLENGE } }),
    });
  }

  function addUser(
    username: string,
    password = 'password1',
    email: string | null = `${username}@example.com`,
  ): Account {
    const stamp = new Date(now()).toISOString();
    const id = `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`;
    const account: Account = {
      id,
      public_id: id,
      username,
      email,
      first_name: '',
      last_name: '',
      is_active: true,
      is_staff: false,
      is_superuser: false,
      last_login: null,
      created: stamp,
      updated: stamp,
      email_verified: false,
    };
    users.set(username, { account, password });
    return account;
  }

  return {
    route,
    addUser,
    /** From now on, `user` signs in with a second step: `code`, or one of `recoveryCodes` (once each). */
    requireSecondFactor(user: Account, code: string, recoveryCodes: string[] = []) {
      secondFactors.set(user.id, { code, recoveryCodes: [...recoveryCodes] });
    },
    /** Every mail "sent", oldest first. */
    outbox: mail.outbox,
    /** Refuses every access token issued so far, though unexpired (as after a key rotation). */
    revokeAccessTokens() {
      for (const token of issuedAccess) revokedAccess.add(token);
    },
    sessionEnded: (refresh: string) =>
      sessions.get(refreshTokens.get(refresh)?.sessionId ?? '')?.ended ?? true,
  };
}
