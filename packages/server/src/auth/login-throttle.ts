import { clientKey } from '../http/client-key.js';
import type { LimitStore } from '../store/limits/store.js';

/** Failures allowed without delay, then delays doubling from `baseDelay` up to `maxDelay` seconds. */
export interface ThrottlePolicy {
  free: number;
  baseDelay: number;
  maxDelay: number;
}

/**
 * OWASP's advice for credential stuffing and guessing: growing delays, never a permanent lockout, so an
 * attacker cannot lock a real user out for long. An account under attack still lets its owner in from
 * a device it has signed in from before.
 */
export const ACCOUNT_THROTTLE: ThrottlePolicy = { free: 5, baseDelay: 1, maxDelay: 15 * 60 };
export const IP_THROTTLE: ThrottlePolicy = { free: 50, baseDelay: 1, maxDelay: 15 * 60 };
/** Failures older than this are forgotten. */
const FORGET_AFTER = 24 * 3600;
/** A device (an IP address) that signed in to the account this recently is "known". */
export const KNOWN_DEVICE_DAYS = 30;

export function delayFor(policy: ThrottlePolicy, failures: number): number {
  if (failures <= policy.free) return 0;
  return Math.min(policy.maxDelay, policy.baseDelay * 2 ** (failures - policy.free - 1));
}

export interface LoginBlocks {
  /** Seconds until the client IP may try again. */
  ip?: number;
  /** Seconds until the account may be tried again from an unknown device. */
  account?: number;
}

export interface LoginThrottle {
  check(identifierKey: string, ip: string): Promise<LoginBlocks>;
  failed(identifierKey: string, ip: string): Promise<void>;
  succeeded(identifierKey: string): Promise<void>;
}

/**
 * Keys are the canonical identifier as typed (whether or not such an account exists, so the answers
 * do not tell) and the client IP (as Fastify resolves it: X-Forwarded-For only from trusted proxies),
 * an IPv6 client counted by its /64.
 */
export function createLoginThrottle(
  store: Pick<LimitStore, 'recordLoginFailure' | 'loginBlocks' | 'clearLoginFailures'>,
  clock: () => Date,
): LoginThrottle {
  const accountKey = (identifier: string) => `account:${identifier}`;
  const ipKey = (ip: string) => `ip:${clientKey(ip)}`;
  const secondsUntil = (until: Date | undefined, now: Date) =>
    until === undefined ? undefined : Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));

  return {
    async check(identifierKey, ip) {
      const now = clock();
      const blocks = await store.loginBlocks([accountKey(identifierKey), ipKey(ip)], now);
      const account = secondsUntil(blocks.get(accountKey(identifierKey)), now);
      const byIp = secondsUntil(blocks.get(ipKey(ip)), now);
      return { ...(account !== undefined && { account }), ...(byIp !== undefined && { ip: byIp }) };
    },
    async failed(identifierKey, ip) {
      const now = clock();
      await store.recordLoginFailure(accountKey(identifierKey), now, FORGET_AFTER, (n) =>
        delayFor(ACCOUNT_THROTTLE, n),
      );
      await store.recordLoginFailure(ipKey(ip), now, FORGET_AFTER, (n) => delayFor(IP_THROTTLE, n));
    },
    succeeded: (identifierKey) => store.clearLoginFailures(accountKey(identifierKey)),
  };
}
