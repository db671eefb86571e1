import Fastify, { type FastifyRequest, type preHandlerAsyncHookHandler } from 'fastify';
import { readBearer, requirePermission, type AccessClaims, type Verifier } from '../index.js';

const claimsOf = (request: FastifyRequest) => request.getDecorator<AccessClaims>('claims');

const permitted =
  (permission: string): preHandlerAsyncHookHandler =>
  async (request, reply) => {
    const allowed = requirePermission(claimsOf(request), permission);
    if (!allowed.ok) return reply.code(403).send({ error: allowed.code });
  };

export function ordersApp(verifier: Verifier) {
  const app = Fastify();
  app.decorateRequest('claims', null);
  app.addHook('onRequest', async (request, reply) => {
    const result = await verifier.verify(readBearer(request.headers.authorization));
    if (!result.ok) {
      return reply.code(result.code === 'jwks_unavailable' ? 503 : 401).send({ error: result.code });
    }
    request.setDecorator('claims', result.claims);
  });

  app.get('/orders', { preHandler: permitted('orders:read') }, async (request) => ({
    user: claimsOf(request).username,
  }));
  app.post<{ Params: { id: string } }>(
    '/orders/:id/refund',
    { preHandler: permitted('orders:refund') },
    async (request) => ({ refunded: request.params.id }),
  );
  return app;
}
