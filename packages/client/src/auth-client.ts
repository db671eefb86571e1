import type { SignUpRequest } from '@gatehouse/contract';
import type { Account, AuthState, SignedOutReason } from './auth-state.js';
import { createAuthenticatedFetch } from './authenticated-fetch.js';
import { errorFromResponse, GatehouseError } from './errors.js';
import { createHttp, readJson, type Mode } from './http.js';
import type { MailFlows } from './mail-flows.js';
import type { FlowStorage, OidcSignIn } from './oidc.js';
import { oidcStartPath, type OidcStartOptions } from './oidc-start.js';
import type { WebAuthn } from './passkeys.js';
import { createRefresher } from './refresher.js';
import { readAccount, readSignedIn } from './responses.js';
import type { SecondFactorManagement, SecondFactorSignIn } from './second-factors.js';
import { AUTH_CODES, createSession, is401, SESSION_LOCK } from './session.js';
import { singleFlight } from './single-flight.js';
import { memoryStorage, type TokenStorage } from './storage.js';
import { browserTabSync, localLock, type TabMessage, type TabSync } from './tab-sync.js';

export interface AuthClientOptions {
  /** Where Gatehouse answers; default '' (this page's origin). Required in Node. */
  baseUrl?: string;
  /** Default 'cookie' where there is a `document`, else 'token'. */
  mode?: Mode;
  fetch?: typeof fetch;
  /** Token mode: where the refresh token lives (default: in memory). */
  storage?: TokenStorage;
  /** The clock, in ms. */
  now?: () => number;
  /** Refresh ahead when the access token expires within this many seconds (default 30). */
  refreshLeewaySeconds?: number;
  /**
   * Cross-tab coordination; null disables it. Default in cookie mode: BroadcastChannel and Web Locks
   * where present (tabs share the cookie, so they share the session); in token mode none.
   */
  tabs?: TabSync | null;
  /** The WebAuthn ceremonies; default @simplewebauthn/browser, loaded on the first passkey use. */
  webAuthn?: WebAuthn;
  /** Where `oidcCrossOriginStartUrl` keeps its PKCE verifier; default sessionStorage (memory in Node). */
  flowStorage?: FlowStorage;
}

export interface AuthClient extends MailFlows, SecondFactorSignIn, SecondFactorManagement, OidcSignIn {
  /** The current state: the same object until it changes. */
  getState(): AuthState;
  subscribe(listener: (state: AuthState) => void): () => void;
  /** Restores the session, once: cookie mode refreshes silently, token mode uses the stored token. */
  start(): Promise<AuthState>;
  /**
   * `username` may be an email. With a second factor (or the server's policy wanting one), it throws a
   * `SecondFactorRequired`: finish with `completeSecondFactor`, `passkeySecondStep` or the enrolment.
   */
  login(credentials: { username: string; password: string }): Promise<Account>;
  register(input: SignUpRequest): Promise<Account>;
  /**
   * Where to send the browser (a navigation, not a fetch) to sign in with a provider of
   * `oidcProviders()`, or with `intent: 'link'` to add it to the signed-in account. It comes back to
   * `next`: signed in (cookie mode: `start()` finds the session), with `#code=…` for `exchangeOidcCode`,
   * or with `#oidc_error=<code>`. A link is refused the same way, without leaving for the provider, when
   * the browser has no session (`not_authenticated`) or its sign-in is too old
   * (`reauthentication_required`): `next` (default `/account/security`) explains.
   */
  oidcStartUrl(name: string, options?: OidcStartOptions): string;
  /** Signs out here and in every tab at once, then ends the session on the server. */
  logout(): Promise<void>;
  /** Ends every session of the user, on every device. */
  logoutEverywhere(): Promise<void>;
  /** A new access token; concurrent calls share one request. */
  refresh(): Promise<string>;
  /** Reads the account again (e.g. after a profile edit) and updates the state. */
  getUser(): Promise<Account>;
  /** A valid access token (refreshed when near expiry), or null when signed out. */
  getAccessToken(): Promise<string | null>;
  /** fetch with the access token, refreshed ahead of expiry or once after a 401. */
  fetch(input: string, init?: RequestInit): Promise<Response>;
  /** Stops listening to other tabs and drops the subscribers. */
  dispose(): void;
}

/**
 * Creates the client that owns the session: its state, the access token (in memory only) and the
 * refresh. It never navigates: it reports state changes and the app decides what to show.
 *
 * @example
 * const auth = createAuthClient();
 * auth.subscribe((state) => render(state));
 * await auth.start();
 * const response = await auth.fetch('/api/users/me/sessions/');
 *
 * @example
 * // Node: token mode, against a server elsewhere.
 * const auth = createAuthClient({ baseUrl: 'https://auth.example.com', mode: 'token' });
 * await auth.login({ username: 'ada', password });
 */
