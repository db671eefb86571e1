import { useCallback } from 'react';
import { Navigate, useLocation, useSearchParams } from 'react-router';
import { Alert } from '../../../components/ui/alert';
import { PageHeader } from '../../../components/ui/page-header';
import { UserList, type UserQuery } from '../../../features/admin/components/user-list';
import { USERS_READ, useViewer } from '../../../lib/permissions';
import { useDocumentTitle } from '../../../lib/use-document-title';

function pageParam(value: string | null): number {
  const page = Number(value);
  return Number.isInteger(page) && page > 0 ? page : 1;
}

/** The admin area's first page: the users, or for a viewer who may not read them, the first page they may open. */
export function AdminUsersRoute() {
  const { can, adminPages } = useViewer();
  const first = adminPages[0];
  if (!can(USERS_READ) && first) return <Navigate to={first.to} replace />;
  return <Users />;
}

function Users() {
  useDocumentTitle('Users');
  const location = useLocation();
  const [params, setParams] = useSearchParams();
  const search = params.get('search') ?? '';
  const page = pageParam(params.get('page'));
  const deleted = (location.state as { deleted?: unknown } | null)?.deleted;

  const onQueryChange = useCallback(
    (query: UserQuery) => {
      const next = new URLSearchParams();
      if (query.search) next.set('search', query.search);
      if (query.page > 1) next.set('page', String(query.page));
      // Typing replaces the history entry; paging adds one, so Back goes to the previous page.
      setParams(next, { replace: query.page === 1 });
    },
    [setParams],
  );

  return (
    <>
      <PageHeader
        title="Users"
        description="Every account. Open one to change its access or end its sessions."
      />
      {typeof deleted === 'string' && (
        <Alert tone="success" className="page-notice">
          {deleted} was deleted.
        </Alert>
      )}
      <UserList search={search} page={page} onQueryChange={onQueryChange} />
    </>
  );
}
