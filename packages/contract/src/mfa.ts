import { Type, type Static } from 'typebox';
import { AccountResponse } from './accounts.js';

/** The `mfa_token` of a sign-in's second step: 32 random bytes, base64url; longer is refused unread. */
const MfaToken = Type.String({ minLength: 1, maxLength: 128 });
/** A code of an authenticator app (RFC 6238: six digits). */
const TotpCode = Type.String({ pattern: '^[0-9]{6}$' });
/** A recovery code, `xxxxx-xxxxx` (any case, the dash optional). */
const RecoveryCode = Type.String({ minLength: 1, maxLength: 32 });

/** GET /api/users/me/mfa/: the caller's second factors. */
export const MfaStatusResponse = Type.Object({
  totp: Type.Boolean(),
  passkeys: Type.Integer(),
  recovery_codes_left: Type.Integer(),
});
export type MfaStatusResponse = Static<typeof MfaStatusResponse>;

/** A pending authenticator app: its secret (base32) and the URI a QR code carries. Shown this once. */
export const TotpEnrollmentResponse = Type.Object({ secret: Type.String(), otpauth_uri: Type.String() });
export type TotpEnrollmentResponse = Static<typeof TotpEnrollmentResponse>;

/** POST /api/users/me/mfa/totp/confirm/: the app's first code confirms it. */
export const TotpCodeRequest = Type.Object({ code: TotpCode });
export type TotpCodeRequest = Static<typeof TotpCodeRequest>;

/** DELETE /api/users/me/mfa/totp/: a current code of the app, or a recovery code. */
export const TotpDisableRequest = Type.Object({ code: RecoveryCode });
export type TotpDisableRequest = Static<typeof TotpDisableRequest>;

/** A new batch of recovery codes: shown this once, each good once. */
export const RecoveryCodesResponse = Type.Object({ recovery_codes: Type.Array(Type.String()) });
export type RecoveryCodesResponse = Static<typeof RecoveryCodesResponse>;

/** POST /api/auth/mfa/: the challenge of an `mfa_required` answer, and a code or a recovery code. */
export const MfaAnswerRequest = Type.Object({
  mfa_token: MfaToken,
  code: Type.Optional(TotpCode),
  recovery_code: Type.Optional(RecoveryCode),
});
export type MfaAnswerRequest = Static<typeof MfaAnswerRequest>;

/** POST /api/auth/mfa/enroll/totp/: the token of an `mfa_enrollment_required` answer. */
export const MfaEnrollmentRequest = Type.Object({ mfa_token: MfaToken });
export type MfaEnrollmentRequest = Static<typeof MfaEnrollmentRequest>;

/** POST /api/auth/mfa/enroll/totp/confirm/: the token and the new app's first code. */
export const MfaEnrollmentConfirmRequest = Type.Object({ mfa_token: MfaToken, code: TotpCode });
export type MfaEnrollmentConfirmRequest = Static<typeof MfaEnrollmentConfirmRequest>;

/** The login's answer with the recovery codes of the factor just set up (shown this once). */
export const EnrolledSignInResponse = Type.Union([
  Type.Object({
    refresh: Type.String(),
    access: Type.String(),
    user: AccountResponse,
    recovery_codes: Type.Array(Type.String()),
  }),
  Type.Object({ access: Type.String(), user: AccountResponse, recovery_codes: Type.Array(Type.String()) }),
]);
export type EnrolledSignInResponse = Static<typeof EnrolledSignInResponse>;

/** A passkey as an administrator sees it. */
export const AdminPasskeyResponse = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  last_used_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type AdminPasskeyResponse = Static<typeof AdminPasskeyResponse>;

/** GET /api/users/<public_id>/mfa/ by a superuser. */
export const AdminMfaResponse = Type.Object({
  totp: Type.Boolean(),
  recovery_codes_left: Type.Integer(),
  passkeys: Type.Array(AdminPasskeyResponse),
});
export type AdminMfaResponse = Static<typeof AdminMfaResponse>;

/** The refusals of the second-factor routes, word for word. */
export const MfaMessages = {
  invalidToken: 'This sign-in has expired or is no longer valid. Sign in again.',
  invalidCode: 'The code is wrong, or was used already.',
  oneAnswer: 'Send either code or recovery_code.',
  totpAlreadyEnabled: 'An authenticator app is set up already. Remove it first.',
  totpNotEnabled: 'No authenticator app is set up.',
  noPendingTotp: 'Start setting up an authenticator app first (a setup expires after 10 minutes).',
  mfaNotEnabled: 'Set up a second factor first.',
} as const;
