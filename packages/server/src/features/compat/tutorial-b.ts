import {
  TutorialBRegisterRequest,
  TutorialBRegisterResponse,
  TutorialBUserResponse,
  UserListQuery,
} from '@gatehouse/contract';
import { Type } from 'typebox';
import type { Feature } from '../../core/core.js';
import { forbidden, invalidProblems, notFound, signInError } from '../../http/errors.js';
import { allowOnly } from '../../http/method-not-allowed.js';
import { presentTutorialBUser } from '../../http/presenters.js';
import { RATE_LIMITS } from '../../http/rate-limit.js';
import { clientInfo, pageOf } from '../../http/request-context.js';
import { createAdminService } from '../admin/service.js';
import { passwordService } from '../password/plugin.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const tags = ['tutorial B'];
const UserParams = Type.Object({ publicId: Type.String() });

/**
 * Tutorial B's routes; its login (POST /api/auth/login/) and refresh (POST /api/auth/refresh/) are
 * Gatehouse's own, in the password and sessions features. Fixed holes of the tutorial: a taken email is a
 * 400 (it returned the existing account's tokens), a user is readable only by themself or a superuser,
 * and the router's detail routes that echoed plaintext passwords do not exist.
 */
export const tutorialB: Feature = async (app, core) => {
  const { guards, rateLimit, store, clock } = core;
  const passwords = passwordService(core);
  const admin = createAdminService({ store, clock });

  app.post(
    '/api/auth/register/',
    {
      schema: {
        tags,
        summary: 'Register (tutorial B)',
        body: TutorialBRegisterRequest,
        response: { 201: TutorialBRegisterResponse },
      },
      onRequest: rateLimit(RATE_LIMITS.register),
    },
    async (request, reply) => {
      const { username, email, password } = request.body;
      const result = await passwords.signUp({ username, email, password }, clientInfo(request));
      if (!result.ok) throw 'problems' in result ? invalidProblems(result.problems) : signInError(result);
      const { user, tokens } = result.session;
      // Tutorial B names the access token `token` here.
      return reply.code(201).send({
        user: presentTutorialBUser(user),
        refresh: tokens.refresh,
        token: tokens.access,
      });
    },
  );
  allowOnly(app, '/api/auth/register/', ['POST']);

  app.get(
    '/api/user/',
    {
      preValidation: guards.signedIn,
      schema: {
        tags,
        summary: 'All users, newest first (superusers)',
        querystring: UserListQuery,
        response: { 200: Type.Array(TutorialBUserResponse) },
      },
    },
    async (request, reply) => {
      if (!guards.caller(request).user.isSuperuser) throw forbidden();
      const { query } = request;
      const { offset, size } = pageOf(query, 100);
      const page = await admin.listUsers({
        ordering: query.ordering ?? '-updated',
        search: query.search,
        offset,
        limit: size,
      });
      // Tutorial B's client expects a bare list: the total goes in a header.
      reply.header('x-total-count', String(page.count));
      return page.items.map(presentTutorialBUser);
    },
  );
  allowOnly(app, '/api/user/', ['GET']);

  app.get(
    '/api/user/:publicId/',
    {
      preValidation: guards.signedIn,
      schema: {
        tags,
        summary: 'One user (themself, or any for superusers)',
        params: UserParams,
        response: { 200: TutorialBUserResponse },
      },
    },
    async (request) => {
      const { user } = guards.caller(request);
      const { publicId } = request.params;
      // Another user's account is "not found", not "forbidden": its existence is not disclosed.
      if (!UUID.test(publicId) || (publicId !== user.publicId && !user.isSuperuser)) throw notFound();
      const found = publicId === user.publicId ? user : (await admin.getUser(publicId))?.user;
      if (!found) throw notFound();
      return presentTutorialBUser(found);
    },
  );
  allowOnly(app, '/api/user/:publicId/', ['GET']);
};
