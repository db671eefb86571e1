import {
  AccountResponse,
  AdminUserResponse,
  AdminUserUpdateRequest,
  AuditEntryResponse,
  PageQuery,
  Paginated,
  UserListQuery,
} from '@gatehouse/contract';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError, notFound } from '../errors.js';
import { allowOnly } from '../method-not-allowed.js';
import { presentAccount, presentAdminUser, presentAuditEntry } from '../presenters.js';
import { pageOf, paginated } from '../request-context.js';
import type { RouteDeps } from './route-deps.js';

const tags = ['administration'];
const self = () =>
  new HttpError(400, 'invalid', { detail: 'You cannot deactivate, demote or delete your own account.' });

/** The superuser administration API. Every change is in the audit log. */
export function adminRoutes(app: FastifyInstance, { admin, guards }: RouteDeps): void {
  const target = (request: FastifyRequest) => (request.params as { publicId: string }).publicId;

  app.get(
    '/api/users/',
    {
      preValidation: guards.superuser,
      schema: {
        tags,
        summary: 'List and search users (superusers)',
        querystring: UserListQuery,
        response: { 200: Paginated(AccountResponse) },
      },
    },
    async (request) => {
      const query = request.query as UserListQuery;
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
  // POST /api/users/ (registration) is in accounts.ts.
  allowOnly(app, '/api/users/', ['GET', 'POST']);

  app.get(
    '/api/users/:publicId/',
    {
      preValidation: guards.superuser,
      schema: {
        tags,
        summary: 'One user with their open sessions (superusers)',
        response: { 200: AdminUserResponse },
      },
    },
    async (request) => {
      const found = await admin.getUser(target(request));
      if (!found) throw notFound();
      return presentAdminUser(found.user, found.sessions);
    },
  );
  app.patch(
    '/api/users/:publicId/',
    {
      preValidation: guards.superuser,
      schema: {
        tags,
        summary: 'Activate, deactivate, grant or revoke staff and superuser',
        body: AdminUserUpdateRequest,
        response: { 200: AccountResponse },
      },
    },
    async (request) => {
      const { is_active, is_staff, is_superuser } = request.body as AdminUserUpdateRequest;
      const result = await admin.updateUser(guards.caller(request), target(request), {
        ...(is_active !== undefined && { isActive: is_active }),
        ...(is_staff !== undefined && { isStaff: is_staff }),
        ...(is_superuser !== undefined && { isSuperuser: is_superuser }),
      });
      if (!result.ok) throw result.code === 'self' ? self() : notFound();
      return presentAccount(result.user);
    },
  );
  app.delete(
    '/api/users/:publicId/',
    { preValidation: guards.superuser, schema: { tags, summary: 'Delete a user' } },
    async (request, reply) => {
      const result = await admin.deleteUser(guards.caller(request), target(request));
      if (!result.ok) throw result.code === 'self' ? self() : notFound();
      return reply.code(204).send();
    },
  );
  allowOnly(app, '/api/users/:publicId/', ['GET', 'PATCH', 'DELETE']);

  app.delete(
    '/api/users/:publicId/sessions/:sessionId/',
    { preValidation: guards.superuser, schema: { tags, summary: "End one of a user's sessions" } },
    async (request, reply) => {
      const { sessionId } = request.params as { sessionId: string };
      const result = await admin.revokeSession(guards.caller(request), target(request), sessionId);
      if (!result.ok) throw notFound();
      return reply.code(204).send();
    },
  );
  allowOnly(app, '/api/users/:publicId/sessions/:sessionId/', ['DELETE']);

  app.get(
    '/api/audit-log/',
    {
      preValidation: guards.superuser,
      schema: {
        tags,
        summary: 'The audit log, newest first (superusers)',
        querystring: PageQuery,
        response: { 200: Paginated(AuditEntryResponse) },
      },
    },
    async (request) => {
      const page = pageOf(request.query as PageQuery, 50);
      const found = await admin.auditLog(page.offset, page.size);
      return paginated(request, page, found.count, found.items.map(presentAuditEntry));
    },
  );
  allowOnly(app, '/api/audit-log/', ['GET']);
}
