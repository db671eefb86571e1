import { Type, type Static } from 'typebox';

const DateTime = Type.String({ format: 'date-time' });
/** A sign-in challenge of the wire (`mfa_token`): 32 random bytes, base64url; longer is refused unread. */
const MfaToken = Type.String({ minLength: 1, maxLength: 128 });
export const PASSKEY_NAME_MAX_LENGTH = 64;
const PasskeyName = Type.String({ minLength: 1, maxLength: PASSKEY_NAME_MAX_LENGTH });

/**
 * A credential as the browser gives it (`PublicKeyCredential.toJSON()`, or @simplewebauthn/browser's
 * `startRegistration` / `startAuthentication`): only its outline is checked here, the server's WebAuthn
 * verification checks the rest.
 */
export const PasskeyCredential = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 1366 }),
    rawId: Type.String({ minLength: 1, maxLength: 1366 }),
    type: Type.String({ maxLength: 32 }),
    response: Type.Object(
      { clientDataJSON: Type.String({ maxLength: 4096 }) },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true },
);
export type PasskeyCredential = Static<typeof PasskeyCredential>;

/** A passkey of the caller's. `device_type` `multiDevice` with `backed_up`: a synced passkey. */
export const PasskeyResponse = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_at: DateTime,
  last_used_at: Type.Union([DateTime, Type.Null()]),
  device_type: Type.Union([Type.Literal('singleDevice'), Type.Literal('multiDevice')]),
  backed_up: Type.Boolean(),
});
export type PasskeyResponse = Static<typeof PasskeyResponse>;

export const PasskeyListResponse = Type.Array(PasskeyResponse);
export type PasskeyListResponse = Static<typeof PasskeyListResponse>;

/** The options to give `navigator.credentials.create()` (PublicKeyCredentialCreationOptionsJSON). */
export const PasskeyCreationOptionsResponse = Type.Object(
  {
    challenge: Type.String(),
    rp: Type.Object({ id: Type.Optional(Type.String()), name: Type.String() }),
    user: Type.Object({ id: Type.String(), name: Type.String(), displayName: Type.String() }),
    timeout: Type.Optional(Type.Integer()),
    excludeCredentials: Type.Optional(
      Type.Array(Type.Object({ id: Type.String(), type: Type.String() }, { additionalProperties: true })),
    ),
  },
  { additionalProperties: true },
);
export type PasskeyCreationOptionsResponse = Static<typeof PasskeyCreationOptionsResponse>;

/** The options to give `navigator.credentials.get()` (PublicKeyCredentialRequestOptionsJSON). */
export const PasskeyRequestOptionsResponse = Type.Object(
  {
    challenge: Type.String(),
    rpId: Type.Optional(Type.String()),
    timeout: Type.Optional(Type.Integer()),
    userVerification: Type.Optional(Type.String()),
    allowCredentials: Type.Optional(
      Type.Array(Type.Object({ id: Type.String(), type: Type.String() }, { additionalProperties: true })),
    ),
  },
  { additionalProperties: true },
);
export type PasskeyRequestOptionsResponse = Static<typeof PasskeyRequestOptionsResponse>;

/** POST /api/users/me/passkeys/: the new credential, and what to call it ("Passkey" if unnamed). */
export const PasskeyRegistrationRequest = Type.Object({
  credential: PasskeyCredential,
  name: Type.Optional(PasskeyName),
});
export type PasskeyRegistrationRequest = Static<typeof PasskeyRegistrationRequest>;

/** PATCH /api/users/me/passkeys/<id>/. */
export const PasskeyRenameRequest = Type.Object({ name: PasskeyName });
export type PasskeyRenameRequest = Static<typeof PasskeyRenameRequest>;

export const PasskeyParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
export type PasskeyParams = Static<typeof PasskeyParams>;

/** POST /api/auth/passkey/: an assertion of a discoverable credential, for the options just fetched. */
export const PasskeySignInRequest = Type.Object({ credential: PasskeyCredential });
export type PasskeySignInRequest = Static<typeof PasskeySignInRequest>;

/** POST /api/auth/mfa/passkey/options/: the challenge of a password login that asked for a second factor. */
export const PasskeyMfaOptionsRequest = Type.Object({ mfa_token: MfaToken });
export type PasskeyMfaOptionsRequest = Static<typeof PasskeyMfaOptionsRequest>;

/** POST /api/auth/mfa/passkey/: that challenge answered with a passkey of the account. */
export const PasskeyMfaRequest = Type.Object({ mfa_token: MfaToken, credential: PasskeyCredential });
export type PasskeyMfaRequest = Static<typeof PasskeyMfaRequest>;

/** The passkey routes' error texts. */
export const PasskeyMessages = {
  malformed: 'This is not a passkey response.',
  challengeInvalid: 'This passkey request is invalid or has expired. Try again.',
  notVerified: 'The passkey could not be verified.',
  unknown: 'This passkey is not registered to an active account.',
  exists: 'This passkey is registered already.',
  mfaTokenInvalid: 'This sign-in has expired. Sign in again.',
} as const;
