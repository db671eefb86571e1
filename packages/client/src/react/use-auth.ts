import { useContext, useMemo, useSyncExternalStore } from 'react';
import type { AuthClient } from '../auth-client.js';
import type { Account, AuthState } from '../auth-state.js';
import { AuthClientContext } from './auth-context.js';

export interface UseAuthResult {
  state: AuthState;
  status: AuthState['status'];
  /** The signed-in user, else null. */
  user: Account | null;
  login: AuthClient['login'];
  register: AuthClient['register'];
  logout: AuthClient['logout'];
  logoutEverywhere: AuthClient['logoutEverywhere'];
  /** Reads the account again, e.g. after editing the profile. */
  refreshUser: AuthClient['getUser'];
  /** fetch with the access token. */
  fetch: AuthClient['fetch'];
  client: AuthClient;
}

/** The client given to the nearest AuthProvider. */
export function useAuthClient(): AuthClient {
  const client = useContext(AuthClientContext);
  if (client === null) throw new Error('useAuth() needs an <AuthProvider client={…}> above it');
  return client;
}

/**
 * The session's state, re-rendering on every change, and the client's actions.
 *
 * @example
 * function LoginForm() {
 *   const { login } = useAuth();
 *   const navigate = useNavigate();
 *   const onSubmit = async (username: string, password: string) => {
 *     await login({ username, password });
 *     navigate('/');
 *   };
 *   // …
 * }
 */
export function useAuth(): UseAuthResult {
  const client = useAuthClient();
  const state = useSyncExternalStore(client.subscribe, client.getState, client.getState);
  return useMemo(
    () => ({
      state,
      status: state.status,
      user: state.status === 'signed-in' ? state.user : null,
      login: client.login,
      register: client.register,
      logout: client.logout,
      logoutEverywhere: client.logoutEverywhere,
      refreshUser: client.getUser,
      fetch: client.fetch,
      client,
    }),
    [client, state],
  );
}
