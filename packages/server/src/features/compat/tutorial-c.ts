import {
  credentialsSchema,
  TutorialCLoginResponse,
  TutorialCLogoutRequest,
  TutorialCRegisterRequest,
  TutorialCRegisterResponse,
} from '@gatehouse/contract';
import { Type } from 'typebox';
import type { Feature } from '../../core/core.js';
import { invalidProblems, signInError, unauthorized } from '../../http/errors.js';
import { allowOnly } from '../../http/method-not-allowed.js';
import { RATE_LIMITS } from '../../http/rate-limit.js';
import { clientInfo } from '../../http/request-context.js';
import { emailService } from '../email/plugin.js';
import { identifierOf, passwordService } from '../password/plugin.js';
import { registerByEmail } from './register-by-email.js';
import { simplejwtViews } from './simplejwt.js';

const tags = ['tutorial C'];
const LOGGED_OUT = 'Logout Successful';

/**
 * Tutorial C's routes (no trailing slash in the tutorial; both forms answer here), and simplejwt's stock
 * views at the root, whose clients send `email`. Fixed holes: login no longer says whether the account
 * exists, and it refuses inactive accounts.
 */
export const tutorialC: Feature = async (app, core) => {
  const { tokens, rateLimit, users } = core;
  const passwords = passwordService(core);
  const mail = emailService(core);
  await app.register(simplejwtViews, {
    core,
    views: { prefix: '/token', identifierField: 'email', views: ['obtain', 'refresh'] },
  });

  app.post(
    '/user/register',
    {
      schema: {
        tags,
        summary: 'Register with a name and an email (tutorial C)',
        body: TutorialCRegisterRequest,
        response: { 200: TutorialCRegisterResponse },
      },
      onRequest: rateLimit(RATE_LIMITS.register),
    },
    async (request) => {
      const { name, email, password } = request.body;
      const result = await registerByEmail(
        users,
        name,
        email,
        password,
        mail.accountMail(clientInfo(request)),
      );
      if (!result.ok) throw invalidProblems(result.problems);
      return { id: result.user.id, name: result.user.name, email: result.user.email ?? '' };
    },
  );
  allowOnly(app, '/user/register', ['POST']);

  app.post(
    '/user/login',
    {
      schema: {
        tags,
        summary: 'Log in (tutorial C)',
        body: credentialsSchema('email'),
        response: { 200: TutorialCLoginResponse },
      },
    },
    async (request) => {
      const { body } = request;
      const result = await passwords.signIn(identifierOf(body, 'email'), body.password, clientInfo(request));
      if (!result.ok) throw signInError(result);
      const { tokens: issued } = result.session;
      return { access_token: issued.access, refresh_token: issued.refresh };
    },
  );
  allowOnly(app, '/user/login', ['POST']);

  app.post(
    '/user/logout',
    {
      schema: {
        tags,
        summary: 'Log out: blacklist the refresh token (tutorial C)',
        body: TutorialCLogoutRequest,
        response: { 200: Type.String() },
      },
    },
    async (request, reply) => {
      const { refresh_token } = request.body;
      // As the tutorial: an empty token has nothing to blacklist and still succeeds.
      if (refresh_token !== '') {
        const result = await tokens.blacklist(refresh_token);
        if (!result.ok) throw unauthorized('token_not_valid', 'Invalid Token');
      }
      // A JSON string body: Fastify would send a bare string as text/plain.
      return reply.type('application/json').send(JSON.stringify(LOGGED_OUT));
    },
  );
  allowOnly(app, '/user/logout', ['POST']);
};
