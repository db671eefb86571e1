import {
  BlacklistRequest,
  credentialsSchema,
  EmptyResponse,
  Messages,
  RefreshRequest,
  RefreshResponse,
  TokenPairResponse,
  VerifyRequest,
} from '@gatehouse/contract';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Core } from '../../core/core.js';
import { HttpError, signInError, tokenEndpointError } from '../../http/errors.js';
import { allowOnly } from '../../http/method-not-allowed.js';
import { RATE_LIMITS } from '../../http/rate-limit.js';
import { clientInfo } from '../../http/request-context.js';
import { identifierOf, passwordService } from '../password/plugin.js';

export interface SimplejwtViews {
  /** Where the four views live: `/api/token` (tutorial A) or `/token` (tutorial C). */
  prefix: string;
  /** The credential field this mount's clients send, named in "This field is required.". */
  identifierField: 'username' | 'email';
  /** Which of simplejwt's views this mount has. */
  views: readonly ('obtain' | 'refresh' | 'verify' | 'blacklist')[];
}

/**
 * simplejwt's TokenObtainPair/Refresh/Verify/Blacklist views, mounted where each tutorial's client
 * expects them: aliases onto the password sign-in and the token service.
 */
export const simplejwtViews: FastifyPluginAsyncTypebox<{ core: Core; views: SimplejwtViews }> = async (
  app,
  { core, views: options },
) => {
  const { tokens, rateLimit } = core;
  const passwords = passwordService(core);
  const { prefix, views } = options;
  const credentials = credentialsSchema(options.identifierField);

  if (views.includes('obtain')) {
    app.post(
      `${prefix}/`,
      { schema: { body: credentials, response: { 200: TokenPairResponse } } },
      async (request) => {
        const { body } = request;
        const result = await passwords.signIn(
          identifierOf(body, 'username'),
          body.password,
          clientInfo(request),
        );
        if (!result.ok) throw signInError(result);
        return result.session.tokens;
      },
    );
    allowOnly(app, `${prefix}/`, ['POST']);
  }

  if (views.includes('refresh')) {
    app.post(
      `${prefix}/refresh/`,
      {
        schema: { body: RefreshRequest, response: { 200: RefreshResponse } },
        onRequest: rateLimit(RATE_LIMITS.refresh),
      },
      async (request) => {
        const result = await tokens.refresh(request.body.refresh);
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
        const result = await tokens.verify(request.body.token);
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
        const result = await tokens.blacklist(request.body.refresh);
        if (!result.ok) throw tokenEndpointError(result.reason);
        return {};
      },
    );
    allowOnly(app, `${prefix}/blacklist/`, ['POST']);
  }
};
