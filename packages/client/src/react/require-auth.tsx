import type { ReactNode } from 'react';
import type { Account } from '../auth-state.js';
import { useAuth } from './use-auth.js';

export interface RequireAuthProps {
  children?: ReactNode;
  /** Shown when signed out: typically the router's redirect to the login page. */
  fallback: ReactNode;
  /** Shown while the session is being restored, so a signed-in user never sees the fallback flash. */
  loading?: ReactNode;
  /** Who may see the children (default: any signed-in user). */
  allow?: (user: Account) => boolean;
  /** Shown to a signed-in user that `allow` refuses. */
  forbidden?: ReactNode;
}

/**
 * Shows its children to signed-in users only. It knows no router: the app says what to show instead.
 *
 * @example
 * function Protected() {
 *   const location = useLocation();
 *   return (
 *     <RequireAuth
 *       fallback={<Navigate to="/login" state={{ from: location }} replace />}
 *       loading={<Spinner />}
 *       allow={(user) => user.is_staff}
 *       forbidden={<p>Staff only.</p>}
 *     >
 *       <Outlet />
 *     </RequireAuth>
 *   );
 * }
 */
export function RequireAuth({
  children,
  fallback,
  loading = null,
  allow,
  forbidden = null,
}: RequireAuthProps) {
  const { state } = useAuth();
  if (state.status === 'loading') return loading;
  if (state.status === 'signed-out') return fallback;
  if (allow !== undefined && !allow(state.user)) return forbidden;
  return children;
}
