/** A stored one-time token: its hash, never the secret itself. */
export interface OneTimeTokenRecord {
  id: string;
  purpose: string;
  userId: number | null;
  tokenHash: string;
  data: Record<string, unknown> | null;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  attempts: number;
  maxAttempts: number;
}

export type NewOneTimeToken = Omit<OneTimeTokenRecord, 'id' | 'usedAt' | 'attempts'>;

export type OneTimeTokenRefusal = 'unknown' | 'expired' | 'used' | 'wrong_purpose' | 'too_many_attempts';

export type ConsumeOneTimeTokenResult =
  { ok: true; token: OneTimeTokenRecord } | { ok: false; reason: OneTimeTokenRefusal };

export type OneTimeTokenAttemptResult =
  | ConsumeOneTimeTokenResult
  /** A live token, but not this secret: one attempt spent. */
  | { ok: false; reason: 'wrong_secret'; attemptsLeft: number };

/**
 * The store slice of one-time tokens. Single use and the attempt counter are decided by the database
 * (conditional updates), so any number of server processes may share it.
 */
export interface OneTimeTokenStore {
  /** undefined: a token with this hash exists already (the caller draws another secret). */
  insertOneTimeToken(token: NewOneTimeToken): Promise<OneTimeTokenRecord | undefined>;
  /**
   * The live token with this hash, or why there is none, as `consumeOneTimeToken` would say, changing
   * nothing: for a flow that checks its other input before it spends the token.
   */
  findOneTimeToken(purpose: string, tokenHash: string, now: Date): Promise<ConsumeOneTimeTokenResult>;
  /** Compare-and-set: of any number of concurrent consumes of one token, exactly one succeeds. */
  consumeOneTimeToken(purpose: string, tokenHash: string, now: Date): Promise<ConsumeOneTimeTokenResult>;
  /**
   * One guess at the secret of the user's live token of `purpose` (a short code), in one statement: it
   * spends an attempt and, when `tokenHash` matches, uses the token. Concurrent guesses cannot get past
   * the limit, since each spends its attempt before it is checked.
   */
  recordOneTimeTokenAttempt(
    purpose: string,
    userId: number,
    tokenHash: string,
    now: Date,
  ): Promise<OneTimeTokenAttemptResult>;
  /**
   * One wrong answer to the live token with this hash (a second-factor challenge whose code was
   * wrong): spends an attempt in one conditional update. undefined: no live token (unknown, used,
   * expired or out of attempts).
   */
  spendOneTimeTokenAttempt(
    purpose: string,
    tokenHash: string,
    now: Date,
  ): Promise<{ attemptsLeft: number } | undefined>;
  /** Deletes the user's tokens of `purpose` (a new one voids the earlier); returns how many. */
  revokeOneTimeTokens(userId: number, purpose: string): Promise<number>;
  /** Deletes tokens past their expiry, used or not; returns how many. */
  deleteExpiredOneTimeTokens(now: Date): Promise<number>;
}
