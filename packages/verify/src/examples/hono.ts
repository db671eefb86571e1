import { Hono, type MiddlewareHandler } from 'hono';
import { readBearer, requirePermission, type AccessClaims, type Verifier } from '../index.js';

type Env = { Variables: { claims: AccessClaims } };

const permitted =
  (permission: string): MiddlewareHandler<Env> =>
  async (c, next) => {
    const allowed = requirePermission(c.get('claims'), permission);
    if (!allowed.ok) return c.json({ error: allowed.code }, 403);
    await next();
  };

export function ordersApp(verifier: Verifier) {
  const app = new Hono<Env>();
  app.use('*', async (c, next) => {
    const result = await verifier.verify(readBearer(c.req.header('authorization')));
    if (!result.ok) return c.json({ error: result.code }, result.code === 'jwks_unavailable' ? 503 : 401);
    c.set('claims', result.claims);
    await next();
  });
  app.get('/orders', permitted('orders:read'), (c) => c.json({ user: c.get('claims').username }));
  app.post('/orders/:id/refund', permitted('orders:refund'), (c) => c.json({ refunded: c.req.param('id') }));
  return app;
}
