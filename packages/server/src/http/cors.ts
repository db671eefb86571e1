import type { FastifyInstance } from 'fastify';
import { COOKIE_MODE_HEADER } from './refresh-cookie.js';

const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const ALLOWED_HEADERS = [
  'accept',
  'authorization',
  'content-type',
  'x-requested-with',
  COOKIE_MODE_HEADER,
].join(', ');
/** Seconds a browser may reuse a preflight's answer. */
const PREFLIGHT_MAX_AGE = '86400';

/**
 * Same origin only unless origins are listed. An arbitrary Origin is never reflected; a listed one is
 * told it may send credentials (browser mode's refresh cookie) and read Retry-After (a 429's or 503's
 * wait). A preflight from a listed origin is answered here, before routing and authentication (a
 * browser sends it without credentials); one from any other origin goes on to the route as a plain
 * OPTIONS and gets no CORS header, which the browser reads as a refusal.
 *
 * The hook is synchronous and returns at once for a request without a listed Origin: that is every
 * same-origin and server-to-server call, on every route, so it must cost nothing.
 */
export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const listed = new Set(origins);
  app.addHook('onRequest', (request, reply, done) => {
    // The answer depends on Origin, whatever it is: a cache must not hand one origin's answer to another.
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (origin === undefined || !listed.has(origin)) {
      done();
      return;
    }
    reply.headers({
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'retry-after',
    });
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      reply
        .code(204)
        .headers({
          'access-control-allow-methods': ALLOWED_METHODS,
          'access-control-allow-headers': ALLOWED_HEADERS,
          'access-control-max-age': PREFLIGHT_MAX_AGE,
          'content-length': '0',
        })
        .send();
      return;
    }
    done();
  });
}
