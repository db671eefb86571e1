import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';

/**
 * Browser mode: the refresh token lives only in an httpOnly cookie, out of reach of scripts, sent only to
 * the refresh and logout endpoints (Path=/api/auth) and never cross-site (SameSite=Strict). A client asks
 * for it with the custom header below; the refresh token then never appears in a JSON body.
 */
export const COOKIE_MODE_HEADER = 'x-gatehouse-session';
export const REFRESH_COOKIE = 'gatehouse_refresh';
const COOKIE_PATH = '/api/auth';

export function wantsCookieMode(request: FastifyRequest): boolean {
  return request.headers[COOKIE_MODE_HEADER] === 'cookie';
}

export function readRefreshCookie(request: FastifyRequest): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === REFRESH_COOKIE) return value.join('=') || undefined;
  }
  return undefined;
}

export function setRefreshCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  maxAge: number,
): void {
  // Fastify accumulates Set-Cookie headers: one answer carries one verdict on this cookie.
  reply.removeHeader('set-cookie');
  reply.header('set-cookie', cookie(request, token, maxAge));
}

export function clearRefreshCookie(request: FastifyRequest, reply: FastifyReply): void {
  setRefreshCookie(request, reply, '', 0);
}

function cookie(request: FastifyRequest, value: string, maxAge: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${REFRESH_COOKIE}=${value}; Path=${COOKIE_PATH}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure}`;
}

/**
 * CSRF defence for every request the cookie authenticates: a cross-site form or image cannot send the
 * custom header (and a cross-origin script needs a CORS preflight, which only allowed origins pass), and
 * when the browser says where the request comes from (Origin, Sec-Fetch-Site), it must be this origin
 * or an allowed one.
 */
export function assertSameOriginRequest(request: FastifyRequest, allowedOrigins: readonly string[]): void {
  const refuse = () => new HttpError(403, 'csrf_failed', { detail: 'CSRF check failed.' });
  if (!wantsCookieMode(request)) throw refuse();
  const origin = request.headers.origin;
  const own = `${request.protocol}://${request.host}`;
  if (origin !== undefined && origin !== own && !allowedOrigins.includes(origin)) throw refuse();
  const site = request.headers['sec-fetch-site'];
  const crossAllowed = origin !== undefined && allowedOrigins.includes(origin);
  if (site !== undefined && site !== 'same-origin' && site !== 'none' && !crossAllowed) throw refuse();
}
