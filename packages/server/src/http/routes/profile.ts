import { ProfileResponse, ProfileUpdateRequest } from '@gatehouse/contract';
import type { FastifyInstance } from 'fastify';
import { allowOnly } from '../method-not-allowed.js';
import { presentProfile } from '../presenters.js';
import type { RouteDeps } from './route-deps.js';

/** Tutorial A's per-user private data: the caller's own profile, never anyone else's. */
export function profileRoutes(app: FastifyInstance, { guards, accounts }: RouteDeps): void {
  const schema = { tags: ['tutorial A'], response: { 200: ProfileResponse } };
  app.get(
    '/api/profile/',
    { preValidation: guards.signedIn, schema: { ...schema, summary: "The caller's profile" } },
    async (request) => presentProfile(guards.caller(request).user),
  );
  app.patch(
    '/api/profile/',
    {
      preValidation: guards.signedIn,
      schema: { ...schema, summary: "Edit the caller's profile", body: ProfileUpdateRequest },
    },
    async (request) => {
      const { user } = guards.caller(request);
      // Only these three fields are read: ids, roles, passwords or `user` in the body are never applied.
      const { first_name, last_name, email } = request.body as ProfileUpdateRequest;
      const updated = await accounts.updateProfile(user, {
        ...(first_name !== undefined && { firstName: first_name }),
        ...(last_name !== undefined && { lastName: last_name }),
        ...(email !== undefined && { profileEmail: email }),
      });
      return presentProfile(updated);
    },
  );
  allowOnly(app, '/api/profile/', ['GET', 'PATCH']);
}
