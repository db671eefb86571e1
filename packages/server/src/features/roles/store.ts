import type { NewAuditEntry } from '../../store/audit/store.js';

/** A role: a name for a set of permissions (`resource:action`). */
export interface Role {
  id: number;
  name: string;
  description: string;
  /** Sorted. */
  permissions: string[];
  /** Users holding it directly (not through a group). */
  usersCount: number;
  created: Date;
  updated: Date;
}

export interface NewRole {
  name: string;
  description: string;
  permissions: readonly string[];
}

/** A group: members, and roles each member holds through it. */
export interface Group {
  id: number;
  name: string;
  description: string;
  /** Role names, sorted. */
  roles: string[];
  membersCount: number;
  created: Date;
  updated: Date;
}

export interface NewGroup {
  name: string;
  description: string;
  roles: readonly string[];
}

export interface GroupMemberRef {
  userId: number;
  publicId: string;
  username: string;
}

export interface GroupDetail extends Group {
  /** By username. */
  members: GroupMemberRef[];
}

/**
 * What the roles tables say of a user (is_superuser aside): direct roles, groups, the roles of both, and
 * the permissions of those. Every list sorted.
 */
export interface UserAuthz {
  roles: string[];
  groups: string[];
  effectiveRoles: string[];
  permissions: string[];
}

/** What an access token carries: effective role names, and their permissions when asked for. Sorted. */
export interface TokenAuthz {
  roles: string[];
  permissions: string[];
}

/** What a replacement of a set changed: names added, names removed (sorted). */
export interface SetChange {
  added: string[];
  removed: string[];
}

export type RoleFailure =
  | { ok: false; code: 'not_found' }
  | { ok: false; code: 'role_exists' | 'group_exists' }
  /** Names (or public ids, for users) that matched nothing: nothing was written. */
  | { ok: false; code: 'unknown_role' | 'unknown_group' | 'unknown_user'; names: string[] };

/**
 * The store slice of roles, groups and their assignment. Every change writes its audit entry in its own
 * transaction; the `insert…` functions of kysely-store.ts do the same writes inside a caller's
 * transaction (an importer's). Names that match nothing make a change write nothing.
 */
export interface RoleStore {
  listRoles(): Promise<Role[]>;
  findRole(name: string): Promise<Role | undefined>;
  /** The permissions of each named role that exists. */
  rolePermissions(names: readonly string[]): Promise<Map<string, string[]>>;
  createRole(role: NewRole, now: Date, audit: NewAuditEntry): Promise<{ ok: true; role: Role } | RoleFailure>;
  /** `permissions` replaces the set; `audit` is given what changed in it. */
  updateRole(
    name: string,
    changes: { description?: string; permissions?: readonly string[] },
    now: Date,
    audit: (permissions: SetChange) => NewAuditEntry,
  ): Promise<{ ok: true; role: Role } | RoleFailure>;
  /** Its assignments go with it. */
  deleteRole(name: string, audit: NewAuditEntry): Promise<boolean>;

  listGroups(): Promise<Group[]>;
  findGroup(name: string): Promise<GroupDetail | undefined>;
  /** The role names and the permissions of each named group that exists. */
  groupPermissions(names: readonly string[]): Promise<Map<string, TokenAuthz>>;
  createGroup(
    group: NewGroup,
    now: Date,
    audit: NewAuditEntry,
  ): Promise<{ ok: true; group: Group } | RoleFailure>;
  /** `roles` replaces the set. */
  updateGroup(
    name: string,
    changes: { description?: string; roles?: readonly string[] },
    now: Date,
    audit: (roles: SetChange) => NewAuditEntry,
  ): Promise<{ ok: true; group: Group } | RoleFailure>;
  deleteGroup(name: string, audit: NewAuditEntry): Promise<boolean>;
  /** The whole membership, by public ids; `audit` is given the usernames added and removed. */
  setGroupMembers(
    name: string,
    publicIds: readonly string[],
    now: Date,
    audit: (members: SetChange) => NewAuditEntry,
  ): Promise<{ ok: true; change: SetChange } | RoleFailure>;

  /** The user's direct roles, replaced. */
  setUserRoles(
    userId: number,
    roles: readonly string[],
    audit: (roles: SetChange) => NewAuditEntry,
  ): Promise<{ ok: true; change: SetChange } | RoleFailure>;
  /** The user's groups, replaced. */
  setUserGroups(
    userId: number,
    groups: readonly string[],
    audit: (groups: SetChange) => NewAuditEntry,
  ): Promise<{ ok: true; change: SetChange } | RoleFailure>;

  userAuthz(userId: number): Promise<UserAuthz>;
  /** The user's effective permissions (roles direct and through groups): one indexed query. */
  effectivePermissions(userId: number): Promise<string[]>;
  /** What the user's access tokens carry: one statement, precompiled (it runs on every refresh). */
  tokenAuthz(userId: number, withPermissions: boolean): Promise<TokenAuthz>;
  /** Every permission some role holds, sorted. */
  knownPermissions(): Promise<string[]>;
}
