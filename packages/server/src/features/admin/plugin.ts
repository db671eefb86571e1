import {
  AccountResponse,
  AdminUserResponse,
  AdminUserUpdateRequest,
  AuditEntryResponse,
  PageQuery,
  Paginated,
  SessionResponse,
  UserListQuery,
} from '@gatehouse/contract';
import { GATEHOUSE_PERMISSIONS as P } from '@gatehouse/contract';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Feature } from '../../core/core.js';
import { forbidden, HttpError, notFound } from '../../http/errors.js';
import { allowOnly } from '../../http/method-not-allowed.js';
import {
  presentAccount,
  presentAdminUser,
  presentAuditEntry,
  presentSession,
} from '../../http/presenters.js';
import { pageOf, paginated } from '../../http/request-context.js';
import { presentIdentity } from '../oidc/presenter.js';
import { outranked, ownFlags, superuserOnly } from '../roles/errors.js';
import { createAdminService, type AdminFailure, type Administrator } from './service.js';

const tags = ['administration'];
const self = () =>
  new HttpError(400, 'invalid', { detail: 'You cannot deactivate, demote or delete your own account.' });
const refusal = (failure: AdminFailure) => {
  switch (failure.code) {
    case 'self':
      return self();
    case 'forbidden':
      return forbidden();
    case 'escalation':
      return superuserOnly();
    case 'outranked':
      return outranked(failure.permissions);
    case 'own_flags':
      return ownFlags();
    case 'not_found':
      return notFound();
  }
};

/** Any string: an unknown id is a 404 from the lookup, as before these routes had a schema. */
const UserParams = Type.Object({ publicId: Type.String() });
const UserSessionParams = Type.Object({ publicId: Type.String(), sessionId: Type.String() });

/**
 * The administration API, each route open to the holders of its permission (a superuser holds every
 * one; issue 17's roles give them to others). Every change is in the audit log.
 */
export const adminFeature: Feature = async (app, { store, clock, guards, config }) => {
  const admin = createAdminService({ store, clock });
  const administrator = (request: FastifyRequest): Administrator => ({
    ...guards.caller(request),
    authz: guards.authorization(request),
  });

  app.get(
    '/api/users/',
    {
      preValidation: guards.permission(P.usersRead),
      schema: {
        tags,
        summary: 'List and search users (users:read)',
        querystring: UserListQuery,
        response: { 200: Paginated(AccountResponse) },
      },
    },
    async (request) => {
      const { query } = request;
      const page = pageOf(query);
      const found = await admin.listUsers({
        search: query.search,
        ordering: query.ordering ?? '-updated',
        offset: page.offset,
        limit: page.size,
      });
      return paginated(request, page, found.count, found.items.map(presentAccount));
    },
  );
  // POST /api/users/ (registration) is in the password feature.
  allowOnly(app, '/api/users/', ['GET', 'POST']);

  app.get(
    '/api/users/:publicId/',
    {
      preValidation: guards.permission(P.usersRead),
      schema: {
        tags,
        summary: 'One user with their open sessions, roles, groups and permissions (users:read)',
        params: UserParams,
        response: { 200: AdminUserResponse },
      },
    },
    async (request) => {
      const found = await admin.getUser(request.params.publicId);
      if (!found) throw notFound();
      const { roles, groups, permissions } = found.permissions;
      const identities = await store.listIdentities(found.user.id);
      return {
        ...presentAdminUser(found.user, found.sessions),
        roles,
        groups,
        permissions,
        identities: identities.map((identity) => presentIdentity(identity, config.oidc.providers)),
      };
    },
  );
  app.patch(
    '/api/users/:publicId/',
    {
      preValidation: guards.permission(P.usersDeactivate, P.usersUpdate),
      schema: {
        tags,
        summary:
          'Activate or deactivate (users:deactivate or users:update), grant or revoke staff (users:update) ' +
          'and superuser (superusers)',
        params: UserParams,
        body: AdminUserUpdateRequest,
        response: { 200: AccountResponse },
      },
    },
    async (request) => {
      const { is_active, is_staff, is_superuser } = request.body;
      const result = await admin.updateUser(administrator(request), request.params.publicId, {
        ...(is_active !== undefined && { isActive: is_active }),
        ...(is_staff !== undefined && { isStaff: is_staff }),
        ...(is_superuser !== undefined && { isSuperuser: is_superuser }),
      });
      if (!result.ok) throw refusal(result);
      return presentAccount(result.user);
    },
  );
  app.delete(
    '/api/users/:publicId/',
    {
      preValidation: guards.permission(P.usersDelete),
      schema: { tags, summary: 'Delete a user (users:delete)', params: UserParams },
    },
    async (request, reply) => {
      const result = await admin.deleteUser(administrator(request), request.params.publicId);
      if (!result.ok) throw refusal(result);
      return reply.code(204).send();
    },
  );
  allowOnly(app, '/api/users/:publicId/', ['GET', 'PATCH', 'DELETE']);

  app.get(
    '/api/users/:publicId/sessions/',
    {
      preValidation: guards.permission(P.usersRead),
      schema: {
        tags,
        summary: "A user's open sessions, most recently used first, a page at a time (users:read)",
        params: UserParams,
        querystring: PageQuery,
        response: { 200: Paginated(SessionResponse) },
      },
    },
    async (request) => {
      const page = pageOf(request.query);
      const found = await admin.userSessions(request.params.publicId, page.offset, page.size);
      if (!found) throw notFound();
      return paginated(
        request,
        page,
        found.count,
        found.items.map((session) => presentSession(session)),
      );
    },
  );
  allowOnly(app, '/api/users/:publicId/sessions/', ['GET']);

  app.delete(
    '/api/users/:publicId/sessions/:sessionId/',
    {
      preValidation: guards.permission(P.sessionsRevoke),
      schema: { tags, summary: "End one of a user's sessions (sessions:revoke)", params: UserSessionParams },
    },
    async (request, reply) => {
      const { publicId, sessionId } = request.params;
      const result = await admin.revokeSession(administrator(request), publicId, sessionId);
      if (!result.ok) throw refusal(result);
      return reply.code(204).send();
    },
  );
  allowOnly(app, '/api/users/:publicId/sessions/:sessionId/', ['DELETE']);

  app.get(
    '/api/audit-log/',
    {
      preValidation: guards.permission(P.auditRead),
      schema: {
        tags,
        summary: 'The audit log, newest first (audit:read)',
        querystring: PageQuery,
        response: { 200: Paginated(AuditEntryResponse) },
      },
    },
    async (request) => {
      const page = pageOf(request.query, 50);
      const found = await admin.auditLog(page.offset, page.size);
      return paginated(request, page, found.count, found.items.map(presentAuditEntry));
    },
  );
  allowOnly(app, '/api/audit-log/', ['GET']);
};
