import type { OneTimeTokenStore } from '../core/one-time-tokens/store.js';

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
}

export type UserChanges = Partial<
  Pick<User, 'firstName' | 'lastName' | 'profileEmail' | 'name' | 'isActive' | 'isStaff' | 'isSuperuser'>
>;

export interface UserChangeEffects {
  /** End every session of the user, with this reason (deactivation). */
  endSessions?: string;
  audit?: (sessionsEnded: number) => NewAuditEntry[];
}

export type UniqueField = 'username' | 'email';
export type CreateUserResult = { ok: true; user: User } | { ok: false; conflicts: UniqueField[] };

export interface LoginCandidate {
  user: User;
  passwordHash: string | null;
}

/** A login, as its owner sees it in a sessions list. */
export interface Session {
  id: string;
  userId: number;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  revokeReason: string | null;
  userAgent: string;
  ip: string;
  /** How the user proved who they are at sign-in (RFC 8176 `amr` values). */
  methods: readonly string[];
  /** When; null for sessions started before Gatehouse recorded it. */
  authTime: Date | null;
}

export type NewSession = Pick<Session, 'id' | 'userId' | 'userAgent' | 'ip' | 'methods'> & { authTime: Date };

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
  /** The token replacing it, recorded in the same transaction and session; absent when rotation is off. */
  child?: Omit<RefreshTokenRecord, 'familyId'>;
  /** Revoke the presented token (BLACKLIST_AFTER_ROTATION); with it comes reuse detection. */
  revoke: boolean;
  /** Absent: no grace period and no session lifetime limits. */
  policy?: SessionPolicy;
}

export interface SessionPolicy {
  /**
   * Seconds during which the token just rotated may be presented again and gets its (still unused)
   * successor back instead of counting as reuse.
   */
  graceSeconds: number;
  /** The session ends this long after login / after its last refresh. Seconds. */
  absoluteLifetime: number;
  idleTimeout: number;
}

export type RotateResult =
  | {
      ok: true;
      user: User;
      sessionId: string;
      /** Within the grace period: the successor already issued, to be sent again. */
      replay?: Omit<RefreshTokenRecord, 'familyId'>;
    }
  | { ok: false; reason: 'unknown' | 'revoked' | 'session_expired' | 'user_inactive' | 'user_missing' }
  /**
   * A spent token came back outside the grace period (a stolen copy, or its victim): the whole session
   * has just been ended.
   */
  | { ok: false; reason: 'reused'; sessionId: string };

export type RevokeResult = 'revoked' | 'already_revoked' | 'unknown';

/** The user behind an access token, and whether the token's session is still open. */
export interface AccessSubject {
  user: User;
  sessionActive: boolean;
}

export interface Page<T> {
  count: number;
  items: T[];
}

export interface UserQuery {
  /** Matched against username, email and names, case-insensitively. */
  search?: string | undefined;
  /** `updated` ascending or descending (the default, newest first). */
  ordering?: 'updated' | '-updated';
  offset: number;
  limit: number;
}

export type RateLimitResult = { allowed: true } | { allowed: false; retryAfter: number };

