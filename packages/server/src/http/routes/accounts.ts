import {
  BrowserRefreshRequest,
  RefreshResponse,
  AccountResponse,
  AuditEntryResponse,
  PageQuery,
  Paginated,
  AccountUpdateRequest,
  EmptyResponse,
  LogoutRequest,
  PasswordChangeRequest,
  PasswordConfirmRequest,
  SessionResponse,
  SignedInResponse,
  SignUpRequest,
} from '@gatehouse/contract';
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { invalidFields, notFound, tokenEndpointError } from '../errors.js';
import { allowOnly } from '../method-not-allowed.js';
import { RATE_LIMITS } from '../rate-limit.js';
import { presentAccount, presentAuditEntry, presentSession } from '../presenters.js';
import { clearRefreshCookie, wantsCookieMode } from '../refresh-cookie.js';
import { clientInfo, pageOf, paginated } from '../request-context.js';
import { checkBrowserRequest, deliverTokens, presentedRefreshToken } from '../token-delivery.js';
import type { RouteDeps } from './route-deps.js';

const tags = ['accounts'];

/**
 * Gatehouse's own account API: registration, logout (this session or all), the caller's account,
 * password change, account deletion and the caller's sessions, in token mode or browser mode (the refresh
 * token in an httpOnly cookie: token-delivery.ts). Login is POST /api/auth/login/ (tutorial-b.ts), shared
 * with tutorial B, as is the refresh here.
 */
export function accountRoutes(
  app: FastifyInstance,
  { accounts, tokens, guards, rateLimit, config }: RouteDeps,
): void {
  app.post(
    '/api/users/',
    {
      schema: {
        tags,
        summary: 'Register: a new account, signed in',
        body: SignUpRequest,
        response: { 201: SignedInResponse },
      },
      onRequest: rateLimit(RATE_LIMITS.register),
    },
    async (request, reply) => {
      checkBrowserRequest(request, config);
      const { username, email, password, first_name, last_name } = request.body as SignUpRequest;
      const result = await accounts.signUp(
        {
          username,
          email: email ?? null,
          password,
          ...(first_name !== undefined && { firstName: first_name }),
          ...(last_name !== undefined && { lastName: last_name }),
        },
        clientInfo(request),
      );
      if (!result.ok) throw invalidFields(result.errors);
      const delivered = deliverTokens(request, reply, config, result.tokens);
      return reply.code(201).send({ ...delivered, user: presentAccount(result.user) });
    },
  );

  app.post(
    '/api/auth/logout/',
    {
      schema: {
        tags,
        summary: 'Log out: end the session of this refresh token (body, or the cookie in browser mode)',
        body: LogoutRequest,
        response: { 200: EmptyResponse },
      },
    },
    async (request, reply) => {
      const token = presentedRefreshToken(request, reply, config, request.body as LogoutRequest);
      const result = await tokens.blacklist(token);
      if (!result.ok) throw tokenEndpointError(result.reason);
      return {};
    },
  );
  allowOnly(app, '/api/auth/logout/', ['POST']);

  app.post(
    '/api/auth/logout-all/',
    {
      preValidation: guards.signedIn,
      schema: {
        tags,
        summary: 'Log out everywhere: end every session of the caller',
        response: { 200: Type.Object({ sessions_ended: Type.Integer() }) },
      },
    },
    async (request, reply) => {
      const ended = await accounts.logoutEverywhere(guards.caller(request));
      if (wantsCookieMode(request)) clearRefreshCookie(request, reply);
      return { sessions_ended: ended };
    },
  );
  allowOnly(app, '/api/auth/logout-all/', ['POST']);

  app.post(
    '/api/auth/refresh/',
    {
      schema: {
        tags,
        summary:
          'Refresh: a new access token and a new refresh token (rotation); browser mode uses the cookie',
        body: BrowserRefreshRequest,
        response: { 200: RefreshResponse },
      },
      onRequest: rateLimit(RATE_LIMITS.refresh),
    },
    async (request, reply) => {
      const token = presentedRefreshToken(request, reply, config, request.body as BrowserRefreshRequest);
      // The grace period is for a browser that lost the answer to its refresh: it still holds the old
      // cookie and gets the same successor again. Token-mode clients (tutorial B's among them) get
      // simplejwt's answer: a spent token is refused at once.
      const result = await tokens.refresh(token, { grace: wantsCookieMode(request) });
      if (!result.ok) throw tokenEndpointError(result.reason);
      const { access, refresh } = deliverTokens(request, reply, config, result);
      return refresh === undefined ? { access } : { access, refresh };
    },
  );
  allowOnly(app, '/api/auth/refresh/', ['POST']);

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
      const { first_name, last_name } = request.body as AccountUpdateRequest;
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
        summary: "Delete the caller's account (needs the password)",
        body: PasswordConfirmRequest,
      },
      onRequest: rateLimit(RATE_LIMITS.password),
    },
    async (request, reply) => {
      const result = await accounts.deleteAccount(
        guards.caller(request),
        (request.body as PasswordConfirmRequest).password,
      );
      if (!result.ok) throw invalidFields(result.errors);
      return reply.code(204).send();
    },
  );
  allowOnly(app, '/api/users/me/', ['GET', 'PATCH', 'DELETE']);

  app.post(
    '/api/users/me/password/',
    {
      preValidation: guards.signedIn,
      schema: {
        tags,
        summary: 'Change the password (needs the current one; ends every other session)',
        body: PasswordChangeRequest,
      },
      onRequest: rateLimit(RATE_LIMITS.password),
    },
    async (request, reply) => {
      const { current_password, new_password } = request.body as PasswordChangeRequest;
      const result = await accounts.changePassword(guards.caller(request), current_password, new_password);
      if (!result.ok) throw invalidFields(result.errors);
      return reply.code(204).send();
    },
  );
  allowOnly(app, '/api/users/me/password/', ['POST']);

  app.get(
    '/api/users/me/sessions/',
    {
      preValidation: guards.signedIn,
      schema: { tags, summary: "The caller's open sessions", response: { 200: Type.Array(SessionResponse) } },
    },
    async (request) => {
      const caller = guards.caller(request);
      return (await accounts.listSessions(caller)).map((session) =>
        presentSession(session, caller.sessionId),
      );
    },
  );
  allowOnly(app, '/api/users/me/sessions/', ['GET']);

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
      const page = pageOf(request.query as PageQuery);
      const found = await accounts.securityEvents(caller, page.offset, page.size);
      return paginated(request, page, found.count, found.items.map(presentAuditEntry));
    },
  );
  allowOnly(app, '/api/users/me/events/', ['GET']);

  app.delete(
    '/api/users/me/sessions/:sessionId/',
    { preValidation: guards.signedIn, schema: { tags, summary: 'End one of the caller’s sessions' } },
    async (request, reply) => {
      const { sessionId } = request.params as { sessionId: string };
      if (!(await accounts.endSession(guards.caller(request), sessionId))) throw notFound();
      return reply.code(204).send();
    },
  );
  allowOnly(app, '/api/users/me/sessions/:sessionId/', ['DELETE']);
}
