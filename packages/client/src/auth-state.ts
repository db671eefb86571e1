import type { AccountResponse } from '@gatehouse/contract';

/**
 * The signed-in user's account, as GET /api/users/me/ answers it. `email_verified`: whether the user
 * proved the address is theirs (by a mailed link).
 */
export type Account = AccountResponse & { email_verified: boolean };

/** Why there is no session: never was one here, the user logged out, it lapsed, or another tab ended it. */
export type SignedOutReason = 'initial' | 'logout' | 'expired' | 'other-tab';

export type AuthState =
  | { status: 'loading' }
  | { status: 'signed-in'; user: Account }
  | { status: 'signed-out'; reason: SignedOutReason };

export interface StateStore {
  get(): AuthState;
  set(next: AuthState): void;
  subscribe(listener: (state: AuthState) => void): () => void;
  clear(): void;
}

/** Holds the state; a new object only on a change, so React's useSyncExternalStore sees stable snapshots. */
export function createStateStore(): StateStore {
  let state: AuthState = { status: 'loading' };
  const listeners = new Set<(state: AuthState) => void>();
  return {
    get: () => state,
    set(next) {
      state = next;
      for (const listener of [...listeners]) listener(state);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    clear: () => listeners.clear(),
  };
}
