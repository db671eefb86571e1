import express, { type RequestHandler } from 'express';
import { readBearer, requirePermission, type Verifier } from '../index.js';

export function ordersApp(verifier: Verifier) {
  const authenticated: RequestHandler = async (request, response, next) => {
    const result = await verifier.verify(readBearer(request.headers.authorization));
    if (!result.ok) {
      response.status(result.code === 'jwks_unavailable' ? 503 : 401).json({ error: result.code });
      return;
    }
    response.locals.claims = result.claims;
    next();
  };
  const permitted =
    (permission: string): RequestHandler =>
    (_request, response, next) => {
      const allowed = requirePermission(response.locals.claims, permission);
      if (!allowed.ok) response.status(403).json({ error: allowed.code });
      else next();
    };

  const app = express();
  app.get('/orders', authenticated, permitted('orders:read'), (_request, response) => {
    response.json({ user: response.locals.claims.username });
  });
  app.post('/orders/:id/refund', authenticated, permitted('orders:refund'), (request, response) => {
    response.json({ refunded: request.params.id });
  });
  return app;
}
