import {
  BrowserRefreshRequest,
  EmptyResponse,
  LogoutAllResponse,
  LogoutRequest,
  PageQuery,
  Paginated,
  RefreshResponse,
  SessionResponse,
} from '@gatehouse/contract';
import { Type } from 'typebox';
import type { Feature } from '../../core/core.js';
import { notFound, tokenEndpointError } from '../../http/errors.js';
import { allowOnly } from '../../http/method-not-allowed.js';
import { presentSession } from '../../http/presenters.js';
import { RATE_LIMITS } from '../../http/rate-limit.js';
import { pageOf, paginated } from '../../http/request-context.js';
import { wantsCookieMode } from '../../http/refresh-cookie.js';
import { deliverTokens, forgetRefreshToken, presentedRefreshToken } from '../../http/token-delivery.js';
import type { Session } from '../../store/sessions/store.js';
import { createSessionsService } from './service.js';

const tags = ['accounts'];
const SessionParams = Type.Object({ sessionId: Type.String() });

/**
 * What follows a sign-in, whatever its method: refresh (rotation, shared with tutorial B), logout of
 * this session or of all, and the caller's list of sessions. Token mode or browser mode (the refresh
 * token in an httpOnly cookie).
 */
export const sessionsFeature: Feature = async (app, { tokens, guards, rateLimit, config, store, clock }) => {
  const sessions = createSessionsService({ store, clock });

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
      const token = presentedRefreshToken(request, config, request.body);
      // The grace period is for a browser that lost the answer to its refresh: it still holds the old
      // cookie and gets the same successor again. Token-mode clients (tutorial B's among them) get
      // simplejwt's answer: a spent token is refused at once.
      const result = await tokens.refresh(token, { grace: wantsCookieMode(request) });
      if (!result.ok) {
        forgetRefreshToken(request, reply);
        throw tokenEndpointError(result.reason);
      }
      // Without rotation no refresh token comes back, and the browser keeps the cookie it has.
      const { access, refresh } = deliverTokens(request, reply, config, result);
      return refresh === undefined ? { access } : { access, refresh };
    },
  );
  allowOnly(app, '/api/auth/refresh/', ['POST']);

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
      const token = presentedRefreshToken(request, config, request.body);
      const result = await tokens.blacklist(token);
      forgetRefreshToken(request, reply);
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
        response: { 200: LogoutAllResponse },
      },
    },
    async (request, reply) => {
      const ended = await sessions.logoutEverywhere(guards.caller(request));
      forgetRefreshToken(request, reply);
      return { sessions_ended: ended };
    },
  );
  allowOnly(app, '/api/auth/logout-all/', ['POST']);

  app.get(
    '/api/users/me/sessions/',
    {
      preValidation: guards.signedIn,
      schema: {
        tags,
        summary:
          "The caller's open sessions, most recently used first: with ?page= or ?page_size=, one page in the " +
          'paged shape; without, a plain array of the first 100 (what the web app and older clients read)',
        querystring: PageQuery,
        response: { 200: Type.Union([Type.Array(SessionResponse), Paginated(SessionResponse)]) },
      },
    },
    async (request) => {
      const caller = guards.caller(request);
      const present = (session: Session) => presentSession(session, caller.sessionId);
      const { query } = request;
      if (query.page === undefined && query.page_size === undefined) {
        return (await sessions.listSessions(caller)).map(present);
      }
      const page = pageOf(query);
      const found = await sessions.pageSessions(caller, page.offset, page.size);
      return paginated(request, page, found.count, found.items.map(present));
    },
  );
  allowOnly(app, '/api/users/me/sessions/', ['GET']);

  app.delete(
    '/api/users/me/sessions/:sessionId/',
    {
      preValidation: guards.signedIn,
      schema: { tags, summary: 'End one of the caller’s sessions', params: SessionParams },
    },
    async (request, reply) => {
      if (!(await sessions.endSession(guards.caller(request), request.params.sessionId))) throw notFound();
      return reply.code(204).send();
    },
  );
  allowOnly(app, '/api/users/me/sessions/:sessionId/', ['DELETE']);
};
