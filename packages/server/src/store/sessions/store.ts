import type { NewMail } from '../../mail/message.js';
import type { NewAuditEntry } from '../audit/store.js';
import type { Page } from '../page.js';
import type { User } from '../users/store.js';

/** A user's session list is bounded: whoever holds the password can open sessions without end. */
export const MAX_LISTED_SESSIONS = 100;

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

export type NewSession = Pick<Session, 'id' | 'userId' | 'userAgent' | 'ip' | 'methods'> & {
  authTime: Date;
  /** Opened in browser mode: only such a session's spent token gets the rotation grace period. */
  browser?: boolean;
};

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
  /**
   * Mail to queue when this rotation detects reuse (the owner's notice), in the transaction that ends the
   * session and writes the audit entry: once per detection, never for a session already ended.
   */
  reuseMail?: ((owner: User, sessionId: string) => NewMail[]) | undefined;
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

/**
 * The store slice of sessions and their refresh tokens (a session is a token family). Rotation is a
 * compare-and-set in the database, so any number of server processes may share it.
 */
export interface SessionStore {
  /**
   * A new session and its first refresh token, in one transaction. With `maxLive`, the user's other live
   * sessions (open, unexpired) beyond `maxLive - 1`, least recently used first, end in it too
   * (`session_limit`), so the user has at most `maxLive` afterwards.
   */
  startSession(
    session: NewSession,
    token: Omit<RefreshTokenRecord, 'familyId'>,
    maxLive?: number,
  ): Promise<void>;
  /** The user an access token names, with its session's state; one indexed lookup. */
  findAccessSubject(userId: number, sessionId: string): Promise<AccessSubject | undefined>;
  isSessionActive(sessionId: string): Promise<boolean>;
  /** Whether the user has had a session (open or ended) from this IP since `since`. */
  hasSessionFrom(userId: number, ip: string, since: Date): Promise<boolean>;
  /** Open sessions, most recently used first, at most `MAX_LISTED_SESSIONS`. */
  listSessions(userId: number, now: Date): Promise<Session[]>;
  /** One page of the same list (`limit` from `offset`), with the count of all of them. */
  pageSessions(userId: number, now: Date, offset: number, limit: number): Promise<Page<Session>>;
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

  /** Compare-and-set: of any number of concurrent rotations of one token, exactly one succeeds. */
  rotateRefreshToken(request: RotateRequest): Promise<RotateResult>;
  /** Logout: the token is spent and its session ended. */
  revokeRefreshToken(jti: string, userId: number, now: Date): Promise<RevokeResult>;
  /** undefined: no such token. A token of an ended session counts as revoked. */
  isRefreshTokenRevoked(jti: string): Promise<boolean | undefined>;
  /**
   * Removes tokens past their expiry, and sessions past theirs that began before `keepSessionsSince`
   * (default: now): a recent session is the record that its device signed in (hasSessionFrom), kept
   * after it ends. Returns how many tokens.
   */
  deleteExpiredRefreshTokens(now: Date, keepSessionsSince?: Date): Promise<number>;
}
