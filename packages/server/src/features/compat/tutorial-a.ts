import { ProfileResponse, ProfileUpdateRequest } from '@gatehouse/contract';
import type { Feature } from '../../core/core.js';
import { allowOnly } from '../../http/method-not-allowed.js';
import { presentProfile } from '../../http/presenters.js';
import { createAccountService } from '../account/service.js';
import { simplejwtViews } from './simplejwt.js';

/**
 * Tutorial A: simplejwt's four views at /api/token/, and the caller's per-user private data (the
 * profile), never anyone else's.
 */
export const tutorialA: Feature = async (app, core) => {
  const { guards, users, store, clock, config } = core;
  const accounts = createAccountService({
    users,
    store,
    clock,
    reauthenticationWindow: config.sessions.reauthenticationWindow,
  });
  await app.register(simplejwtViews, {
    core,
    views: {
      prefix: '/api/token',
      identifierField: 'username',
      views: ['obtain', 'refresh', 'verify', 'blacklist'],
    },
  });

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
      const { first_name, last_name, email } = request.body;
      const updated = await accounts.updateProfile(user, {
        ...(first_name !== undefined && { firstName: first_name }),
        ...(last_name !== undefined && { lastName: last_name }),
        ...(email !== undefined && { profileEmail: email }),
      });
      return presentProfile(updated);
    },
  );
  allowOnly(app, '/api/profile/', ['GET', 'PATCH']);
};
