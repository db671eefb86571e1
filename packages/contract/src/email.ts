import { Type, type Static } from 'typebox';
import { IDENTIFIER_MAX_LENGTH, PASSWORD_MAX_LENGTH } from './tokens.js';

/** A link's token: 32 random bytes in base64url (43 characters); anything else is refused as invalid. */
const LinkToken = Type.String({ minLength: 1, maxLength: 256 });
const Email = Type.String({ minLength: 1, maxLength: IDENTIFIER_MAX_LENGTH, format: 'email' });

/** The answers of these routes: a sentence for the user; `code` only on a refusal. */
export const DetailResponse = Type.Object({ detail: Type.String() });
export type DetailResponse = Static<typeof DetailResponse>;

/** POST /api/auth/email/verify/: the token from the mail's link (`/verify-email#token=…`). */
export const EmailVerifyRequest = Type.Object({ token: LinkToken });
export type EmailVerifyRequest = Static<typeof EmailVerifyRequest>;
export const EmailVerifiedResponse = Type.Object({ detail: Type.String(), email: Type.String() });
export type EmailVerifiedResponse = Static<typeof EmailVerifiedResponse>;

/** POST /api/auth/email/verify/resend/: signed in, no body; or anonymous, with the address. */
export const EmailVerifyResendRequest = Type.Object({ email: Type.Optional(Email) });
export type EmailVerifyResendRequest = Static<typeof EmailVerifyResendRequest>;

/** POST /api/auth/password/reset/. */
export const PasswordResetRequest = Type.Object({ email: Email });
export type PasswordResetRequest = Static<typeof PasswordResetRequest>;

/** POST /api/auth/password/reset/confirm/: the token from the mail's link (`/reset-password#token=…`). */
export const PasswordResetConfirmRequest = Type.Object({
  token: LinkToken,
  new_password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
});
export type PasswordResetConfirmRequest = Static<typeof PasswordResetConfirmRequest>;

/** A refused link (bad, used, expired, for another purpose, or for an address the account no longer has). */
export const InvalidTokenResponse = Type.Object({
  detail: Type.String(),
  code: Type.Literal('invalid_token'),
});

/** The words of these routes, for clients that show them. */
export const EmailMessages = {
  verified: 'Your email address is verified.',
  resendQueued: 'If the address needs verifying, a new link is on its way.',
  resetQueued: 'If an account uses this address, a link to reset its password is on its way.',
  resetDone: 'Your password has been reset. Sign in with the new password.',
} as const;
