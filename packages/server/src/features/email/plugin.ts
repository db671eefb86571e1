import {
  DetailResponse,
  EmailMessages,
  EmailVerifiedResponse,
  EmailVerifyRequest,
  EmailVerifyResendRequest,
  Messages,
  PasswordResetConfirmRequest,
  PasswordResetRequest,
} from '@gatehouse/contract';
import type { preValidationAsyncHookHandler } from 'fastify';
import type { Core, Feature } from '../../core/core.js';
import { HttpError, invalidFields, invalidProblems } from '../../http/errors.js';
import { allowOnly } from '../../http/method-not-allowed.js';
import { RATE_LIMITS, type RateLimitRule } from '../../http/rate-limit.js';
import { clientInfo } from '../../http/request-context.js';
import { defineEmailMail } from './composers.js';
import { createEmailService, type EmailService } from './service.js';

const tags = ['accounts'];

/**
 * Per client IP (GATEHOUSE_RATE_LIMIT_LINK and _MAIL), beside the mail send limits (per address and per
 * IP, GATEHOUSE_MAIL_LIMIT_*): a token of 256 bits cannot be guessed, but nobody gets to try at any rate.
 */
const LINK_LIMIT: RateLimitRule = RATE_LIMITS.link;
const SEND_LIMIT: RateLimitRule = RATE_LIMITS.mail;

const invalidToken = () =>
  new HttpError(400, 'invalid_token', { detail: Messages.invalidLink, code: 'invalid_token' });

/** The email service over the core; the registration routes (password, compat) queue their mail with it. */
export function emailService({
  config,
  store,
  oneTimeTokens,
  mail,
  users,
  clock,
  loginThrottle,
}: Core): EmailService {
  return createEmailService({
    config: config.mail,
    store,
    oneTimeTokens,
    mail,
    users,
    throttle: loginThrottle,
    clock,
  });
}

/**
 * Email verification and password reset by a link mailed to the address. Asking for a mail answers the
 * same whatever the address (no enumeration: the work is queued, and whether there is an account is
 * decided when the message is sent); following a link spends its one-time token. Neither signs anyone in.
 */
export const emailFeature: Feature = async (app, core) => {
  const { guards, rateLimit, config, store, oneTimeTokens, mail } = core;
  const email = emailService(core);
  defineEmailMail(mail, { config: config.mail, store, oneTimeTokens });

  app.post(
    '/api/auth/email/verify/',
    {
      schema: {
        tags,
        summary: "Verify the email address: the token from the mail's link (/verify-email#token=…)",
        body: EmailVerifyRequest,
        response: { 200: EmailVerifiedResponse },
      },
      onRequest: rateLimit(LINK_LIMIT),
    },
    async (request) => {
      const result = await email.verify(request.body.token, clientInfo(request));
      if (!result.ok) throw invalidToken();
      return { detail: EmailMessages.verified, email: result.email };
    },
  );
  allowOnly(app, '/api/auth/email/verify/', ['POST']);

  // Signed in: a new link to the account's address. Anonymous (mandatory verification keeps the account
  // out): to the address given, answered the same whether or not it needs one.
  const signedInIfCredentials: preValidationAsyncHookHandler = async function (request, reply) {
    if (request.headers.authorization !== undefined) await guards.signedIn.call(this, request, reply);
  };
  app.post(
    '/api/auth/email/verify/resend/',
    {
      preValidation: signedInIfCredentials,
      schema: {
        tags,
        summary: 'A new verification link: signed in, to the account’s address; anonymous, to {"email"}',
        body: EmailVerifyResendRequest,
        response: { 202: DetailResponse },
      },
      onRequest: rateLimit(SEND_LIMIT),
    },
    async (request, reply) => {
      const { ip } = clientInfo(request);
      if (request.headers.authorization !== undefined) {
        await email.resend(guards.caller(request).user, ip);
      } else {
        const address = request.body.email;
        if (address === undefined) throw invalidFields({ email: [Messages.fieldRequired] });
        await email.resendTo(address, ip);
      }
      return reply.code(202).send({ detail: EmailMessages.resendQueued });
    },
  );
  allowOnly(app, '/api/auth/email/verify/resend/', ['POST']);

  app.post(
    '/api/auth/password/reset/',
    {
      schema: {
        tags,
        summary: 'Forgot password: a reset link to the address, if an account uses it (always 202)',
        body: PasswordResetRequest,
        response: { 202: DetailResponse },
      },
      onRequest: rateLimit(SEND_LIMIT),
    },
    async (request, reply) => {
      await email.requestPasswordReset(request.body.email, clientInfo(request).ip);
      return reply.code(202).send({ detail: EmailMessages.resetQueued });
    },
  );
  allowOnly(app, '/api/auth/password/reset/', ['POST']);

  app.post(
    '/api/auth/password/reset/confirm/',
    {
      schema: {
        tags,
        summary:
          "Set a new password with the token from the mail's link (/reset-password#token=…); every session ends",
        body: PasswordResetConfirmRequest,
        response: { 200: DetailResponse },
      },
      onRequest: rateLimit(LINK_LIMIT),
    },
    async (request) => {
      const { token, new_password } = request.body;
      const result = await email.confirmPasswordReset(token, new_password, clientInfo(request));
      if (!result.ok) throw 'problems' in result ? invalidProblems(result.problems) : invalidToken();
      return { detail: EmailMessages.resetDone };
    },
  );
  allowOnly(app, '/api/auth/password/reset/confirm/', ['POST']);
};
