import { EmailChangeMessages, EndSessionsRequest, SessionsEndedResponse } from '@gatehouse/contract';
import type { Feature } from '../../core/core.js';
import { allowOnly } from '../../http/method-not-allowed.js';
import {
  END_SESSIONS_TTL,
  identityLinkedComposer,
  mfaChangedComposer,
  passwordChangedComposer,
  refreshReuseComposer,
} from './composers.js';
import { invalidLink, LINK_RATE_LIMIT } from './link-errors.js';
import { createNoticesService } from './service.js';

const tags = ['accounts'];

/**
 * Security notices: the mails of a password change, of a second factor's change and of a refresh token's
 * reuse (queued by the change, in its transaction: features/password, features/mfa, features/passkeys,
 * core/tokens.ts), and the reuse mail's one-click link that ends
 * every session.
 */
export const noticesFeature: Feature = async (
  app,
  { store, oneTimeTokens, mail, clock, rateLimit, config },
) => {
  const notices = createNoticesService({ oneTimeTokens, store, clock });
  mail.define('password_changed', passwordChangedComposer({ store }));
  mail.define('mfa_changed', mfaChangedComposer({ store }));
  mail.define('identity_linked', identityLinkedComposer({ store }));
  mail.define(
    'refresh_reuse',
    refreshReuseComposer({ store, oneTimeTokens, publicUrl: config.mail.publicUrl }),
  );

  app.post(
    '/api/auth/sessions/end-all/',
    {
      schema: {
        tags,
        summary: `End every session, with the link of a refresh-token reuse notice (valid ${END_SESSIONS_TTL / 86400} days, no sign-in needed)`,
        body: EndSessionsRequest,
        response: { 200: SessionsEndedResponse },
      },
      onRequest: rateLimit(LINK_RATE_LIMIT),
    },
    async (request) => {
      const result = await notices.endAllSessions(request.body.token, request.ip);
      if (!result.ok) throw invalidLink();
      return { detail: EmailChangeMessages.sessionsEnded, sessions_ended: result.ended };
    },
  );
  allowOnly(app, '/api/auth/sessions/end-all/', ['POST']);
};
