import { ALL_PERMISSIONS, AUTHZ_OMITTED_CLAIM, PERMISSIONS_CLAIM, ROLES_CLAIM } from '@gatehouse/contract';
import type { RoleStore } from '../features/roles/store.js';
import type { User } from '../store/users/store.js';

/**
 * Bytes of JSON the authorization claims may take in an access token. The rest of a token (header,
 * simplejwt's claims, the session's, a 2048-bit RSA signature) stays under 1.5 KB, so a token keeps
 * under 4 KB, what a cookie and most proxies' header limits allow, however many roles its user has.
 */
export const AUTHZ_CLAIMS_BUDGET = 2048;

/** Claims an access token carries beside simplejwt's and the session's. */
export type AccessClaims = Readonly<Record<string, unknown>>;

export interface AccessClaimsDeps {
  store: Pick<RoleStore, 'tokenAuthz'>;
  /** Carry `permissions` too (GATEHOUSE_TOKEN_PERMISSIONS). */
  permissions: boolean;
  budget?: number;
}

/**
 * What an access token says of its user's authorization, read when it is signed (login, refresh): the
 * effective role names and, when configured, permissions (a superuser's: `*`). A change of roles reaches
 * the services behind Gatehouse at the next refresh, at most one access lifetime later.
 */
export function createAccessClaims({
  store,
  permissions,
  budget = AUTHZ_CLAIMS_BUDGET,
}: AccessClaimsDeps): (user: User) => Promise<AccessClaims> {
  return async (user) => {
    const authz = await store.tokenAuthz(user.id, permissions && !user.isSuperuser);
    const held = user.isSuperuser ? [ALL_PERMISSIONS] : authz.permissions;
    return fitClaims(authz.roles, permissions ? held : undefined, budget);
  };
}

const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/**
 * The claims within `budget` bytes: whole when they fit; else without `permissions`, then with the
 * first roles that fit (sorted, so a cut is the same on every refresh). `authz_omitted` names what was
 * left out or cut: a service reading it asks GET /api/users/me/permissions/ for the full set.
 */
export function fitClaims(roles: string[], permissions: string[] | undefined, budget: number): AccessClaims {
  const whole = { [ROLES_CLAIM]: roles, ...(permissions && { [PERMISSIONS_CLAIM]: permissions }) };
  if (size(whole) <= budget) return whole;
  const omitted = permissions ? [PERMISSIONS_CLAIM] : [];
  const withoutPermissions = { [ROLES_CLAIM]: roles, [AUTHZ_OMITTED_CLAIM]: omitted };
  if (size(withoutPermissions) <= budget) return withoutPermissions;
  const cut = { [ROLES_CLAIM]: [] as string[], [AUTHZ_OMITTED_CLAIM]: [...omitted, ROLES_CLAIM] };
  let used = size(cut);
  for (const role of roles) {
    // A name, its quotes, and the comma before every name but the first.
    const cost = size(role) + (cut[ROLES_CLAIM].length > 0 ? 1 : 0);
    if (used + cost > budget) break;
    cut[ROLES_CLAIM].push(role);
    used += cost;
  }
  return cut;
}
