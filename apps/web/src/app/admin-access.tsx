import { Outlet } from 'react-router';
import { useAuth } from '@gatehouse/client/react';
import type { Account } from '@gatehouse/client';
import { Alert } from '../components/ui/alert';
import { PageSpinner } from '../components/ui/spinner';
import { errorMessage } from '../lib/form-errors';
import { useViewerPermissions, ViewerProvider } from '../lib/permissions';
import { ForbiddenRoute } from './routes/forbidden';

/**
 * The admin area's door (inside RequireAdmin, so signed in): the viewer's permissions, read once for
 * every admin page, which shows only what they allow.
 */
export function AdminAccess() {
  const { user } = useAuth();
  return user && <Door user={user} />;
}

function Door({ user }: { user: Account }) {
  const state = useViewerPermissions(user);
  if (state.status === 'loading') return <PageSpinner label="Checking your access…" />;
  if (state.status === 'error') return <Alert tone="error">{errorMessage(state.error)}</Alert>;
  if (state.data.adminPages.length === 0) return <ForbiddenRoute />;
  return (
    <ViewerProvider value={state.data}>
      <Outlet />
    </ViewerProvider>
  );
}
