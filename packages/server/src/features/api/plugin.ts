import { RoutesResponse } from '@gatehouse/contract';
import type { Feature } from '../../core/core.js';
import { allowOnly } from '../../http/method-not-allowed.js';

/** Tutorial A's getRoutes view, verbatim. */
const ROUTES = ['/api/token', '/api/token/refresh'];

/** The API root (tutorial A's list of routes) and the OpenAPI document of every route's schema. */
export const apiFeature: Feature = async (app) => {
  app.get('/api/', { schema: { response: { 200: RoutesResponse } } }, async () => ROUTES);
  allowOnly(app, '/api/', ['GET']);

  // @fastify/swagger is registered on the root instance (app.ts), which sees every feature's routes.
  const document = () => app.swagger();
  app.get('/api/docs', { schema: { hide: true } }, async () => document());
  app.get('/api/docs/openapi.json', { schema: { hide: true } }, async () => document());
};
