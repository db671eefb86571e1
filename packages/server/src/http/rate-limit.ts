import type { onRequestAsyncHookHandler } from 'fastify';
import type { LimitStore } from '../store/limits/store.js';
import { clientKey } from './client-key.js';
import { throttled } from './errors.js';

export interface RateLimitRule {
  name: string;
  limit: number;
  windowSeconds: number;
}

/**
 * Per client IP (an IPv6 client per /64, see client-key.ts); counted before the body is parsed, so
 * malformed floods count too.
 */
export const RATE_LIMITS = {
  register: { name: 'register', limit: 10, windowSeconds: 3600 },
  refresh: { name: 'refresh', limit: 300, windowSeconds: 60 },
  password: { name: 'password', limit: 10, windowSeconds: 15 * 60 },
} as const satisfies Record<string, RateLimitRule>;

export type RateLimiter = (rule: RateLimitRule) => onRequestAsyncHookHandler;

/** Counters live in the database, so every server process shares them. `enabled: false` for benchmarks. */
export function createRateLimiter(
  store: Pick<LimitStore, 'hitRateLimit'>,
  clock: () => Date,
  enabled: boolean,
): RateLimiter {
  return (rule) => async (request) => {
    if (!enabled) return;
    const result = await store.hitRateLimit(
      `${rule.name}:${clientKey(request.ip)}`,
      rule.limit,
      rule.windowSeconds,
      clock(),
    );
    if (!result.allowed) throw throttled(result.retryAfter);
  };
}
