import type { FastifyInstance } from 'fastify';

/** The OpenAPI document, generated from the route schemas (registered by @fastify/swagger in app.ts). */
export function docsRoutes(app: FastifyInstance): void {
  const document = () => app.swagger();
  app.get('/api/docs', { schema: { hide: true } }, async () => document());
  app.get('/api/docs/openapi.json', { schema: { hide: true } }, async () => document());
}
