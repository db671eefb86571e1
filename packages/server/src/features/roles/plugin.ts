import {
  GATEHOUSE_PERMISSIONS,
  GroupCreateRequest,
  GroupDetailResponse,
  GroupListResponse,
  GroupMembersRequest,
  GroupResponse,
  GroupUpdateRequest,
  PermissionsResponse,
  RoleCreateRequest,
  RoleListResponse,
  RoleResponse,
  RoleUpdateRequest,
  UserGroupsRequest,
  UserRolesRequest,
} from '@gatehouse/contract';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Feature } from '../../core/core.js';
import { notFound } from '../../http/errors.js';
import { allowOnly } from '../../http/method-not-allowed.js';
import { rolesError } from './errors.js';
import { presentGroup, presentGroupDetail, presentPermissions, presentRole } from './presenters.js';
import { createRolesService, type Actor } from './service.js';

const tags = ['administration'];
/** Any string: a name that matches nothing is a 404 from the lookup. */
const NameParams = Type.Object({ name: Type.String() });
const UserParams = Type.Object({ publicId: Type.String() });

/**
 * Roles, groups and their assignment (`roles:manage`), and every signed-in user's own permissions. A
 * role holds permissions (`resource:action`); a group holds roles and members; a user's effective
 * permissions are those of their direct roles and of their groups' roles.
 */
