import { useEffect, useRef, type ReactNode } from 'react';
import type { AuthClient } from '../auth-client.js';
import { AuthClientContext } from './auth-context.js';

export interface AuthProviderProps {
  /** Created by the app, once (outside any component), and kept for the page's life. */
  client: AuthClient;
  children?: ReactNode;
  /**
   * start() could not reach the server (or it failed): the state stays 'loading'. The app may show a
   * message and call `client.start()` again.
   */
  onStartError?: (error: unknown) => void;
}

/**
 * Makes the client available to useAuth() and RequireAuth, and starts it (restores the session) on mount.
 *
 * @example
 * const auth = createAuthClient();
 *
 * createRoot(root).render(
 *   <AuthProvider client={auth}>
 *     <App />
 *   </AuthProvider>,
 * );
 */
export function AuthProvider({ client, children, onStartError }: AuthProviderProps) {
  const onError = useRef(onStartError);
  useEffect(() => {
    onError.current = onStartError;
  });
  useEffect(() => {
    client.start().catch((error: unknown) => onError.current?.(error));
  }, [client]);
  return <AuthClientContext value={client}>{children}</AuthClientContext>;
}
