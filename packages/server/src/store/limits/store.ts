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
  /** When each of `keys` is blocked until (only keys blocked after `now`). */
  loginBlocks(keys: string[], now: Date): Promise<Map<string, Date>>;
  clearLoginFailures(key: string): Promise<void>;
  /** Forgets failure counters and rate-limit windows not touched since `before`. */
  deleteStaleLimits(before: Date): Promise<void>;
  /** Counts one hit of a fixed window; `retryAfter` seconds when over `limit`. */
  hitRateLimit(key: string, limit: number, windowSeconds: number, now: Date): Promise<RateLimitResult>;
}
