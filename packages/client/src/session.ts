import { createAccessToken, type AccessToken } from './access-token.js';
import { createStateStore, type Account, type SignedOutReason, type StateStore } from './auth-state.js';
import { GatehouseError } from './errors.js';

/** The Web Lock taken, across tabs, around everything that presents or replaces the refresh token. */
export const SESSION_LOCK = 'gatehouse-session';
/** Browser-mode refusals by the CSRF check carry no code. */
export const AUTH_CODES = { 403: 'csrf_failed' } as const;

/** The state, the access token, and which session they belong to. */
export interface Session {
  readonly state: StateStore;
  readonly access: AccessToken;
  /** Changes at every sign-in and sign-out: an answer to a request sent before is another session's. */
  epoch(): number;
  /** A login or registration: the session that follows is a new one. */
  renew(): void;
  signedIn(user: Account): void;
  signOut(reason: SignedOutReason): void;
  /** The server refused the session. */
  expire(): void;
}

export function createSession(now: () => number, leewayMs: number): Session {
  const state = createStateStore();
  const access = createAccessToken(now, leewayMs);
  let epoch = 0;
  const signOut = (reason: SignedOutReason) => {
    epoch++;
    access.clear();
    // Already signed out: the first reason is the one to tell.
    if (state.get().status !== 'signed-out') state.set({ status: 'signed-out', reason });
  };
  return {
    state,
    access,
    epoch: () => epoch,
    renew() {
      epoch++;
    },
    signedIn(user) {
      const current = state.get();
      if (current.status !== 'signed-in' || current.user !== user) state.set({ status: 'signed-in', user });
    },
    signOut,
    expire: () => signOut(state.get().status === 'loading' ? 'initial' : 'expired'),
  };
}

export const is401 = (error: unknown): error is GatehouseError =>
  error instanceof GatehouseError && error.status === 401;

export const sessionChanged = () =>
  new GatehouseError({ status: 401, code: 'not_authenticated', detail: 'The session changed meanwhile.' });