export function createAuthClient(options: AuthClientOptions = {}): AuthClient {
  const mode = options.mode ?? (typeof document === 'undefined' ? 'token' : 'cookie');
  const now = options.now ?? Date.now;
  const storage = options.storage ?? memoryStorage();
  const ownTabs = options.tabs === undefined && mode === 'cookie' ? browserTabSync() : null;
  const tabs = options.tabs === undefined ? ownTabs : options.tabs;
  const withLock = tabs ? tabs.withLock.bind(tabs) : localLock();
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const http = createHttp({ baseUrl: options.baseUrl ?? '', mode, fetch: fetchImpl, now });
  const session = createSession(now, (options.refreshLeewaySeconds ?? 30) * 1000);
  const { state, access } = session;
  const { refresh, endSession } = createRefresher({ session, http, mode, storage, tabs, withLock });
  let starting: Promise<AuthState> | undefined;
  const authenticated = createAuthenticatedFetch({ session, http, refresh, starting: () => starting });

  async function loadUser(waitForStart: boolean): Promise<Account> {
    const since = session.epoch();
    const init = { headers: { accept: 'application/json' } };
    const response = await authenticated.fetch('/api/users/me/', init, waitForStart);
    if (!response.ok) throw await errorFromResponse(response, now());
    const user = readAccount(await readJson(response));
    const token = access.get();
    if (session.epoch() === since && token !== null) {
      session.signedIn(user);
      tabs?.broadcast({ type: 'signed-in', access: token, user });
    }
    return user;
  }

  async function restore(): Promise<AuthState> {
    if (state.get().status !== 'loading') return state.get();
    if (mode === 'token' && (await storage.get()) === null) {
      session.signOut('initial');
      return state.get();
    }
    try {
      const token = access.get();
      if (token === null || !access.isFresh(token)) await refresh();
      await loadUser(false);
    } catch (error) {
      if (!is401(error)) throw error;
      if (state.get().status === 'loading') session.signOut('initial');
    }
    return state.get();
  }

  /** Any login route: the session it answers with becomes this client's (the whole answer is returned). */
  const startSessionWith = (path: string, body: object, codes: { 401?: 'no_active_account' } = {}) =>
    withLock(SESSION_LOCK, async () => {
      const answer = await http.call('POST', path, { body, codes: { ...AUTH_CODES, ...codes } });
      const result = readSignedIn(answer);
      session.renew();
      if (mode === 'token') await storage.set(result.refresh ?? null);
      access.set(result.access, true);
      session.signedIn(result.user);
      tabs?.broadcast({ type: 'signed-in', access: result.access, user: result.user });
      return { user: result.user, body: answer };
    });
  const signInWith = async (path: string, body: object, codes: { 401?: 'no_active_account' } = {}) =>
    (await startSessionWith(path, body, codes)).user;

  async function signOutEverywhere(reason: SignedOutReason) {
    if (mode === 'token') await storage.set(null);
    session.signOut(reason);
    tabs?.broadcast({ type: 'signed-out' });
  }

  // Another tab signed in, and this one is signed out: the news may be stale, so the server decides.
  const followOtherTab = singleFlight(async () => {
    if (state.get().status !== 'signed-out') return;
    try {
      await refresh();
      await loadUser(false);
    } catch {
      // No session after all (or no network): this tab stays signed out.
    }
  });

  function onTabMessage(message: TabMessage) {
    const current = state.get();
    switch (message.type) {
      case 'signed-out':
        if (current.status === 'signed-out') return;
        if (mode === 'token') void Promise.resolve(storage.set(null)).catch(() => undefined);
        session.signOut(current.status === 'loading' ? 'initial' : 'other-tab');
        return;
      case 'access':
        if (current.status !== 'signed-out' && access.isAtLeastAsNew(message.access)) {
          access.set(message.access, false);
        }
        return;
      case 'signed-in': {
        if (current.status === 'signed-out') return void followOtherTab();
        const otherUser = current.status === 'signed-in' && current.user.id !== message.user.id;
        if (otherUser || access.isAtLeastAsNew(message.access)) access.set(message.access, false);
        if (current.status === 'signed-in') session.signedIn(message.user);
        return;
      }
    }
  }
  const stopListening = tabs?.onMessage(onTabMessage);

  // Loaded on the first call, as the second factors are: the login page does not carry the mailed-link
  // flows, which their own pages use.
  const mailFlows = lazyMethods(MAIL_FLOW_METHODS, async () =>
    (await import('./mail-flows.js')).createMailFlows({
      http,
      authenticatedFetch: (path, init) => authenticated.fetch(path, init, true),
      now,
      async followAccount() {
        if (state.get().status !== 'signed-in') return undefined;
        // Refused: the link ended this session too, and the client has signed out.
        return loadUser(true).catch(() => undefined);
      },
    }),
  );

  // Loaded on the first call: a login page whose users never meet a second factor does not carry it.
  const secondFactors = lazyMethods(SECOND_FACTOR_METHODS, async () => {
    const [{ createSecondFactors }, { createPasskeyCeremonies }] = await Promise.all([
      import('./second-factors.js'),
      import('./passkeys.js'),
    ]);
    return createSecondFactors({
      http,
      authenticatedFetch: (path, init) => authenticated.fetch(path, init, true),
      now,
      signIn: startSessionWith,
      ceremonies: createPasskeyCeremonies(options.webAuthn),
    });
  });

  // Loaded on the first call: the login page asks for the providers after it has shown.
  const oidc = lazyMethods(OIDC_METHODS, async () =>
    (await import('./oidc.js')).createOidc({
      http,
      authenticatedFetch: (path, init) => authenticated.fetch(path, init, true),
      now,
      signIn: startSessionWith,
      ...(options.flowStorage && { flowStorage: options.flowStorage }),
    }),
  );

  return {
    ...mailFlows,
    ...secondFactors,
    ...oidc,
    getState: state.get,
    subscribe: state.subscribe,
    start() {
      starting ??= restore().catch((error: unknown) => {
        starting = undefined;
        throw error;
      });
      return starting;
    },
    login: ({ username, password }) =>
      signInWith('/api/auth/login/', { username, password }, { 401: 'no_active_account' }),
    register: (input) => signInWith('/api/users/', input),
    oidcStartUrl: (name, start) => http.url(oidcStartPath(name, start)),
    async logout() {
      const presented = mode === 'token' ? await storage.get() : null;
      // Signed out here and in every tab first, whatever the network does next.
      await signOutEverywhere('logout');
      if (mode === 'token' && presented === null) return;
      try {
        await withLock(SESSION_LOCK, () => endSession(presented));
      } catch (error) {
        if (error instanceof GatehouseError && (error.code === 'network_error' || error.status === 401))
          return;
        throw error;
      }
    },
    async logoutEverywhere() {
      const init: RequestInit = {
        method: 'POST',
        headers: http.modeHeaders(new Headers({ accept: 'application/json' })),
        ...(mode === 'cookie' && { credentials: 'include' }),
      };
      const response = await authenticated.fetch('/api/auth/logout-all/', init, true);
      if (!response.ok) throw await errorFromResponse(response, now());
      await signOutEverywhere('logout');
    },
    refresh,
    getUser: () => loadUser(true),
    getAccessToken: () => authenticated.accessToken(true),
    fetch: (input, init = {}) => authenticated.fetch(input, init, true),
    dispose() {
      stopListening?.();
      ownTabs?.close();
      state.clear();
    },
  };
}

