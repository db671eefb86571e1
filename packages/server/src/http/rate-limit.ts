import type { onRequestAsyncHookHandler } from 'fastify';
import type { LimitStore } from '../store/limits/store.js';
import { clientKey } from './client-key.js';
import { throttled } from './errors.js';
import type { RateLimitName, SendLimit } from '../config.js';

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
  mail: { name: 'mail', limit: 30, windowSeconds: 3600 },
  link: { name: 'link', limit: 30, windowSeconds: 15 * 60 },
  passkey: { name: 'passkey', limit: 60, windowSeconds: 60 },
} as const satisfies Record<RateLimitName, RateLimitRule>;

export type RateLimiter = (rule: RateLimitRule) => onRequestAsyncHookHandler;

export interface RateLimiterOptions {
  /** `false` for benchmarks (GATEHOUSE_RATE_LIMITS=false). */
  enabled: boolean;
  /** The deployer's count and window for a rule, by its name (GATEHOUSE_RATE_LIMIT_<NAME>). */
  windows?: Readonly<Partial<Record<string, SendLimit>>>;
  /** Clients this process remembers as refused; beyond it the oldest half is forgotten. */
  maxRemembered?: number;
}

/**
 * Counters live in the database, so every server process shares them. In front of them, each process
 * remembers which clients the database refused until their window reopens, and refuses them again
 * without a write: a flood from one client costs one write a window, not one a request (SQLite has one
 * writer). A refusal remembered here is never wrong: the shared count only grows within a window.
 */
export function createRateLimiter(
  store: Pick<LimitStore, 'hitRateLimit'>,
  clock: () => Date,
  { enabled, windows = {}, maxRemembered = 10_000 }: RateLimiterOptions,
): RateLimiter {
  const refusedUntil = new Map<string, number>();
  const remember = (key: string, until: number) => {
    if (refusedUntil.size >= maxRemembered) {
      const now = clock().getTime();
      for (const [old, expiry] of refusedUntil) if (expiry <= now) refusedUntil.delete(old);
      if (refusedUntil.size >= maxRemembered) {
        let drop = refusedUntil.size / 2;
        for (const old of refusedUntil.keys()) {
          if (drop-- <= 0) break;
          refusedUntil.delete(old);
        }
      }
    }
    refusedUntil.set(key, until);
  };
  return (rule) => {
    const window = windows[rule.name];
    const limit = window?.count ?? rule.limit;
    const windowSeconds = window?.seconds ?? rule.windowSeconds;
    return async (request) => {
      if (!enabled) return;
      const key = `${rule.name}:${clientKey(request.ip)}`;
      const now = clock();
      const until = refusedUntil.get(key);
      if (until !== undefined) {
        if (until > now.getTime()) throw throttled(Math.max(1, Math.ceil((until - now.getTime()) / 1000)));
        refusedUntil.delete(key);
      }
      const result = await store.hitRateLimit(key, limit, windowSeconds, now);
      if (!result.allowed) {
        remember(key, now.getTime() + result.retryAfter * 1000);
        throw throttled(result.retryAfter);
      }
    };
  };
}
