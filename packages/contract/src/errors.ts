import type { OidcErrorCode } from './oidc.js';

/**
 * Stable error codes. The HTTP bodies keep simplejwt/DRF's shapes (`detail`, optional `code`); these
 * codes are what Gatehouse's own code and clients switch on.
 */
export type ErrorCode =
  | 'token_not_valid'
  | 'user_inactive'
  | 'user_not_found'
  | 'bad_authorization_header'
  | 'not_authenticated'
  | 'authentication_failed'
  | 'no_active_account'
  | 'invalid'
  | 'parse_error'
  | 'not_found'
  | 'permission_denied'
  | 'method_not_allowed'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'throttled'
  | 'csrf_failed'
  | 'server_error'
  | 'service_unavailable'
  | 'mfa_required'
  | 'reauthentication_required'
  | 'duplicate_cookie'
  | 'email_not_verified'
  | 'invalid_token'
  /** Passkeys: a credential that is not a WebAuthn response (malformed JSON, wrong type). */
  | 'passkey_malformed'
  /** Passkeys: the challenge signed is unknown, used already or expired (5 minutes). */
  | 'passkey_challenge_invalid'
  /** Passkeys: the response failed verification (origin, RP ID, signature, user verification, counter). */
  | 'passkey_not_verified'
  /** Passkeys: no such credential, or its account is deactivated. */
  | 'passkey_unknown'
  /** Passkeys: this credential is registered already. */
  | 'passkey_exists'
  /** The `mfa_token` of a second step is unknown, used, expired or out of attempts: sign in again. */
  | 'invalid_mfa_token'
  | 'mfa_enrollment_required'
  | 'invalid_mfa_code'
  | 'totp_already_enabled'
  | 'totp_not_enabled'
  | 'mfa_not_enabled'
  | 'no_pending_totp'
  /** Roles: no such role or group named in a request. */
  | 'unknown_role'
  | 'unknown_group'
  /** Roles: a role or group of that name exists. */
  | 'role_exists'
  | 'group_exists'
  /** Roles: granting a permission (or a role holding one) the caller does not hold. */
  | 'permission_escalation'
  /** OIDC: no enabled provider of that name. */
  | 'oidc_unknown_provider'
  /** OIDC: the single-use code of a callback is unknown, used or expired. */
  | 'oidc_code_invalid'
  /** OIDC: unlinking the account's last way to sign in. */
  | 'oidc_last_method'
  | OidcErrorCode;

/** simplejwt's and DRF's message texts, which clients of the tutorials compare against. */
export const Messages = {
  noActiveAccount: 'No active account found with the given credentials',
  noActiveAccountForToken: 'No active account found for the given token.',
  notAuthenticated: 'Authentication credentials were not provided.',
  tokenInvalid: 'Token is invalid or expired',
  tokenWrongType: 'Token has wrong type',
  tokenNoType: 'Token has no type',
  tokenNoId: 'Token has no id',
  tokenBlacklisted: 'Token is blacklisted',
  tokenNotValidForAnyType: 'Given token not valid for any token type',
  tokenNoUserId: 'Token contained no recognizable user identification',
  badAuthorizationHeader: 'Authorization header must contain two space-delimited values',
  userInactive: 'User is inactive',
  userNotFound: 'User not found',
  fieldRequired: 'This field is required.',
  fieldBlank: 'This field may not be blank.',
  fieldNotString: 'Not a valid string.',
  invalidEmail: 'Enter a valid email address.',
  nullCharacters: 'Null characters are not allowed.',
  notFound: 'Not found.',
  serverError: 'A server error occurred.',
  serviceUnavailable: 'Service temporarily unavailable, try again shortly.',
  bodyTooLarge: 'Request body is too large.',
  secondFactorRequired: 'Second factor required.',
  secondFactorEnrollmentRequired: 'Set up a second factor to continue.',
  reauthenticationRequired: 'Please sign in again to continue.',
  emailNotVerified: 'Verify your email address before signing in.',
  invalidLink: 'This link is invalid or has expired.',
} as const;

/** DRF's validation error body: field name → list of messages (`non_field_errors` for the whole body). */
export type FieldErrors = Record<string, string[]>;

/** The body of every non-validation error response. */
export interface ErrorBody {
  detail: string;
  code?: ErrorCode;
  messages?: { token_class: string; token_type: string; message: string }[];
  /**
   * With `mfa_required`: the challenge to answer with a second factor, and the factors that can; with
   * `mfa_enrollment_required`: the token that sets one up.
   */
  mfa_token?: string;
  methods?: string[];
  /** With `invalid_mfa_code` at a sign-in: the wrong answers the challenge still allows. */
  attempts_left?: number;
}