export interface AuditEntry {
  id: number;
  at: Date;
  actorId: number | null;
  actor: string;
  action: string;
  targetId: number | null;
  target: string;
  detail: Record<string, unknown>;
  ip: string;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

/**
 * A token-signing key. `algorithm` is `HMAC` for a shared secret (used with whichever of HS256/384/512 is
 * configured) or the JWS algorithm of a key pair. The private half is kept sealed (auth/key-encryption.ts).
 */
export interface SigningKeyRecord {
  kid: string;
  algorithm: string;
  /** The public key as a JWK; null for HMAC secrets, which are never published. */
  publicJwk: Record<string, string> | null;
  /** The private key (PKCS#8 PEM) or secret, sealed. */
  privateKey: string;
  status: 'active' | 'retired';
  createdAt: Date;
  retiredAt: Date | null;
}

export type NewSigningKey = Omit<SigningKeyRecord, 'status' | 'retiredAt'>;

export type RetireKeyResult = 'retired' | 'unknown' | 'already_retired' | 'newest';

/**
 * Everything Gatehouse keeps. Every method is atomic on its own; what must not race (rotation,
 * uniqueness) is decided by the database, never in process memory, so several server processes can
 * share one store. One contract test suite (store.contract.test.ts) runs against every implementation.
 */
export interface Store extends OneTimeTokenStore {
  createUser(user: NewUser, now: Date): Promise<CreateUserResult>;
  findUserById(id: number): Promise<User | undefined>;
  findUserByPublicId(publicId: string): Promise<User | undefined>;
  findUserByUsernameKey(usernameKey: string): Promise<User | undefined>;
  /** By email or username key; an email match wins when both match different users. */
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
  }): Promise<number>;
  /**
   * With `effects`, in one transaction: `endSessions` ends every session of the user (that reason), and
   * the entries `audit` returns, given how many sessions ended, are written.
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

  /** A new session and its first refresh token, in one transaction. */
  startSession(session: NewSession, token: Omit<RefreshTokenRecord, 'familyId'>): Promise<void>;
  /** The user an access token names, with its session's state; one indexed lookup. */
  findAccessSubject(userId: number, sessionId: string): Promise<AccessSubject | undefined>;
  isSessionActive(sessionId: string): Promise<boolean>;
  /** Whether the user has had a session (open or ended) from this IP since `since`. */
  hasSessionFrom(userId: number, ip: string, since: Date): Promise<boolean>;
  listSessions(userId: number, now: Date): Promise<Session[]>;
  /**
   * Ends a session: its refresh tokens and access tokens stop working. False if none was open. `audit` is
   * written with it, in its transaction, when it ended one.
   */
  revokeSession(
    sessionId: string,
    userId: number,
    reason: string,
    now: Date,
    audit?: NewAuditEntry,
  ): Promise<boolean>;
  /**
   * Ends every open session of a user but `except`; returns how many. `audit` (with `sessions_ended`) is
   * written in the same transaction.
   */
  revokeUserSessions(
    userId: number,
    reason: string,
    now: Date,
    except?: string,
    audit?: NewAuditEntry,
  ): Promise<number>;

  recordRefreshToken(token: RefreshTokenRecord): Promise<void>;
  /** Compare-and-set: of any number of concurrent rotations of one token, exactly one succeeds. */
  rotateRefreshToken(request: RotateRequest): Promise<RotateResult>;
  /** Logout: the token is spent and its session ended. */
  revokeRefreshToken(jti: string, userId: number, now: Date): Promise<RevokeResult>;
  /** undefined: no such token. A token of an ended session counts as revoked. */
  isRefreshTokenRevoked(jti: string): Promise<boolean | undefined>;
  /** Removes tokens and sessions past their expiry; returns how many tokens. */
  deleteExpiredRefreshTokens(now: Date): Promise<number>;

  /**
   * One more failed login for `key` (atomically, across processes); failures older than `resetAfter`
   * seconds are forgotten first. `delayFor(failures)` gives the seconds the key is then blocked for.
   */
  recordLoginFailure(
    key: string,
    now: Date,
    resetAfter: number,
    delayFor: (failures: number) => number,
  ): Promise<void>;
  /** When each of `keys` is blocked until (only keys blocked after `now`). */
  loginBlocks(keys: string[], now: Date): Promise<Map<string, Date>>;
  clearLoginFailures(key: string): Promise<void>;
  /** Forgets failure counters and rate-limit windows not touched since `before`. */
  deleteStaleLimits(before: Date): Promise<void>;
  /** Counts one hit of a fixed window; `retryAfter` seconds when over `limit`. */
  hitRateLimit(key: string, limit: number, windowSeconds: number, now: Date): Promise<RateLimitResult>;

  recordAudit(entry: NewAuditEntry): Promise<void>;
  /** Newest first; only entries about `targetId` when given. */
  listAudit(offset: number, limit: number, targetId?: number): Promise<Page<AuditEntry>>;

  /** The named secret, created by `create` on first use; concurrent first uses agree on one value. */
  getOrCreateSecret(name: string, create: () => string, now: Date): Promise<string>;

  /** Every signing key, retired ones included, newest first. */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /**
   * Adds an active key. With `onlyIfNoneActive`, only when no active key of its algorithm exists (the
   * first start of several instances at once creates one key); false when it did not add it.
   */
  addSigningKey(key: NewSigningKey, options?: { onlyIfNoneActive?: boolean }): Promise<boolean>;
  /** Retires a key, unless it is the newest active key of `protectedAlgorithm` (the one signing). */
  retireSigningKey(kid: string, protectedAlgorithm: string, now: Date): Promise<RetireKeyResult>;
  /** Compare-and-set of a key's sealed private half (to seal it with a new key-encryption key). */
  replaceSigningKeySecret(kid: string, from: string, to: string): Promise<boolean>;

  /** One cheap round trip to the database, for readiness checks; rejects when it cannot be reached. */
  ping(): Promise<void>;
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}
