import { Type, type Static } from 'typebox';
import { IDENTIFIER_MAX_LENGTH, PASSWORD_MAX_LENGTH } from './tokens.js';

/** A one-time token from a mailed link: 32 random bytes, base64url (43 characters); longer is refused unread. */
const LinkToken = Type.String({ minLength: 1, maxLength: 128 });

/** The answers of the email change and the security notices' links, word for word. */
export const EmailChangeMessages = {
  requested: 'We have sent a confirmation link to the new address.',
  changed: 'Your email address is changed.',
  reverted: 'Your email address is restored and every session has ended.',
  sessionsEnded: 'Every session has ended.',
  invalidLink: 'This link is invalid or has expired.',
  sameEmail: 'This is already your email address.',
} as const;

/** POST /api/users/me/email/: the new address, confirmed by the account's password. */
export const EmailChangeRequest = Type.Object({
  email: Type.String({ maxLength: IDENTIFIER_MAX_LENGTH }),
  password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
});
export type EmailChangeRequest = Static<typeof EmailChangeRequest>;

/** 202: the same whether or not a mail went out (send limits), so nothing is learnt from it. */
export const EmailChangeAcceptedResponse = Type.Object({ detail: Type.String() });
export type EmailChangeAcceptedResponse = Static<typeof EmailChangeAcceptedResponse>;

/** Confirm and revert: the token of the mailed link (read from its fragment by the page). */
export const EmailChangeTokenRequest = Type.Object({ token: LinkToken });
export type EmailChangeTokenRequest = Static<typeof EmailChangeTokenRequest>;

/** POST /api/auth/sessions/end-all/: the token of the link in a refresh-token reuse notice. */
export const EndSessionsRequest = Type.Object({ token: LinkToken });
export type EndSessionsRequest = Static<typeof EndSessionsRequest>;

/** Confirm (the new address) and revert (the old one back): the account's address now. */
export const EmailChangedResponse = Type.Object({ detail: Type.String(), email: Type.String() });
export type EmailChangedResponse = Static<typeof EmailChangedResponse>;

/** POST /api/auth/sessions/end-all/: how many sessions ended. */
export const SessionsEndedResponse = Type.Object({
  detail: Type.String(),
  sessions_ended: Type.Integer(),
});
export type SessionsEndedResponse = Static<typeof SessionsEndedResponse>;
