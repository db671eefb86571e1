import type { FastifyInstance, FastifyReply } from 'fastify';

const API_POLICY = "default-src 'none'; frame-ancestors 'none'";

/** The web app's pages load only its own scripts, styles and API: no inline script or style, no framing. */
export const WEB_APP_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** What a protected route answers a 401 with (RFC 6750 §3), as DRF's authenticate_header. */
export const CHALLENGE = 'Bearer realm="api"';

/**
 * Every API body is a token, private data or an error, so nothing is cached, framed, sniffed or allowed to
 * load anything.
 */
const API_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'content-security-policy': API_POLICY,
};

export function applySecurityHeaders(reply: FastifyReply): void {
  reply.headers(API_HEADERS);
  // Over HTTPS (directly, or as a trusted proxy says), browsers are told to never use plain HTTP.
  if (reply.request.protocol === 'https') {
    reply.header('strict-transport-security', 'max-age=63072000; includeSubDomains');
  }
}

/**
 * The headers are set as a request arrives, so that every answer has them, errors included. What serves
 * something else replaces what it must as it answers: the web app's files set their own caching and, for
 * its pages, WEB_APP_POLICY; the JWKS route lets its keys be cached. A synchronous hook: it runs on every
 * request.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, reply, done) => {
    applySecurityHeaders(reply);
    done();
  });
}
