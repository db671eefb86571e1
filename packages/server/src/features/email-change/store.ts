import type { NewMail } from '../../mail/message.js';
import type { NewAuditEntry } from '../../store/audit/store.js';
import type { User } from '../../store/users/store.js';

export interface EmailChange {
  userId: number;
  /** The address the account must still have (null: none), else nothing changes. */
  from: string | null;
  to: string;
  now: Date;
  audit: NewAuditEntry;
  /** Mail the change causes (the notice to the old address), queued in its transaction. */
  mail?: (user: User) => NewMail[];
  /** End every session of the user, with this reason (a revert: whoever changed the address is out). */
  endSessions?: string;
  /** Void the user's pending one-time tokens of these purposes. */
  revokeTokens?: readonly string[];
}

export type EmailChangeOutcome =
  | { ok: true; user: User; sessionsEnded: number }
  /** `stale`: the account is gone or its address is no longer `from`; `taken`: another account has `to`. */
  | { ok: false; reason: 'stale' | 'taken' };

/**
 * The store slice of an email change. The address is compared and set in one statement, and the unique
 * index on users.email decides between two accounts that want the same address.
 */
export interface EmailChangeStore {
  /**
   * Whether another account than `exceptUserId` has this address, as its email or as its username:
   * usernames and emails are one namespace, so no account can be reached by another's identifier.
   */
  isEmailTaken(email: string, exceptUserId?: number): Promise<boolean>;
  /** A request's audit entry and its confirmation mail, in one transaction. */
  recordEmailChangeRequest(audit: NewAuditEntry, mail: NewMail, now: Date): Promise<void>;
  /**
   * The account's address becomes `to`, proved (email_verified), if it is still `from`; with the sessions
   * ended, tokens voided, audit entry (with `sessions_ended`) and mail the change asks for, in one
   * transaction.
   */
  changeEmail(change: EmailChange): Promise<EmailChangeOutcome>;
}
