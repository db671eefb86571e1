import { RoutesResponse } from '@gatehouse/contract';
import type { FastifyInstance } from 'fastify';
import { allowOnly } from '../method-not-allowed.js';

/** Tutorial A's getRoutes view, verbatim. */
const ROUTES = ['/api/token', '/api/token/refresh'];

export function apiRootRoutes(app: FastifyInstance): void {
  app.get('/api/', { schema: { response: { 200: RoutesResponse } } }, async () => ROUTES);
  allowOnly(app, '/api/', ['GET']);
}
