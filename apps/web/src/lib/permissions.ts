import { createContext, useContext, useMemo } from 'react';
import { createRolesClient, GatehouseError, type Account, type RolesClient } from '@gatehouse/client';
import { useAuth } from '@gatehouse/client/react';
import type { GatehousePermission, PermissionsResponse } from '@gatehouse/contract';
import { useResource, type ResourceState } from './use-resource';

/** The permissions Gatehouse's admin routes check (the contract's GATEHOUSE_PERMISSIONS, as plain strings). */
export const USERS_READ = 'users:read' satisfies GatehousePermission;
export const USERS_DEACTIVATE = 'users:deactivate' satisfies GatehousePermission;
export const USERS_UPDATE = 'users:update' satisfies GatehousePermission;
export const USERS_DELETE = 'users:delete' satisfies GatehousePermission;
export const SESSIONS_REVOKE = 'sessions:revoke' satisfies GatehousePermission;
export const AUDIT_READ = 'audit:read' satisfies GatehousePermission;
export const ROLES_MANAGE = 'roles:manage' satisfies GatehousePermission;

/** The pages of the admin area, each with the permission that opens it, in the order of its tabs. */
export const ADMIN_PAGES = [
  { to: '/admin', label: 'Users', permission: USERS_READ },
  { to: '/admin/roles', label: 'Roles', permission: ROLES_MANAGE },
  { to: '/admin/groups', label: 'Groups', permission: ROLES_MANAGE },
  { to: '/admin/audit', label: 'Audit log', permission: AUDIT_READ },
] as const;

/** What the signed-in user may do, as the pages ask it. */
export interface Viewer {
  isSuperuser: boolean;
  /** A superuser holds every permission. */
  can(permission: string): boolean;
  /** The admin pages this viewer may open (none: the admin area is not for them). */
  adminPages: readonly (typeof ADMIN_PAGES)[number][];
}

export function viewerOf(isSuperuser: boolean, permissions: readonly string[]): Viewer {
  const held = new Set(permissions);
  const can = (permission: string) => isSuperuser || held.has(permission);
  return { isSuperuser, can, adminPages: ADMIN_PAGES.filter((page) => can(page.permission)) };
}

/**
 * The signed-in user's permissions, from GET /api/users/me/permissions/ (the database, so a change shows
 * at the next page load, not at the next token). A server without roles (404) has superusers only.
 */
export function useViewerPermissions(user: Account): ResourceState<Viewer> {
  const client = useRolesClient();
  const { state } = useResource(`permissions-${user.id}`, async () => {
    // A superuser holds every permission: nothing to ask.
    if (user.is_superuser) return viewerOf(true, []);
    try {
      const answer: PermissionsResponse = await client.getMyPermissions();
      return viewerOf(answer.is_superuser, answer.permissions);
    } catch (error) {
      if (error instanceof GatehouseError && error.status === 404) return viewerOf(user.is_superuser, []);
      throw error;
    }
  });
  return state;
}

const ViewerContext = createContext<Viewer | null>(null);
/** Provided by the admin area's guard (app/admin-access.tsx) to every admin page. */
export const ViewerProvider = ViewerContext.Provider;

/** The viewer's permissions, inside the admin area. */
export function useViewer(): Viewer {
  const viewer = useContext(ViewerContext);
  if (!viewer) throw new Error('useViewer outside the admin area (no ViewerProvider).');
  return viewer;
}

/** The roles and groups API over the app's Gatehouse client. */
export function useRolesClient(): RolesClient {
  const { client } = useAuth();
  return useMemo(() => createRolesClient(client), [client]);
}
