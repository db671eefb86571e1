import {
  PasskeyCreationOptionsResponse,
  PasskeyListResponse,
  PasskeyMessages,
  PasskeyMfaOptionsRequest,
  PasskeyMfaRequest,
  PasskeyParams,
  PasskeyRegistrationRequest,
  PasskeyRenameRequest,
  PasskeyRequestOptionsResponse,
  PasskeyResponse,
  PasskeySignInRequest,
  SignedInResponse,
} from '@gatehouse/contract';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core, Feature } from '../../core/core.js';
import { HttpError, invalidProblems, notFound, signInError } from '../../http/errors.js';
import { allowOnly } from '../../http/method-not-allowed.js';
import { presentAccount } from '../../http/presenters.js';
import { RATE_LIMITS, type RateLimitRule } from '../../http/rate-limit.js';
import { clientInfo } from '../../http/request-context.js';
import { checkBrowserRequest, deliverTokens } from '../../http/token-delivery.js';
import { refused } from '../../users/problems.js';
import { createPasskeyService, type PasskeyFailure, type PasskeySignIn } from './service.js';
import type { Passkey } from './store.js';

const tags = ['passkeys'];

/**
 * Per client IP, on the routes that need no sign-in: each options request writes a challenge. Failed
 * sign-ins are throttled besides, as wrong passwords are (core.loginThrottle).
 */
export const PASSKEY_RATE_LIMIT: RateLimitRule = RATE_LIMITS.passkey;

const MESSAGES: Record<PasskeyFailure['code'], string> = {
  passkey_malformed: PasskeyMessages.malformed,
  passkey_challenge_invalid: PasskeyMessages.challengeInvalid,
  passkey_not_verified: PasskeyMessages.notVerified,
  passkey_unknown: PasskeyMessages.unknown,
  passkey_exists: PasskeyMessages.exists,
  invalid_mfa_token: PasskeyMessages.mfaTokenInvalid,
};

/** A refusal: 400 for what the client sent wrong, 401 for a sign-in that did not prove anyone. */
function passkeyError({ code }: PasskeyFailure, signingIn: boolean): HttpError {
  const status = code === 'passkey_malformed' || code === 'passkey_exists' || !signingIn ? 400 : 401;
  return new HttpError(status, code, { detail: MESSAGES[code], code });
}

function isPasskeyFailure(failure: Exclude<PasskeySignIn, { ok: true }>): failure is PasskeyFailure {
  return 'code' in failure && failure.code in MESSAGES;
}

function presentPasskey(passkey: Passkey): PasskeyResponse {
  return {
    id: passkey.id,
    name: passkey.name,
    created_at: passkey.createdAt.toISOString(),
    last_used_at: passkey.lastUsedAt?.toISOString() ?? null,
    device_type: passkey.deviceType,
    backed_up: passkey.backedUp,
  };
}

/**
 * Passkeys (WebAuthn): registered by a signed-in user, then a whole sign-in without a username (user
 * verification makes it two factors), or the second step of a password login (the factor `hwk`).
 */
