/**
 * What a caller may do: a superuser everything, anyone else the effective permissions of their roles
 * (direct and through groups), read from the database for the request at hand.
 */
export interface Authorization {
  readonly superuser: boolean;
  readonly permissions: ReadonlySet<string>;
}

/** The command line: the operator at the server holds every permission. */
export const EVERY_PERMISSION: Authorization = { superuser: true, permissions: new Set() };

export function holds(authz: Authorization, permission: string): boolean {
  return authz.superuser || authz.permissions.has(permission);
}

/** Of `permissions`, those the caller does not hold (sorted): what granting them would escalate. */
export function notHeld(authz: Authorization, permissions: Iterable<string>): string[] {
  if (authz.superuser) return [];
  return [...new Set(permissions)].filter((permission) => !authz.permissions.has(permission)).sort();
}