export const rolesFeature: Feature = async (app, { store, clock, guards }) => {
  const roles = createRolesService({ store, clock });
  const manage = guards.permission(GATEHOUSE_PERMISSIONS.rolesManage);
  const actor = (request: FastifyRequest): Actor => {
    const caller = guards.caller(request);
    return {
      user: caller.user,
      name: caller.user.username,
      ip: caller.client.ip,
      authz: guards.authorization(request),
    };
  };

  app.get(
    '/api/users/me/permissions/',
    {
      preValidation: guards.signedIn,
      schema: {
        tags: ['accounts'],
        summary:
          "The caller's roles (direct, through groups) and effective permissions, as the server checks them",
        response: { 200: PermissionsResponse },
      },
    },
    async (request) => presentPermissions(await roles.permissionsOf(guards.caller(request).user)),
  );
  allowOnly(app, '/api/users/me/permissions/', ['GET']);

  app.get(
    '/api/roles/',
    {
      preValidation: manage,
      schema: { tags, summary: 'Every role, by name (roles:manage)', response: { 200: RoleListResponse } },
    },
    async () => (await roles.listRoles()).map(presentRole),
  );
  app.post(
    '/api/roles/',
    {
      preValidation: manage,
      schema: {
        tags,
        summary: 'Create a role (roles:manage; only permissions the caller holds)',
        body: RoleCreateRequest,
        response: { 201: RoleResponse },
      },
    },
    async (request, reply) => {
      const result = await roles.createRole(actor(request), request.body);
      if (!result.ok) throw rolesError(result);
      return reply.code(201).send(presentRole(result.role));
    },
  );
  allowOnly(app, '/api/roles/', ['GET', 'POST']);

  app.get(
    '/api/roles/:name/',
    {
      preValidation: manage,
      schema: {
        tags,
        summary: 'One role (roles:manage)',
        params: NameParams,
        response: { 200: RoleResponse },
      },
    },
    async (request) => {
      const role = await roles.findRole(request.params.name);
      if (!role) throw notFound();
      return presentRole(role);
    },
  );
  app.patch(
    '/api/roles/:name/',
    {
      preValidation: manage,
      schema: {
        tags,
        summary: "Change a role's description or replace its permissions (roles:manage)",
        params: NameParams,
        body: RoleUpdateRequest,
        response: { 200: RoleResponse },
      },
    },
    async (request) => {
      const result = await roles.updateRole(actor(request), request.params.name, request.body);
      if (!result.ok) throw rolesError(result);
      return presentRole(result.role);
    },
  );
  app.delete(
    '/api/roles/:name/',
    {
      preValidation: manage,
      schema: { tags, summary: 'Delete a role and its assignments (roles:manage)', params: NameParams },
    },
    async (request, reply) => {
      const result = await roles.deleteRole(actor(request), request.params.name);
      if (!result.ok) throw rolesError(result);
      return reply.code(204).send();
    },
  );
  allowOnly(app, '/api/roles/:name/', ['GET', 'PATCH', 'DELETE']);

  app.get(
    '/api/groups/',
    {
      preValidation: manage,
      schema: { tags, summary: 'Every group, by name (roles:manage)', response: { 200: GroupListResponse } },
    },
    async () => (await roles.listGroups()).map(presentGroup),
  );
  app.post(
    '/api/groups/',
    {
      preValidation: manage,
      schema: {
        tags,
        summary: 'Create a group with roles (roles:manage; only roles within the caller’s permissions)',
        body: GroupCreateRequest,
        response: { 201: GroupResponse },
      },
    },
    async (request, reply) => {
      const result = await roles.createGroup(actor(request), request.body);
      if (!result.ok) throw rolesError(result);
      return reply.code(201).send(presentGroup(result.group));
    },
  );
  allowOnly(app, '/api/groups/', ['GET', 'POST']);

  app.get(
    '/api/groups/:name/',
    {
      preValidation: manage,
      schema: {
        tags,
        summary: 'One group and its members (roles:manage)',
        params: NameParams,
        response: { 200: GroupDetailResponse },
      },
    },
    async (request) => {
      const group = await roles.findGroup(request.params.name);
      if (!group) throw notFound();
      return presentGroupDetail(group);
    },
  );
  app.patch(
    '/api/groups/:name/',
    {
      preValidation: manage,
      schema: {
        tags,
        summary: "Change a group's description or replace its roles (roles:manage)",
        params: NameParams,
        body: GroupUpdateRequest,
        response: { 200: GroupResponse },
      },
    },
    async (request) => {
      const result = await roles.updateGroup(actor(request), request.params.name, request.body);
      if (!result.ok) throw rolesError(result);
      return presentGroup(result.group);
    },
  );
  app.delete(
    '/api/groups/:name/',
    {
      preValidation: manage,
      schema: { tags, summary: 'Delete a group and its memberships (roles:manage)', params: NameParams },
    },
    async (request, reply) => {
      const result = await roles.deleteGroup(actor(request), request.params.name);
      if (!result.ok) throw rolesError(result);
      return reply.code(204).send();
    },
  );
  allowOnly(app, '/api/groups/:name/', ['GET', 'PATCH', 'DELETE']);

  app.put(
    '/api/groups/:name/members/',
    {
      preValidation: manage,
      schema: {
        tags,
        summary: "Replace a group's members, by public ids (roles:manage)",
        params: NameParams,
        body: GroupMembersRequest,
        response: { 200: GroupDetailResponse },
      },
    },
    async (request) => {
      const result = await roles.setGroupMembers(actor(request), request.params.name, request.body.users);
      if (!result.ok) throw rolesError(result);
      return presentGroupDetail(result.group);
    },
  );
  allowOnly(app, '/api/groups/:name/members/', ['PUT']);

  app.put(
    '/api/users/:publicId/roles/',
    {
      preValidation: manage,
      schema: {
        tags,
        summary: "Replace a user's direct roles (roles:manage); answers the user's permissions",
        params: UserParams,
        body: UserRolesRequest,
        response: { 200: PermissionsResponse },
      },
    },
    async (request) => {
      const { publicId } = request.params;
      const result = await roles.setUserRoles(actor(request), publicId, request.body.roles);
      if (!result.ok) throw rolesError(result);
      return presentPermissions(result.view);
    },
  );
  allowOnly(app, '/api/users/:publicId/roles/', ['PUT']);

  app.put(
    '/api/users/:publicId/groups/',
    {
      preValidation: manage,
      schema: {
        tags,
        summary: "Replace a user's groups (roles:manage); answers the user's permissions",
        params: UserParams,
        body: UserGroupsRequest,
        response: { 200: PermissionsResponse },
      },
    },
    async (request) => {
      const { publicId } = request.params;
      const result = await roles.setUserGroups(actor(request), publicId, request.body.groups);
      if (!result.ok) throw rolesError(result);
      return presentPermissions(result.view);
    },
  );
  allowOnly(app, '/api/users/:publicId/groups/', ['PUT']);
};
