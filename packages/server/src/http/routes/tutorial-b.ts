import {
  AccountResponse,
  credentialsSchema,
  SignedInResponse,
  TutorialBRegisterRequest,
  TutorialBRegisterResponse,
  UserListQuery,
  type Credentials,
} from '@gatehouse/contract';
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { forbidden, invalidFields, notFound, signInError } from '../errors.js';
import { allowOnly } from '../method-not-allowed.js';
import { RATE_LIMITS } from '../rate-limit.js';
import { presentAccount } from '../presenters.js';
import { clientInfo, pageOf } from '../request-context.js';
import { checkBrowserRequest, deliverTokens } from '../token-delivery.js';
import type { RouteDeps } from './route-deps.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const tags = ['tutorial B'];

/**
 * Tutorial B's routes. Login is also Gatehouse's own login (username or email). Fixed holes of the
 * tutorial: a taken email is a 400 (it returned the existing account's tokens), a user is readable only by
 * themself or a superuser, and the router's detail routes that echoed plaintext passwords do not exist.
 */
export function tutorialBRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { accounts, admin, guards } = deps;

  app.post(
    '/api/auth/register/',
    {
      schema: {
        tags,
        summary: 'Register (tutorial B)',
        body: TutorialBRegisterRequest,
        response: { 201: TutorialBRegisterResponse },
      },
      onRequest: deps.rateLimit(RATE_LIMITS.register),
    },
    async (request, reply) => {
      const { username, email, password } = request.body as TutorialBRegisterRequest;
      const result = await accounts.signUp({ username, email, password }, clientInfo(request));
      if (!result.ok) throw invalidFields(result.errors);
      // Tutorial B names the access token `token` here.
      return reply.code(201).send({
        user: presentAccount(result.user),
        refresh: result.tokens.refresh,
        token: result.tokens.access,
      });
    },
  );
  allowOnly(app, '/api/auth/register/', ['POST']);

  app.post(
    '/api/auth/login/',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Log in with a username or an email: tokens and the account',
        body: credentialsSchema('email'),
        response: { 200: SignedInResponse },
      },
    },
    async (request, reply) => {
      checkBrowserRequest(request, deps.config);
      const { username, email, password } = request.body as Credentials;
      const result = await accounts.signIn((email ?? username) as string, password, clientInfo(request));
      if (!result.ok) throw signInError(result);
      return {
        ...deliverTokens(request, reply, deps.config, result.tokens),
        user: presentAccount(result.user),
      };
    },
  );
  allowOnly(app, '/api/auth/login/', ['POST']);

  // POST /api/auth/refresh/ (tutorial B's refresh, with browser mode) is in accounts.ts.

  app.get(
    '/api/user/',
    {
      preValidation: guards.signedIn,
      schema: {
        tags,
        summary: 'All users, newest first (superusers)',
        querystring: UserListQuery,
        response: { 200: Type.Array(AccountResponse) },
      },
    },
    async (request, reply) => {
      if (!guards.caller(request).user.isSuperuser) throw forbidden();
      const query = request.query as UserListQuery;
      const { offset, size } = pageOf(query, 100);
      const page = await admin.listUsers({
        ordering: query.ordering ?? '-updated',
        search: query.search,
        offset,
        limit: size,
      });
      // Tutorial B's client expects a bare list: the total goes in a header.
      reply.header('x-total-count', String(page.count));
      return page.items.map(presentAccount);
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
        response: { 200: AccountResponse },
      },
    },
    async (request) => {
      const { user } = guards.caller(request);
      const { publicId } = request.params as { publicId: string };
      // Another user's account is "not found", not "forbidden": its existence is not disclosed.
      if (!UUID.test(publicId) || (publicId !== user.publicId && !user.isSuperuser)) throw notFound();
      const found = publicId === user.publicId ? user : (await admin.getUser(publicId))?.user;
      if (!found) throw notFound();
      return presentAccount(found);
    },
  );
  allowOnly(app, '/api/user/:publicId/', ['GET']);
}
