import type { FastifyInstance, FastifyReply } from 'fastify';

const CHALLENGE = 'Bearer realm="api"';

/**
 * Headers for every API response. Every body here is a token, private data or an error, so nothing is
 * cached, framed, sniffed or allowed to load anything.
 */
export function applySecurityHeaders(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  reply.header('referrer-policy', 'same-origin');
  reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
  if (reply.statusCode === 401) reply.header('www-authenticate', CHALLENGE);
  // Over HTTPS (directly, or as a trusted proxy says), browsers are told to never use plain HTTP.
  if (reply.request.protocol === 'https') {
    reply.header('strict-transport-security', 'max-age=63072000; includeSubDomains');
  }
}

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply) => applySecurityHeaders(reply));
}
