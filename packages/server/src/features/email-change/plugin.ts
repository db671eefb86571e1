import {
  EmailChangeAcceptedResponse,
  EmailChangedResponse,
  EmailChangeMessages,
  EmailChangeRequest,
  EmailChangeTokenRequest,
} from '@gatehouse/contract';
import type { Feature } from '../../core/core.js';
import { invalidProblems } from '../../http/errors.js';
import { allowOnly } from '../../http/method-not-allowed.js';
import { RATE_LIMITS } from '../../http/rate-limit.js';
import { invalidLink, LINK_RATE_LIMIT } from '../notices/link-errors.js';
import { emailChangeConfirmComposer, emailChangedComposer } from './composers.js';
import { createEmailChangeService, type LinkOutcome } from './service.js';

const tags = ['accounts'];

/**
 * Changing the account's address: asked for with the password and a recent sign-in, confirmed by a link
 * to the new address, told to the old one with a link that undoes it and ends every session.
 */
export const emailChangeFeature: Feature = async (app, core) => {
  const { guards, rateLimit, store, clock, oneTimeTokens, mail, config } = core;
  const changes = createEmailChangeService({
    users: core.users,
    throttle: core.loginThrottle,
    oneTimeTokens,
    mail,
    store,
    clock,
    notices: config.mail.notices,
  });
  const { publicUrl, emailChangeTtl } = config.mail;
  mail.define(
    'email_change_confirm',
    emailChangeConfirmComposer({ store, oneTimeTokens, publicUrl, ttl: emailChangeTtl }),
  );
  mail.define('email_changed', emailChangedComposer({ store, oneTimeTokens, publicUrl }));

  const answer = (result: LinkOutcome, detail: string) => {
    if (result.ok) return { detail, email: result.email };
    throw 'problems' in result ? invalidProblems(result.problems) : invalidLink();
  };

  app.post(
    '/api/users/me/email/',
    {
      preValidation: guards.recentlyAuthenticated,
      schema: {
        tags,
        summary:
          'Change the email address (needs the password and a recent sign-in): a confirmation link goes to the new address',
        body: EmailChangeRequest,
        response: { 202: EmailChangeAcceptedResponse },
      },
      onRequest: rateLimit(RATE_LIMITS.password),
    },
    async (request, reply) => {
      const { email, password } = request.body;
      const result = await changes.request(guards.caller(request), email, password);
      if (!result.ok) throw invalidProblems(result.problems);
      return reply.code(202).send({ detail: EmailChangeMessages.requested });
    },
  );
  allowOnly(app, '/api/users/me/email/', ['POST']);

  app.post(
    '/api/auth/email/change/confirm/',
    {
      schema: {
        tags,
        summary: "Confirm an email change with the new address's link (no sign-in needed)",
        body: EmailChangeTokenRequest,
        response: { 200: EmailChangedResponse },
      },
      onRequest: rateLimit(LINK_RATE_LIMIT),
    },
    async (request) =>
      answer(await changes.confirm(request.body.token, request.ip), EmailChangeMessages.changed),
  );
  allowOnly(app, '/api/auth/email/change/confirm/', ['POST']);

  app.post(
    '/api/auth/email/change/revert/',
    {
      schema: {
        tags,
        summary:
          "Undo an email change with the old address's link: the old address back, every session ended",
        body: EmailChangeTokenRequest,
        response: { 200: EmailChangedResponse },
      },
      onRequest: rateLimit(LINK_RATE_LIMIT),
    },
    async (request) =>
      answer(await changes.revert(request.body.token, request.ip), EmailChangeMessages.reverted),
  );
  allowOnly(app, '/api/auth/email/change/revert/', ['POST']);
};
