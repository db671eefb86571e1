import { AdminMfaResponse, GATEHOUSE_PERMISSIONS as P } from '@gatehouse/contract';
import { Type } from 'typebox';
import type { Core, Feature } from '../../core/core.js';
import { notFound } from '../../http/errors.js';
import { allowOnly } from '../../http/method-not-allowed.js';
import { outranked } from '../roles/errors.js';
import { outranks } from '../roles/outranks.js';
import type { MfaService } from './service.js';

const tags = ['administration'];
/** Any string: an unknown id is a 404 from the lookup, as in the other administration routes. */
const UserParams = Type.Object({ publicId: Type.String() });

/**
 * A user's factors as the administrators see them (users:read) and reset them (users:update; a
 * superuser's only by a superuser, and anyone's only by a caller holding every permission they hold).
 */
export function adminRoutes(app: Parameters<Feature>[0], { guards, store }: Core, mfa: MfaService): void {
  app.get(
    '/api/users/:publicId/mfa/',
    {
      preValidation: guards.permission(P.usersRead),
      schema: {
        tags,
        summary: "A user's second factors and passkeys (users:read)",
        params: UserParams,
        response: { 200: AdminMfaResponse },
      },
    },
    async (request) => {
      const found = await mfa.adminView(request.params.publicId);
      if (!found) throw notFound();
      return {
        totp: found.totp,
        recovery_codes_left: found.recoveryCodesLeft,
        passkeys: found.passkeys.map((passkey) => ({
          id: passkey.id,
          name: passkey.name,
          created_at: passkey.createdAt.toISOString(),
          last_used_at: passkey.lastUsedAt?.toISOString() ?? null,
        })),
      };
    },
  );
  app.delete(
    '/api/users/:publicId/mfa/',
    {
      preValidation: guards.permission(P.usersUpdate),
      schema: {
        tags,
        summary:
          'Remove every second factor and passkey of a user who lost them (users:update; audited, the user is told)',
        params: UserParams,
      },
    },
    async (request, reply) => {
      // Resetting a more privileged account's factors would open it to whoever resets its password next.
      const target = await store.findUserByPublicId(request.params.publicId);
      const missing = target && (await outranks(store, guards.authorization(request), target));
      if (missing) throw outranked(missing);
      if (!(await mfa.adminReset(guards.caller(request), request.params.publicId))) throw notFound();
      return reply.code(204).send();
    },
  );
  allowOnly(app, '/api/users/:publicId/mfa/', ['GET', 'DELETE']);
}
