import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';

/**
 * Browser mode: the refresh token lives only in an httpOnly cookie, out of reach of scripts, sent only to
 * the refresh and logout endpoints (Path=/api/auth) and never cross-site (SameSite=Strict). A client asks
 * for it with the custom header below; the refresh token then never appears in a JSON body.
 */
export const COOKIE_MODE_HEADER = 'x-gatehouse-session';
export const REFRESH_COOKIE = 'gatehouse_refresh';
/**
 * Its name over HTTPS: a `__Secure-` cookie is refused by browsers unless it was set Secure from a
 * secure origin, so plain-HTTP pages (a sibling site, an active network attacker) cannot plant one.
 */
export const SECURE_REFRESH_COOKIE = `__Secure-${REFRESH_COOKIE}`;
const COOKIE_PATH = '/api/auth';

const cookieName = (request: FastifyRequest) =>
  request.protocol === 'https' ? SECURE_REFRESH_COOKIE : REFRESH_COOKIE;

export function wantsCookieMode(request: FastifyRequest): boolean {
  return request.headers[COOKIE_MODE_HEADER] === 'cookie';
}

/**
 * The refresh cookie the request carries. Sent more than once, it was tossed: a sibling subdomain can set
 * a cookie of the same name for the parent domain or a narrower path, and the browser sends both, in an
 * order the server cannot trust. Such a request is refused (`duplicate`) rather than guessed at.
 */
export function readRefreshCookie(
  request: FastifyRequest,
): { token: string | undefined } | { duplicate: true } {
  const wanted = cookieName(request);
  const values: string[] = [];
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === wanted) values.push(value.join('='));
  }
  if (values.length > 1) return { duplicate: true };
  return { token: values[0] || undefined };
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

/** The Set-Cookie value that clears the refresh cookie, for an error answer. */
export function refreshCookieClearing(request: FastifyRequest): string {
  return cookie(request, '', 0);
}

function cookie(request: FastifyRequest, value: string, maxAge: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${cookieName(request)}=${value}; Path=${COOKIE_PATH}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure}`;
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
