import type { ColumnType } from 'kysely';

/**
 * Second factors and passkeys (migration 0007). The tables are shared by the features that use them:
 * `features/mfa` (TOTP, recovery codes, the admin reset) and `features/passkeys` (WebAuthn).
 * Timestamps are ISO-8601 text and booleans 0/1, as in the rest of the schema.
 */

/** A user's authenticator app: at most one, pending until its first code confirms it. */
export interface TotpFactorsTable {
  user_id: number;
  /** The shared secret, sealed (`auth/key-encryption.ts` format): it must be read back to check a code. */
  secret: string;
  created_at: string;
  /** Null while pending: a pending factor expires 10 minutes after `created_at` and counts for nothing. */
  confirmed_at: string | null;
  /** The last RFC 6238 time step accepted: a code is good once, and only for a later step (compare-and-set). */
  last_used_step: ColumnType<number | string | null, number | null | undefined, number | null>;
}

/** One recovery code of a user's current batch: a hash only, used once. */
export interface RecoveryCodesTable {
  user_id: number;
  code_hash: string;
  created_at: string;
  used_at: string | null;
}

/** A WebAuthn credential (a passkey) of a user. */
export interface PasskeysTable {
  /** Gatehouse's id for it, in the API (`/api/users/me/passkeys/<id>/`). */
  id: string;
  user_id: number;
  /** The credential id, base64url; unique across every user. */
  credential_id: string;
  /** The COSE public key, base64url. */
  public_key: string;
  /** The authenticator's signature counter: a value that does not move forward is refused (a cloned key). */
  sign_count: ColumnType<number | string, number, number>;
  /** JSON array of AuthenticatorTransport values, for allowCredentials hints. */
  transports: string;
  /** `singleDevice` or `multiDevice` (synced); with `backed_up` it decides `hwk` or `swk`. */
  device_type: string;
  backed_up: number;
  aaguid: string;
  /** The user's name for it ("Laptop"). */
  name: string;
  created_at: string;
  last_used_at: string | null;
}

/**
 * The WebAuthn user handle of a user: random bytes, so that an authenticator never holds the user's id
 * or email (WebAuthn §14.6.1). Made with the first passkey and kept.
 */
export interface WebauthnUserHandlesTable {
  user_id: number;
  /** base64url, unique. */
  handle: string;
}