type SecondFactors = SecondFactorSignIn & SecondFactorManagement;

const SECOND_FACTOR_METHODS = [
  'completeSecondFactor',
  'startTotpEnrollment',
  'confirmTotpEnrollment',
  'signInWithPasskey',
  'passkeySecondStep',
  'getSecondFactors',
  'startTotp',
  'confirmTotp',
  'disableTotp',
  'regenerateRecoveryCodes',
  'listPasskeys',
  'addPasskey',
  'renamePasskey',
  'removePasskey',
] as const satisfies readonly (keyof SecondFactors)[];
// Every method of the interfaces is listed (else this fails to compile).
const allListed: Exclude<keyof SecondFactors, (typeof SECOND_FACTOR_METHODS)[number]> extends never
  ? true
  : false = true;
void allListed;

const MAIL_FLOW_METHODS = [
  'requestPasswordReset',
  'resetPassword',
  'verifyEmail',
  'resendVerification',
  'changeEmail',
  'confirmEmailChange',
  'revertEmailChange',
  'endAllSessions',
] as const satisfies readonly (keyof MailFlows)[];
const allMailFlowsListed: Exclude<keyof MailFlows, (typeof MAIL_FLOW_METHODS)[number]> extends never
  ? true
  : false = true;
void allMailFlowsListed;

const OIDC_METHODS = [
  'oidcProviders',
  'oidcCrossOriginStartUrl',
  'exchangeOidcCode',
  'identities',
  'unlinkIdentity',
] as const satisfies readonly (keyof OidcSignIn)[];
const allOidcListed: Exclude<keyof OidcSignIn, (typeof OIDC_METHODS)[number]> extends never ? true : false =
  true;
void allOidcListed;

type AsyncMethods = Record<string, (...args: never[]) => Promise<unknown>>;

/** An object whose async methods load their implementation on the first call (once). */
function lazyMethods<T extends object>(names: readonly (keyof T & string)[], load: () => Promise<T>): T {
  let loading: Promise<T> | undefined;
  const methods: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const name of names) {
    methods[name] = async (...args) => {
      loading ??= load().catch((error: unknown) => {
        loading = undefined;
        throw error;
      });
      const target = (await loading) as unknown as AsyncMethods;
      return (target[name] as (...args: unknown[]) => Promise<unknown>)(...args);
    };
  }
  return methods as unknown as T;
}
