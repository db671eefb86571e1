import type { FastifyInstance, FastifyReply } from 'fastify';

const CHALLENGE = 'Bearer realm="api"';
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

/**
 * Headers for every response. Every API body is a token, private data or an error, so nothing is cached,
 * framed, sniffed or allowed to load anything. The web app's files (web-app.ts) set their own caching
 * and, for its pages, WEB_APP_POLICY, before this runs.
 */
export function applySecurityHeaders(reply: FastifyReply): void {
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  reply.header('referrer-policy', 'same-origin');
  if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', API_POLICY);
  if (reply.statusCode === 401) reply.header('www-authenticate', CHALLENGE);
  // Over HTTPS (directly, or as a trusted proxy says), browsers are told to never use plain HTTP.
  if (reply.request.protocol === 'https') {
    reply.header('strict-transport-security', 'max-age=63072000; includeSubDomains');
  }
}

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply) => applySecurityHeaders(reply));
}
