import type { AccessClaims } from './types.js';

/** Why a valid token does not allow an action. Stable strings: switch on them. */
export type PermissionFailureCode =
  /** The token's `permissions` hold the full set, and it lacks one asked for: answer 403. */
  | 'permission_denied'
  /**
   * The token does not carry the full set: Gatehouse signs `permissions` only with
   * GATEHOUSE_TOKEN_PERMISSIONS=true, and leaves them out (`authz_omitted`) when they would make the token
   * too large. Ask Gatehouse: GET /api/users/me/permissions/ with the same bearer token.
   */
  | 'permissions_unknown';

export type PermissionResult = { ok: true } | { ok: false; code: PermissionFailureCode };

/** In `permissions`: every permission (a superuser). */
const ALL = '*';

type Claims = Pick<AccessClaims, 'roles' | 'permissions' | 'authz_omitted'>;

const strings = (value: unknown): readonly string[] | undefined =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined;

/** Whether the token carries the full set: the claim present, and not named in `authz_omitted`. */
const permissionsWhole = (claims: Claims) =>
  strings(claims.permissions) !== undefined && !(strings(claims.authz_omitted) ?? []).includes('permissions');

/**
 * Whether the token names the role (directly or through a group: `roles` holds the effective roles). A
 * token that left its roles out (`authz_omitted`) says no for the roles it does not list.
 */
export function hasRole(claims: Claims, role: string): boolean {
  return strings(claims.roles)?.includes(role) ?? false;
}

/**
 * Whether the token grants the permission: listed in `permissions`, or `*` (a superuser holds every
 * permission). A token without the claim says no: use `requirePermission` to tell "no" from "unknown".
 */
export function hasPermission(claims: Claims, permission: string): boolean {
  const held = strings(claims.permissions);
  return held !== undefined && (held.includes(ALL) || held.includes(permission));
}

/**
 * The permissions an action needs (every one of them), as one value. `permission_denied` is a 403;
 * `permissions_unknown` means the token does not say, and Gatehouse does
 * (GET /api/users/me/permissions/ with the same bearer token).
 *
 * @example
 * const result = await verifier.verify(readBearer(request.headers.authorization));
 * if (!result.ok) return reply.code(401).send({ code: result.code });
 * const allowed = requirePermission(result.claims, 'orders:refund');
 * if (!allowed.ok) return reply.code(403).send({ code: allowed.code });
 */
export function requirePermission(claims: Claims, permission: string | readonly string[]): PermissionResult {
  const needed = typeof permission === 'string' ? [permission] : permission;
  const missing = needed.filter((name) => !hasPermission(claims, name));
  if (missing.length === 0) return { ok: true };
  return { ok: false, code: permissionsWhole(claims) ? 'permission_denied' : 'permissions_unknown' };
}
