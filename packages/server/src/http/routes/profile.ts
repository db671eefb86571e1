import { ProfileResponse } from '@gatehouse/contract';
import type { FastifyInstance } from 'fastify';
import { allowOnly } from '../method-not-allowed.js';
import { presentProfile } from '../presenters.js';
import type { RouteDeps } from './route-deps.js';

/** Tutorial A's per-user private data: the caller's own profile, never anyone else's. */
export function profileRoutes(app: FastifyInstance, { authenticate }: RouteDeps): void {
  app.get('/api/profile/', { schema: { response: { 200: ProfileResponse } } }, async (request) =>
    presentProfile(await authenticate(request)),
  );
  allowOnly(app, '/api/profile/', ['GET']);
}
