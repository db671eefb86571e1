import { Messages } from '@gatehouse/contract';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IssuedSession, TokenPair } from '../core/session-issuer.js';
import type { Config } from '../config.js';
import { HttpError, invalidFields } from './errors.js';
import { presentAccount } from './presenters.js';
import {
  assertSameOriginRequest,
  clearRefreshCookie,
  readRefreshCookie,
  refreshCookieClearing,
  setRefreshCookie,
  wantsCookieMode,
} from './refresh-cookie.js';

/**
 * Token mode (scripts, mobile, Node): both tokens in the body. Browser mode: the refresh token in an
 * httpOnly cookie only, after a CSRF check. The routes of Gatehouse's own API use these two helpers.
 */
export function deliverTokens(
  request: FastifyRequest,
  reply: FastifyReply,
  config: Config,
  tokens: Partial<TokenPair> & { access: string },
): { refresh?: string; access: string } {
  if (!wantsCookieMode(request)) return tokens;
  if (tokens.refresh !== undefined) {
    setRefreshCookie(request, reply, tokens.refresh, config.jwt.refreshTokenLifetime);
  }
  return { access: tokens.access };
}

/**
 * The answer of a sign-in on Gatehouse's own API (a login, a registration, a login's second step): the
 * tokens as the mode delivers them, and the account.
 */
export function signedInAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  config: Config,
  session: IssuedSession,
) {
  return { ...deliverTokens(request, reply, config, session.tokens), user: presentAccount(session.user) };
}

/** The refresh token a request presents: the cookie in browser mode, else the body's `refresh`. */
export function presentedRefreshToken(
  request: FastifyRequest,
  config: Config,
  body: { refresh?: string | undefined },
): string {
  if (wantsCookieMode(request)) {
    assertSameOriginRequest(request, config.corsAllowedOrigins);
    const cookie = readRefreshCookie(request);
    if ('duplicate' in cookie) {
      // Ours is cleared; the planted one, set for another domain or path, expires on its own or with the
      // user's cookies. Either way the browser presents one cookie again only after a new sign-in.
      throw new HttpError(
        400,
        'duplicate_cookie',
        { detail: 'The session cookie was sent more than once. Sign in again.', code: 'duplicate_cookie' },
        { 'set-cookie': refreshCookieClearing(request) },
      );
    }
    return cookie.token ?? '';
  }
  if (body.refresh === undefined) throw invalidFields({ refresh: [Messages.fieldRequired] });
  return body.refresh;
}

/**
 * The presented token was refused or its session ended: a browser must not keep presenting it. Only
 * then: a database out of reach (503) says nothing about the token, and clearing it would log out.
 */
export function forgetRefreshToken(request: FastifyRequest, reply: FastifyReply): void {
  if (wantsCookieMode(request)) clearRefreshCookie(request, reply);
}

/** Browser-mode logins and registrations are CSRF-checked like any cookie-setting request. */
export function checkBrowserRequest(request: FastifyRequest, config: Config): void {
  if (wantsCookieMode(request)) assertSameOriginRequest(request, config.corsAllowedOrigins);
}
