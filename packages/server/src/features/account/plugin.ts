import {
  AccountDeleteRequest,
  AccountResponse,
  AccountUpdateRequest,
  AuditEntryResponse,
  PageQuery,
  Paginated,
} from '@gatehouse/contract';
import type { Feature } from '../../core/core.js';
import { invalidProblems, reauthenticationRequired } from '../../http/errors.js';
import { allowOnly } from '../../http/method-not-allowed.js';
import { presentAccount, presentAuditEntry } from '../../http/presenters.js';
import { RATE_LIMITS } from '../../http/rate-limit.js';
import { pageOf, paginated } from '../../http/request-context.js';
import { createAccountService } from './service.js';

const tags = ['accounts'];

/** The caller's own account: read it, edit the names, delete it, and its security events. */
export const accountFeature: Feature = async (app, { users, store, clock, guards, rateLimit, config }) => {
  const accounts = createAccountService({
    users,
    store,
    clock,
    reauthenticationWindow: config.sessions.reauthenticationWindow,
    showActors: config.eventsShowActor,
  });

  app.get(
    '/api/users/me/',
    {
      preValidation: guards.signedIn,
      schema: { tags, summary: "The caller's account", response: { 200: AccountResponse } },
    },
    async (request) => presentAccount(guards.caller(request).user),
  );
  app.patch(
    '/api/users/me/',
    {
      preValidation: guards.signedIn,
      schema: {
        tags,
        summary: "Edit the caller's names",
        body: AccountUpdateRequest,
        response: { 200: AccountResponse },
      },
    },
    async (request) => {
      const { user } = guards.caller(request);
      const { first_name, last_name } = request.body;
      return presentAccount(
        await accounts.updateProfile(user, {
          ...(first_name !== undefined && { firstName: first_name }),
          ...(last_name !== undefined && { lastName: last_name }),
        }),
      );
    },
  );
  app.delete(
    '/api/users/me/',
    {
      preValidation: guards.signedIn,
      schema: {
        tags,
        summary: "Delete the caller's account (needs the password; without one, a recent sign-in)",
        body: AccountDeleteRequest,
      },
      onRequest: rateLimit(RATE_LIMITS.password),
    },
    async (request, reply) => {
      const result = await accounts.deleteAccount(guards.caller(request), request.body.password);
      if (!result.ok)
        throw 'reauthenticate' in result ? reauthenticationRequired() : invalidProblems(result.problems);
      return reply.code(204).send();
    },
  );
  allowOnly(app, '/api/users/me/', ['GET', 'PATCH', 'DELETE']);

  app.get(
    '/api/users/me/events/',
    {
      preValidation: guards.signedIn,
      schema: {
        tags,
        summary:
          "Security events of the caller's account, newest first (e.g. a reused refresh token ended a session)",
        querystring: PageQuery,
        response: { 200: Paginated(AuditEntryResponse) },
      },
    },
    async (request) => {
      const caller = guards.caller(request);
      const page = pageOf(request.query);
      const found = await accounts.securityEvents(caller, page.offset, page.size);
      return paginated(request, page, found.count, found.items.map(presentAuditEntry));
    },
  );
  allowOnly(app, '/api/users/me/events/', ['GET']);
};
