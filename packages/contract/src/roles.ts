import { Type, type Static } from 'typebox';

const DateTime = Type.String({ format: 'date-time' });

/**
 * A permission: `resource:action`, lower case (`users:read`, `posts:publish`, and Django's
 * `app_label:codename` after an import, e.g. `blog:add_post`).
 */
export const PERMISSION_PATTERN = '^[a-z0-9_][a-z0-9_.-]{0,63}:[a-z0-9_][a-z0-9_.-]{0,63}$';
export const Permission = Type.String({ pattern: PERMISSION_PATTERN, maxLength: 129 });

/**
 * The name of a role or a group: what the URL carries (`/api/roles/<name>/`). Letters, digits, space,
 * `_`, `.`, `-`; Django's group names (`Content editors`) fit, a slash or a control character does not.
 */
export const ROLE_NAME_PATTERN = '^[\\p{L}\\p{N}][\\p{L}\\p{N} _.-]{0,79}$';
export const RoleName = Type.String({ pattern: ROLE_NAME_PATTERN, minLength: 1, maxLength: 80 });
const Description = Type.String({ maxLength: 500 });
/** At most this many permissions in a role and roles in a group or a user's direct assignment. */
export const MAX_ASSIGNED = 500;

/**
 * The permissions Gatehouse's own routes check. A deployer's own (`posts:publish`) are any other
 * string of the pattern; a role may hold both.
 */
export const GATEHOUSE_PERMISSIONS = {
  /** List and read users, their sessions and factors (the admin app's users pages). */
  usersRead: 'users:read',
  /** Activate and deactivate accounts (PATCH `is_active`), and nothing more. */
  usersDeactivate: 'users:deactivate',
  /** Activate, deactivate, grant or revoke `is_staff`, reset a user's second factors. */
  usersUpdate: 'users:update',
  usersDelete: 'users:delete',
  /** End another user's sessions. */
  sessionsRevoke: 'sessions:revoke',
  auditRead: 'audit:read',
  /** Roles, groups and their assignment (never beyond the permissions the caller holds). */
  rolesManage: 'roles:manage',
} as const;
// Signing keys have no HTTP route to guard: `gatehouse keys …` (whoever runs the CLI holds the database).
export type GatehousePermission = (typeof GATEHOUSE_PERMISSIONS)[keyof typeof GATEHOUSE_PERMISSIONS];

/**
 * In an access token's `permissions` claim: every permission (a superuser). Never a role's permission;
 * the pattern above cannot produce it.
 */
export const ALL_PERMISSIONS = '*';

/**
 * Access token claims, after the simplejwt ones: `roles` (effective role names, direct and through
 * groups), `permissions` (with GATEHOUSE_TOKEN_PERMISSIONS=true), and when the token would grow past its
 * size budget `authz_omitted`: the names of the claims left out or cut short (read the full set from
 * GET /api/users/me/permissions/).
 */
export const ROLES_CLAIM = 'roles';
export const PERMISSIONS_CLAIM = 'permissions';
export const AUTHZ_OMITTED_CLAIM = 'authz_omitted';

/** POST /api/roles/ */
export const RoleCreateRequest = Type.Object({
  name: RoleName,
  description: Type.Optional(Description),
  permissions: Type.Array(Permission, { maxItems: MAX_ASSIGNED }),
});
export type RoleCreateRequest = Static<typeof RoleCreateRequest>;

/** PATCH /api/roles/<name>/: `permissions` replaces the set. The name does not change. */
export const RoleUpdateRequest = Type.Object({
  description: Type.Optional(Description),
  permissions: Type.Optional(Type.Array(Permission, { maxItems: MAX_ASSIGNED })),
});
export type RoleUpdateRequest = Static<typeof RoleUpdateRequest>;

export const RoleResponse = Type.Object({
  name: Type.String(),
  description: Type.String(),
  /** Sorted. */
  permissions: Type.Array(Type.String()),
  /** Users holding the role directly (not through a group). */
  users_count: Type.Integer(),
  created: DateTime,
  updated: DateTime,
});
export type RoleResponse = Static<typeof RoleResponse>;
/** GET /api/roles/: every role, by name (a plain array: roles are few). */
export const RoleListResponse = Type.Array(RoleResponse);
export type RoleListResponse = Static<typeof RoleListResponse>;

/** POST /api/groups/ */
export const GroupCreateRequest = Type.Object({
  name: RoleName,
  description: Type.Optional(Description),
  roles: Type.Array(RoleName, { maxItems: MAX_ASSIGNED }),
});
export type GroupCreateRequest = Static<typeof GroupCreateRequest>;

/** PATCH /api/groups/<name>/: `roles` replaces the set. */
export const GroupUpdateRequest = Type.Object({
  description: Type.Optional(Description),
  roles: Type.Optional(Type.Array(RoleName, { maxItems: MAX_ASSIGNED })),
});
export type GroupUpdateRequest = Static<typeof GroupUpdateRequest>;

/** A member as a group lists it. */
export const GroupMember = Type.Object({ id: Type.String({ format: 'uuid' }), username: Type.String() });
export type GroupMember = Static<typeof GroupMember>;

export const GroupResponse = Type.Object({
  name: Type.String(),
  description: Type.String(),
  roles: Type.Array(Type.String()),
  members_count: Type.Integer(),
  created: DateTime,
  updated: DateTime,
});
export type GroupResponse = Static<typeof GroupResponse>;
export const GroupListResponse = Type.Array(GroupResponse);
export type GroupListResponse = Static<typeof GroupListResponse>;
/** GET /api/groups/<name>/: the group and its members (by username). */
export const GroupDetailResponse = Type.Object({
  ...GroupResponse.properties,
  members: Type.Array(GroupMember),
});
export type GroupDetailResponse = Static<typeof GroupDetailResponse>;

/** PUT /api/groups/<name>/members/: the whole membership, by public ids. */
export const GroupMembersRequest = Type.Object({
  users: Type.Array(Type.String({ format: 'uuid' }), { maxItems: 10_000 }),
});
export type GroupMembersRequest = Static<typeof GroupMembersRequest>;

/** PUT /api/users/<public_id>/roles/: the user's direct roles, replaced. */
export const UserRolesRequest = Type.Object({ roles: Type.Array(RoleName, { maxItems: MAX_ASSIGNED }) });
export type UserRolesRequest = Static<typeof UserRolesRequest>;
/** PUT /api/users/<public_id>/groups/: the user's groups, replaced. */
export const UserGroupsRequest = Type.Object({ groups: Type.Array(RoleName, { maxItems: MAX_ASSIGNED }) });
export type UserGroupsRequest = Static<typeof UserGroupsRequest>;

/**
 * GET /api/users/me/permissions/ (and what a user's detail adds): `roles` are the direct ones,
 * `effective_roles` add those of the groups, `permissions` is the effective set, sorted. A superuser
 * holds every permission: `is_superuser` says so and `permissions` lists every permission known
 * (Gatehouse's and those of any role).
 */
export const PermissionsResponse = Type.Object({
  is_superuser: Type.Boolean(),
  roles: Type.Array(Type.String()),
  groups: Type.Array(Type.String()),
  effective_roles: Type.Array(Type.String()),
  permissions: Type.Array(Type.String()),
});
export type PermissionsResponse = Static<typeof PermissionsResponse>;
