import {
  credentialsSchema,
  TutorialCLoginResponse,
  TutorialCLogoutRequest,
  TutorialCRegisterRequest,
  TutorialCRegisterResponse,
  type Credentials,
} from '@gatehouse/contract';
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { invalidFields, signInError, unauthorized } from '../errors.js';
import { allowOnly } from '../method-not-allowed.js';
import { RATE_LIMITS } from '../rate-limit.js';
import { clientInfo } from '../request-context.js';
import type { RouteDeps } from './route-deps.js';

const tags = ['tutorial C'];
const LOGGED_OUT = 'Logout Successful';

/**
 * Tutorial C's routes (no trailing slash in the tutorial; both forms answer here). Fixed holes: login
 * no longer says whether the account exists, and it refuses inactive accounts.
 */
export function tutorialCRoutes(app: FastifyInstance, { accounts, tokens, rateLimit }: RouteDeps): void {
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
      const { name, email, password } = request.body as TutorialCRegisterRequest;
      const result = await accounts.registerByEmail(name, email, password);
      if (!result.ok) throw invalidFields(result.errors);
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
      const { username, email, password } = request.body as Credentials;
      const result = await accounts.signIn((email ?? username) as string, password, clientInfo(request));
      if (!result.ok) throw signInError(result);
      return { access_token: result.tokens.access, refresh_token: result.tokens.refresh };
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
      const { refresh_token } = request.body as TutorialCLogoutRequest;
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
}
