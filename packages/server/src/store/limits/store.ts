/** A reserved attempt goes ahead; a refused one names when the key's block ends. */
export type LoginReservation = { allowed: true } | { allowed: false; blockedUntil: Date };

export type RateLimitResult = { allowed: true } | { allowed: false; retryAfter: number };

/**
 * The store slice of login throttling and rate limits: counters in the database, each changed in one
 * statement, so several server processes share them and a restart keeps them.
 */
export interface LimitStore {
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
  /**
   * Reserves one attempt of `key` before its password is checked, counted as a failure until it is
   * cleared: in one statement, refused while the key is blocked, otherwise counted (failures older than
   * `resetAfter` seconds forgotten first) and blocked for `delays[failures - 1]` seconds (the last entry
   * beyond the list's end). So a burst of parallel guesses is counted as it arrives, never after hashing.
   */
  reserveLoginAttempt(
    key: string,
    now: Date,
    resetAfter: number,
    delays: readonly number[],
  ): Promise<LoginReservation>;
  /** When each of `keys` is blocked until (only keys blocked after `now`). */
  loginBlocks(keys: string[], now: Date): Promise<Map<string, Date>>;
  clearLoginFailures(key: string): Promise<void>;
  /** Forgets failure counters and rate-limit windows not touched since `before`. */
  deleteStaleLimits(before: Date): Promise<void>;
  /** Counts one hit of a fixed window; `retryAfter` seconds when over `limit`. */
  hitRateLimit(key: string, limit: number, windowSeconds: number, now: Date): Promise<RateLimitResult>;
}
