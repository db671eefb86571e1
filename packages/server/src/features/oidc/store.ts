import type { NewMail } from '../../mail/message.js';
import type { NewAuditEntry } from '../../store/audit/store.js';
import type { NewUser, User } from '../../store/users/store.js';

/** An account's identity at a provider: (issuer, subject), never an address. */
export interface Identity {
  id: string;
  userId: number;
  provider: string;
  issuer: string;
  subject: string;
  email: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type NewIdentity = Omit<Identity, 'id' | 'userId' | 'lastUsedAt'>;

/** What linking or unlinking writes with it, in its transaction. */
export interface IdentityEffects {
  audit: NewAuditEntry;
  mail?: readonly NewMail[];
  now: Date;
}

export type LinkIdentityOutcome =
  | { ok: true; identity: Identity }
  /** The identity belongs to an account already (this one or another): nothing written. */
  | { ok: false; reason: 'in_use'; userId: number };

export type CreateAccountWithIdentityOutcome =
  | { ok: true; user: User; identity: Identity }
  /** `username`: taken (try another); `email`: another account has the address; `identity`: linked already. */
  | { ok: false; reason: 'username' | 'email' | 'identity' };

export type UnlinkIdentityOutcome =
  | { ok: true; identity: Identity }
  | { ok: false; reason: 'not_found' }
  /** No password, no passkey and no other identity: the account could no longer sign in. */
  | { ok: false; reason: 'last_method' };

/** A callback's remembered answer: the binding of the browser it was for and where it sent it. */
export interface OidcCallbackRecord {
  bindingHash: string;
  /** Null while the first arrival is still being answered. */
  location: string | null;
}

/**
 * The store slice of provider identities. (issuer, subject) is unique across every account, decided by
 * the database; an account's last way to sign in cannot be unlinked, decided in the unlink's transaction.
 */
export interface IdentityStore {
  findIdentity(issuer: string, subject: string): Promise<Identity | undefined>;
  /** The user's identities, oldest first. */
  listIdentities(userId: number): Promise<Identity[]>;
  /** Links the identity to `userId`, with its audit entry and mail, in one transaction. */
  linkIdentity(userId: number, identity: NewIdentity, effects: IdentityEffects): Promise<LinkIdentityOutcome>;
  /**
   * A new account (without a password) and its identity, with the audit entry `audit(user)`, in one
   * transaction; nothing written when any of them is refused.
   */
  createAccountWithIdentity(
    user: NewUser,
    identity: NewIdentity,
    effects: { audit: (user: User) => NewAuditEntry; now: Date },
  ): Promise<CreateAccountWithIdentityOutcome>;
  /** A sign-in with the identity: its time, and the address the provider gave this time. */
  recordIdentityUse(id: string, email: string | null, now: Date): Promise<void>;
  /** Unlinks the user's identity `id` unless it is their last way to sign in, with its audit entry. */
  unlinkIdentity(
    userId: number,
    id: string,
    effects: (identity: Identity) => IdentityEffects,
  ): Promise<UnlinkIdentityOutcome>;

  /**
   * The first arrival of a flow's callback claims its state (true); a later one finds it claimed (false).
   * Expired records are swept first.
   */
  claimOidcCallback(stateHash: string, bindingHash: string, expiresAt: Date, now: Date): Promise<boolean>;
  settleOidcCallback(stateHash: string, location: string): Promise<void>;
  findOidcCallback(stateHash: string, now: Date): Promise<OidcCallbackRecord | undefined>;
}
