import {
  BlacklistRequest,
  credentialsSchema,
  EmptyResponse,
  Messages,
  RefreshRequest,
  RefreshResponse,
  TokenPairResponse,
  VerifyRequest,
  type Credentials,
} from '@gatehouse/contract';
import type { FastifyInstance } from 'fastify';
import { HttpError, signInError, tokenEndpointError } from '../errors.js';
import { allowOnly } from '../method-not-allowed.js';
import { RATE_LIMITS } from '../rate-limit.js';
import { clientInfo } from '../request-context.js';
import type { RouteDeps } from './route-deps.js';

export interface TokenRoutesOptions {
  /** Where the four views live: `/api/token` (tutorial A) or `/token` (tutorial C). */
  prefix: string;
  /** The credential field this mount's clients send, named in "This field is required.". */
  identifierField: 'username' | 'email';
  /** Which of simplejwt's views this mount has. */
  views: readonly ('obtain' | 'refresh' | 'verify' | 'blacklist')[];
}

/** simplejwt's TokenObtainPair/Refresh/Verify/Blacklist views. */
export function tokenRoutes(app: FastifyInstance, deps: RouteDeps, options: TokenRoutesOptions): void {
  const { tokens, accounts } = deps;
  const { prefix, views } = options;
  const credentials = credentialsSchema(options.identifierField);

  if (views.includes('obtain')) {
    app.post(
      `${prefix}/`,
      { schema: { body: credentials, response: { 200: TokenPairResponse } } },
      async (request) => {
        const { username, email, password } = request.body as Credentials;
        const result = await accounts.signIn((username ?? email) as string, password, clientInfo(request));
        if (!result.ok) throw signInError(result);
        return result.tokens;
      },
    );
    allowOnly(app, `${prefix}/`, ['POST']);
  }

  if (views.includes('refresh')) {
    app.post(
      `${prefix}/refresh/`,
      {
        schema: { body: RefreshRequest, response: { 200: RefreshResponse } },
        onRequest: deps.rateLimit(RATE_LIMITS.refresh),
      },
      async (request) => {
        const result = await tokens.refresh((request.body as RefreshRequest).refresh);
        if (!result.ok) throw tokenEndpointError(result.reason);
        return result.refresh === undefined
          ? { access: result.access }
          : { access: result.access, refresh: result.refresh };
      },
    );
    allowOnly(app, `${prefix}/refresh/`, ['POST']);
  }

  if (views.includes('verify')) {
    app.post(
      `${prefix}/verify/`,
      { schema: { body: VerifyRequest, response: { 200: EmptyResponse } } },
      async (request) => {
        const result = await tokens.verify((request.body as VerifyRequest).token);
        if (result.ok) return {};
        // simplejwt raises a ValidationError (400) for a blacklisted token here, not InvalidToken (401).
        if (result.reason === 'blacklisted') {
          throw new HttpError(400, 'token_not_valid', { non_field_errors: [Messages.tokenBlacklisted] });
        }
        throw tokenEndpointError(result.reason);
      },
    );
    allowOnly(app, `${prefix}/verify/`, ['POST']);
  }

  if (views.includes('blacklist')) {
    app.post(
      `${prefix}/blacklist/`,
      { schema: { body: BlacklistRequest, response: { 200: EmptyResponse } } },
      async (request) => {
        const result = await tokens.blacklist((request.body as BlacklistRequest).refresh);
        if (!result.ok) throw tokenEndpointError(result.reason);
        return {};
      },
    );
    allowOnly(app, `${prefix}/blacklist/`, ['POST']);
  }
}
