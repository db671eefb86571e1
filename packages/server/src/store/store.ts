/** A user as the rest of the server sees it: never carries the password hash. */
export interface User {
  id: number;
  publicId: string;
  username: string;
  email: string | null;
  firstName: string;
  lastName: string;
  profileEmail: string;
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
  passwordHash: string;
  firstName?: string;
  lastName?: string;
  profileEmail?: string;
  isActive?: boolean;
  isStaff?: boolean;
  isSuperuser?: boolean;
}

export type UniqueField = 'username' | 'email';
export type CreateUserResult = { ok: true; user: User } | { ok: false; conflicts: UniqueField[] };

export interface LoginCandidate {
  user: User;
  passwordHash: string;
}

export interface RefreshTokenRecord {
  jti: string;
  userId: number;
  familyId: string;
  issuedAt: Date;
  expiresAt: Date;
}

export interface RotateRequest {
  jti: string;
  /** The user the token names; a row for another user is treated as unknown. */
  userId: number;
  now: Date;
  /** The token replacing it, recorded in the same transaction and family; absent when rotation is off. */
  child?: Omit<RefreshTokenRecord, 'familyId'>;
  /** Revoke the presented token (BLACKLIST_AFTER_ROTATION). */
  revoke: boolean;
}

export type RotateResult =
  { ok: true; user: User } | { ok: false; reason: 'unknown' | 'revoked' | 'user_inactive' | 'user_missing' };

export type RevokeResult = 'revoked' | 'already_revoked' | 'unknown';

/**
 * Everything Gatehouse keeps. Every method is atomic on its own; what must not race (rotation,
 * uniqueness) is decided by the database, never in process memory, so several server processes can
 * share one store. One contract test suite (store.contract.test.ts) runs against every implementation.
 */
export interface Store {
  createUser(user: NewUser, now: Date): Promise<CreateUserResult>;
  findUserById(id: number): Promise<User | undefined>;
  findUserByUsernameKey(usernameKey: string): Promise<User | undefined>;
  /** By email or username key; an email match wins when both match different users. */
  findLoginCandidate(identifier: { usernameKey: string; email: string }): Promise<LoginCandidate | undefined>;
  updatePasswordHash(userId: number, passwordHash: string, now: Date): Promise<void>;
  updateUser(
    userId: number,
    changes: Partial<
      Pick<User, 'firstName' | 'lastName' | 'profileEmail' | 'isActive' | 'isStaff' | 'isSuperuser'>
    >,
    now: Date,
  ): Promise<User | undefined>;
  recordLogin(userId: number, now: Date): Promise<void>;
  listUsers(): Promise<User[]>;

  recordRefreshToken(token: RefreshTokenRecord): Promise<void>;
  /** Compare-and-set: of any number of concurrent rotations of one token, exactly one succeeds. */
  rotateRefreshToken(request: RotateRequest): Promise<RotateResult>;
  revokeRefreshToken(jti: string, userId: number, now: Date): Promise<RevokeResult>;
  /** undefined: no such token. */
  isRefreshTokenRevoked(jti: string): Promise<boolean | undefined>;
  /** Removes tokens past their expiry; returns how many. */
  deleteExpiredRefreshTokens(now: Date): Promise<number>;

  /** The named secret, created by `create` on first use; concurrent first uses agree on one value. */
  getOrCreateSecret(name: string, create: () => string, now: Date): Promise<string>;

  migrate(): Promise<string[]>;
  close(): Promise<void>;
}
