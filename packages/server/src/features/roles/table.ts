import type { Generated } from 'kysely';

/**
 * Roles, groups and their assignment (migration 0008). A user's effective permissions are those of their
 * direct roles and of the roles of their groups. Groups are `user_groups`: `groups` is a keyword in
 * places (MySQL, window clauses). Timestamps are ISO-8601 text, as in the rest of the schema.
 */
export interface RolesTable {
  id: Generated<number>;
  /** Unique, as given (the URL carries it). */
  name: string;
  description: string;
  created: string;
  updated: string;
}

export interface RolePermissionsTable {
  role_id: number;
  /** `resource:action`. */
  permission: string;
}

export interface UserGroupsTable {
  id: Generated<number>;
  name: string;
  description: string;
  created: string;
  updated: string;
}

export interface GroupRolesTable {
  group_id: number;
  role_id: number;
}

export interface GroupMembersTable {
  group_id: number;
  user_id: number;
}

export interface UserRolesTable {
  user_id: number;
  role_id: number;
}
