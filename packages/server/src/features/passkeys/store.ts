import type { NewMail } from '../../mail/message.js';
import type { NewAuditEntry } from '../../store/audit/store.js';

export type PasskeyDeviceType = 'singleDevice' | 'multiDevice';

/** A WebAuthn credential of a user (store/factors/table.ts says what each field is). */
export interface Passkey {
  id: string;
  userId: number;
  /** base64url. */
  credentialId: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  signCount: number;
  transports: string[];
  deviceType: PasskeyDeviceType;
  backedUp: boolean;
  aaguid: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type NewPasskey = Omit<Passkey, 'lastUsedAt'>;

/** What adding or removing a passkey writes with it, in its transaction. */
export interface PasskeyEffects {
  audit: NewAuditEntry;
  mail: readonly NewMail[];
  now: Date;
}

export interface PasskeyUse {
  id: string;
  signCount: number;
  backedUp: boolean;
  now: Date;
  refused: NewAuditEntry;
}

export type AddPasskeyOutcome =
  | { ok: true; passkey: Passkey }
  /**
   * `exists`: the credential id is registered (to anyone); `handle_changed`: the user got another user
   * handle meanwhile (two registrations at once), so the authenticator holds a handle that is not theirs.
   */
  | { ok: false; reason: 'exists' | 'handle_changed' };

/**
 * The store slice of passkeys. The credential id is unique across every user (decided by its index);
 * the counter moves forward by a compare-and-set.
 */
export interface PasskeyStore {
  /** The user's WebAuthn user handle (base64url), if they ever had a passkey. */
  findWebauthnUserHandle(userId: number): Promise<string | undefined>;
  /** The user's passkeys, oldest first. */
  listPasskeys(userId: number): Promise<Passkey[]>;
  hasPasskey(userId: number): Promise<boolean>;
  findPasskeyByCredentialId(credentialId: string): Promise<Passkey | undefined>;
  /**
   * Adds the passkey, and the user's handle `handle` if they have none yet (their first passkey), with
   * its audit entry and mail, in one transaction.
   */
  addPasskey(passkey: NewPasskey, handle: string, effects: PasskeyEffects): Promise<AddPasskeyOutcome>;
  /** The user's passkey `id` renamed; undefined: they have no such passkey. */
  renamePasskey(userId: number, id: string, name: string): Promise<Passkey | undefined>;
  /**
   * Removes the user's passkey `id`, with the audit entry and the mail `effects(passkey)` gives, in one
   * transaction; undefined: they have no such passkey, nothing written.
   */
  deletePasskey(
    userId: number,
    id: string,
    effects: (passkey: Passkey) => PasskeyEffects,
  ): Promise<Passkey | undefined>;
  /**
   * A verified use: the counter becomes `signCount` and the backup state `backedUp`, if the counter moves
   * forward (or both are 0: an authenticator without one). false: it did not (a cloned authenticator, or
   * the same assertion twice at once): nothing changed but the audit entry `refused`, written then.
   */
  recordPasskeyUse(use: PasskeyUse): Promise<boolean>;
}
