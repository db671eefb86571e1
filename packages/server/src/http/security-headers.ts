import type { FastifyInstance } from 'fastify';

/**
 * Headers on every API response. Every body here is a token, private data or an error, so nothing is
 * cached, framed, sniffed or allowed to load anything.
 */
export function registerSecurityHeaders(app: FastifyInstance, realm = 'api'): void {
  const challenge = `Bearer realm="${realm}"`;
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'same-origin');
    reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    if (reply.statusCode === 401) reply.header('www-authenticate', challenge);
  });
}
