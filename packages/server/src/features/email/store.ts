import type { NewAuditEntry } from '../../store/audit/store.js';
import type { User } from '../../store/users/store.js';

/**
 * The store slice of email verification and password reset: the lookups their mail is composed from,
 * and marking an address verified.
 */
export interface EmailStore {
  findUserById(id: number): Promise<User | undefined>;
  /** By the canonical address (users/canonical.ts canonicalEmail); one at most, the column is unique. */
  findUserByEmail(email: string): Promise<User | undefined>;
  /**
   * Marks the user's address verified, if it is still `email`, and writes `audit`, in one transaction.
   * The user as it now is; undefined (and nothing written) when there is no such user or the address is
   * another. Already verified: the user, and no second entry.
   */
  markEmailVerified(
    userId: number,
    email: string,
    now: Date,
    audit: NewAuditEntry,
  ): Promise<User | undefined>;
}
