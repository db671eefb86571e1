import type { NewMail } from '../../mail/message.js';
import type { NewAuditEntry } from '../audit/store.js';
import type { Page } from '../page.js';

/** A user as the rest of the server sees it: never carries the password hash. */
export interface User {
  id: number;
  publicId: string;
  username: string;
  email: string | null;
  firstName: string;
  lastName: string;
  profileEmail: string;
  name: string;
  /** The address was proved by a link sent to it; false while there is none. */
  emailVerified: boolean;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  lastLogin: Date | null;
  created: Date;
  updated: Date;
}

export interface NewUser {
  username: string;
  usernameKey: string;
  email: string | null;
  /** Null: an account that signs in some other way (a social login, a passkey) until it sets one. */
  passwordHash: string | null;
  firstName?: string;
  lastName?: string;
  profileEmail?: string;
  name?: string;
  isActive?: boolean;
  isStaff?: boolean;
  isSuperuser?: boolean;
  /** The address is known to be the user's (an operator vouches, a provider verified it). */
  emailVerified?: boolean;
}

export type UserChanges = Partial<
  Pick<User, 'firstName' | 'lastName' | 'profileEmail' | 'name' | 'isActive' | 'isStaff' | 'isSuperuser'>
>;

export interface UserChangeEffects {
  /** End every session of the user, with this reason (deactivation). */
  endSessions?: string;
  audit?: (sessionsEnded: number) => NewAuditEntry[];
  /** Mail the change causes (a notice), queued in its transaction. */
  mail?: (user: User) => NewMail[];
}

export interface CreateUserEffects {
  /** Mail the new account causes (the verification mail), queued in its transaction. */
  mail?: (user: User) => NewMail[];
}

export type UniqueField = 'username' | 'email';
export type CreateUserResult = { ok: true; user: User } | { ok: false; conflicts: UniqueField[] };

export interface LoginCandidate {
  user: User;
  passwordHash: string | null;
}

export interface UserQuery {
  /** Matched against username, email and names, case-insensitively. */
  search?: string | undefined;
  /** `updated` ascending or descending (the default, newest first). */
  ordering?: 'updated' | '-updated';
  offset: number;
  limit: number;
}

/**
 * The store slice of accounts. Uniqueness is decided by the database's indexes; a change that ends
 * sessions or is audited does so in its own transaction (the sessions and audit tables are the other
 * slices', the transaction is one).
 */
export interface UserStore {
  createUser(user: NewUser, now: Date, effects?: CreateUserEffects): Promise<CreateUserResult>;
  findUserByPublicId(publicId: string): Promise<User | undefined>;
  /** By the database id a queued mail or a one-time token names. */
  findUserById(id: number): Promise<User | undefined>;
  /** By email or username key; undefined when the two match different users (ambiguous). */
  findLoginCandidate(identifier: { usernameKey: string; email: string }): Promise<LoginCandidate | undefined>;
  /** undefined: no such user; null: the account has no password. */
  findPasswordHash(userId: number): Promise<string | null | undefined>;
  updatePasswordHash(userId: number, passwordHash: string, now: Date): Promise<void>;
  /**
   * A new password, chosen by its owner: every session but `keepSession` ends, and `audit` is written
   * (with `sessions_ended`), in one transaction. Returns how many sessions ended.
   */
  changePassword(change: {
    userId: number;
    passwordHash: string;
    now: Date;
    keepSession?: string;
    audit: NewAuditEntry;
    /** Queued in the same transaction (the notice of the change). */
    mail?: NewMail[];
    /** The address the change proved (a reset link sent to it): marked verified if it is still the user's. */
    verifiedEmail?: string;
  }): Promise<number>;
  /**
   * With `effects`, in one transaction: `endSessions` ends every session of the user (that reason), the
   * entries `audit` returns, given how many sessions ended, are written, and the mail `mail` returns is queued.
   */
  updateUser(
    userId: number,
    changes: UserChanges,
    now: Date,
    effects?: UserChangeEffects,
  ): Promise<User | undefined>;
  /** Sets last_login unless it is already more recent than `throttle` before now; true if it did. */
  recordLogin(userId: number, now: Date, throttleSeconds?: number): Promise<boolean>;
  /** With its audit entry, in one transaction; false (and nothing written) when there is no such user. */
  deleteUser(userId: number, audit?: NewAuditEntry): Promise<boolean>;
  listUsers(): Promise<User[]>;
  queryUsers(query: UserQuery): Promise<Page<User>>;
}
