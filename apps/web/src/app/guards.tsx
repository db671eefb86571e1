import { lazy, Suspense, useEffect, useRef } from 'react';
import { Navigate, Outlet, useLocation } from 'react-router';
import { RequireAuth, useAuth } from '@gatehouse/client/react';
import { PageSpinner } from '../components/ui/spinner';
import { readLoginState, returnPath, type LoginState } from './login-state';

const restoring = <PageSpinner label="Restoring your session…" />;
// Loaded on demand, as the pages are (routes.tsx): the permission check serves the admin area only.
const AdminAccess = lazy(async () => ({ default: (await import('./admin-access')).AdminAccess }));

/** Signed-out visitors go to /login, which brings them back here afterwards (unless they logged out). */
function RedirectToLogin() {
  const location = useLocation();
  const { state } = useAuth();
  const reason = state.status === 'signed-out' ? state.reason : 'initial';
  const loginState: LoginState =
    reason === 'logout'
      ? { reason }
      : { reason, from: { pathname: location.pathname, search: location.search, hash: location.hash } };
  return <Navigate to="/login" replace state={loginState} />;
}

/** The pages of signed-in users. While the session is restored: a neutral spinner, never the login page. */
export function RequireSignedIn() {
  return (
    <RequireAuth fallback={<RedirectToLogin />} loading={restoring}>
      <Outlet />
    </RequireAuth>
  );
}

/**
 * Administration: for users holding a permission that opens one of its pages (a superuser holds them
 * all); anyone else signed in is told so, not shown the admin UI.
 */
export function RequireAdmin() {
  return (
    <RequireAuth fallback={<RedirectToLogin />} loading={restoring}>
      <Suspense fallback={restoring}>
        <AdminAccess />
      </Suspense>
    </RequireAuth>
  );
}

/** /login and /register: signed-in users are sent on to where they were going. */
export function GuestOnly() {
  const { status } = useAuth();
  const location = useLocation();
  const loginState = readLoginState(location.state);
  if (status === 'loading') return restoring;
  if (status === 'signed-in') {
    if (loginState.signOut) return <FinishSignOut />;
    return <Navigate to={returnPath(loginState)} replace />;
  }
  // Signed out now: forget the flag, so a later sign-in on this page is not undone.
  if (loginState.signOut) {
    const { signOut: _done, ...rest } = loginState;
    return <Navigate to={location.pathname} replace state={rest} />;
  }
  return <Outlet />;
}

/**
 * The session already ended on the server (the account was deleted): sign the client out from here, once
 * this page shows, so the page the user left never sees the sign-out and redirects on its own.
 */
function FinishSignOut() {
  const { logout } = useAuth();
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    logout().catch(() => undefined);
  }, [logout]);
  return <PageSpinner label="Signing you out…" />;
}
