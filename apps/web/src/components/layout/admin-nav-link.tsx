import { NavLink } from 'react-router';
import type { Account } from '@gatehouse/client';
import { useViewerPermissions } from '../../lib/permissions';

/** "Admin" in the header, for a user whose permissions open at least one admin page. */
export function AdminNavLink({
  user,
  className,
}: {
  user: Account;
  className: (state: { isActive: boolean }) => string;
}) {
  const state = useViewerPermissions(user);
  if (state.status !== 'ready' || state.data.adminPages.length === 0) return null;
  return (
    <NavLink to="/admin" className={className}>
      Admin
    </NavLink>
  );
}
