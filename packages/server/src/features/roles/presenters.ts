import type {
  GroupDetailResponse,
  GroupResponse,
  PermissionsResponse,
  RoleResponse,
} from '@gatehouse/contract';
import type { PermissionsView } from './service.js';
import type { Group, GroupDetail, Role } from './store.js';

export function presentRole(role: Role): RoleResponse {
  return {
    name: role.name,
    description: role.description,
    permissions: role.permissions,
    users_count: role.usersCount,
    created: role.created.toISOString(),
    updated: role.updated.toISOString(),
  };
}

export function presentGroup(group: Group): GroupResponse {
  return {
    name: group.name,
    description: group.description,
    roles: group.roles,
    members_count: group.membersCount,
    created: group.created.toISOString(),
    updated: group.updated.toISOString(),
  };
}

export function presentGroupDetail(group: GroupDetail): GroupDetailResponse {
  return {
    ...presentGroup(group),
    members: group.members.map((member) => ({ id: member.publicId, username: member.username })),
  };
}

export function presentPermissions(view: PermissionsView): PermissionsResponse {
  return {
    is_superuser: view.isSuperuser,
    roles: view.roles,
    groups: view.groups,
    effective_roles: view.effectiveRoles,
    permissions: view.permissions,
  };
}