export const passkeysFeature: Feature = async (app, core: Core) => {
  const { guards, rateLimit, config, store, signIn, mail } = core;
  const passkeys = createPasskeyService({
    webauthn: config.webauthn,
    store,
    oneTimeTokens: core.oneTimeTokens,
    signIn,
    throttle: core.loginThrottle,
    clock: core.clock,
    ...(config.mail.notices.includes('mfa_changed') && { notice: { wake: () => mail.wake() } }),
  });
  signIn.addSecondFactor({ method: 'hwk', enrolled: (user) => store.hasPasskey(user.id) });

  /** The login's answer (features/password's), for a passkey's sign-in. */
  const signedIn = (request: FastifyRequest, reply: FastifyReply, result: PasskeySignIn) => {
    if (!result.ok) throw isPasskeyFailure(result) ? passkeyError(result, true) : signInError(result);
    const { user, tokens } = result.session;
    return { ...deliverTokens(request, reply, config, tokens), user: presentAccount(user) };
  };

  app.post(
    '/api/users/me/passkeys/options/',
    {
      preValidation: guards.recentlyAuthenticated,
      schema: {
        tags,
        summary: 'Options for navigator.credentials.create(): a new passkey (needs a recent sign-in)',
        response: { 200: PasskeyCreationOptionsResponse },
      },
    },
    async (request) => passkeys.registrationOptions(guards.caller(request)),
  );
  allowOnly(app, '/api/users/me/passkeys/options/', ['POST']);

  app.get(
    '/api/users/me/passkeys/',
    {
      preValidation: guards.signedIn,
      schema: {
        tags,
        summary: "The caller's passkeys, oldest first",
        response: { 200: PasskeyListResponse },
      },
    },
    async (request) => (await passkeys.list(guards.caller(request).user.id)).map(presentPasskey),
  );

  app.post(
    '/api/users/me/passkeys/',
    {
      preValidation: guards.recentlyAuthenticated,
      schema: {
        tags,
        summary: 'Register a passkey: the response to the latest options (needs a recent sign-in)',
        body: PasskeyRegistrationRequest,
        response: { 201: PasskeyResponse },
      },
    },
    async (request, reply) => {
      const { credential, name } = request.body;
      const result = await passkeys.register(guards.caller(request), credential, name);
      if (!result.ok) throw passkeyError(result, false);
      return reply.code(201).send(presentPasskey(result.passkey));
    },
  );
  allowOnly(app, '/api/users/me/passkeys/', ['GET', 'POST']);

  app.patch(
    '/api/users/me/passkeys/:id/',
    {
      preValidation: guards.signedIn,
      schema: {
        tags,
        summary: 'Rename one of the caller’s passkeys',
        params: PasskeyParams,
        body: PasskeyRenameRequest,
        response: { 200: PasskeyResponse },
      },
    },
    async (request) => {
      const name = request.body.name.trim();
      if (name === '') throw invalidProblems(refused('name', { code: 'blank' }).problems);
      const renamed = await passkeys.rename(guards.caller(request).user.id, request.params.id, name);
      if (!renamed) throw notFound();
      return presentPasskey(renamed);
    },
  );

  app.delete(
    '/api/users/me/passkeys/:id/',
    {
      preValidation: guards.recentlyAuthenticated,
      schema: {
        tags,
        summary: 'Remove one of the caller’s passkeys (needs a recent sign-in)',
        params: PasskeyParams,
      },
    },
    async (request, reply) => {
      if (!(await passkeys.remove(guards.caller(request), request.params.id))) throw notFound();
      return reply.code(204).send();
    },
  );
  allowOnly(app, '/api/users/me/passkeys/:id/', ['PATCH', 'DELETE']);

  app.post(
    '/api/auth/passkey/options/',
    {
      schema: {
        tags,
        summary: 'Options for navigator.credentials.get(): a sign-in with a passkey and no username',
        response: { 200: PasskeyRequestOptionsResponse },
      },
      onRequest: rateLimit(PASSKEY_RATE_LIMIT),
    },
    async () => passkeys.signInOptions(),
  );
  allowOnly(app, '/api/auth/passkey/options/', ['POST']);

  app.post(
    '/api/auth/passkey/',
    {
      schema: {
        tags,
        summary: 'Sign in with a passkey (user verification required): tokens and the account, as a login',
        body: PasskeySignInRequest,
        response: { 200: SignedInResponse },
      },
      onRequest: rateLimit(PASSKEY_RATE_LIMIT),
    },
    async (request, reply) => {
      checkBrowserRequest(request, config);
      return signedIn(request, reply, await passkeys.signIn(request.body.credential, clientInfo(request)));
    },
  );
  allowOnly(app, '/api/auth/passkey/', ['POST']);

  app.post(
    '/api/auth/mfa/passkey/options/',
    {
      schema: {
        tags,
        summary:
          "Options for the second step of a login (its mfa_token) with a passkey: that account's passkeys",
        body: PasskeyMfaOptionsRequest,
        response: { 200: PasskeyRequestOptionsResponse },
      },
      onRequest: rateLimit(PASSKEY_RATE_LIMIT),
    },
    async (request) => {
      const result = await passkeys.secondFactorOptions(request.body.mfa_token);
      if (!result.ok) throw passkeyError(result, true);
      return result.options;
    },
  );
  allowOnly(app, '/api/auth/mfa/passkey/options/', ['POST']);

  app.post(
    '/api/auth/mfa/passkey/',
    {
      schema: {
        tags,
        summary: 'The second step of a login, answered with a passkey: tokens and the account',
        body: PasskeyMfaRequest,
        response: { 200: SignedInResponse },
      },
      onRequest: rateLimit(PASSKEY_RATE_LIMIT),
    },
    async (request, reply) => {
      checkBrowserRequest(request, config);
      const { mfa_token, credential } = request.body;
      return signedIn(
        request,
        reply,
        await passkeys.answerSecondFactor(mfa_token, credential, clientInfo(request)),
      );
    },
  );
  allowOnly(app, '/api/auth/mfa/passkey/', ['POST']);
};
