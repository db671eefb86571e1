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

/**
 * Logins one server process checks at once for one client IP and for one account; more are answered
 * 429 at once, before any database write or hashing. An office behind one address signs in at a few a
 * second, and a script or a load test may sign one account in from a handful of workers at once; a
 * burst of hundreds in flight is a tool. (Guessing is bounded by the reservation, not by these caps:
 * they bound what one client or one account can hold of the hashing queue.)
 */
export const IN_FLIGHT_PER_IP = 32;
export const IN_FLIGHT_PER_ACCOUNT = 32;

export function delayFor(policy: ThrottlePolicy, failures: number): number {
  if (failures <= policy.free) return 0;
  return Math.min(policy.maxDelay, policy.baseDelay * 2 ** (failures - policy.free - 1));
}

/** The delay after each failure count, 1 to the first that reaches the maximum (which then repeats). */
export function delaySchedule(policy: ThrottlePolicy): number[] {
  const delays: number[] = [];
  for (let failures = 1; delays.at(-1) !== policy.maxDelay; failures++) {
    delays.push(delayFor(policy, failures));
    if (failures > policy.free + 64) break;
  }
  return delays;
}

/**
 * The bucket an account is throttled in: one per account whatever identifier named it (its username,
 * its email), and one per identifier that names no account, so the two behave alike.
 */
export function accountBucket(account: { userId: number } | { identifierKey: string }): string {
  return 'userId' in account ? `account:${account.userId}` : `account:?${account.identifierKey}`;
}

export type LoginAttempt =
  | { ok: true }
  /** `busy`: too many of this client's or account's logins in flight; `ip`, `account`: a block. */
  | { ok: false; blocked: 'busy' | 'ip' | 'account'; retryAfter: number };

export interface LoginThrottle {
  /**
   * Runs one login attempt's checks: refused at once when too many are in flight (`busy`); then the IP's
   * block; then one attempt of the account's bucket is reserved in one statement, counted as a failure
   * until `succeeded` clears it, so parallel guesses cannot all pass a check made before hashing.
   * `attempt` runs with the outcome and holds the in-flight slots until it settles.
   */
  attempt<T>(bucket: string, ip: string, attempt: (reserved: LoginAttempt) => Promise<T>): Promise<T>;
  /** A wrong password for the IP (the account's bucket counted it when it was reserved). */
  failedFrom(ip: string): Promise<void>;
  /** A wrong password outside a login (a sensitive change): counted on the account and the IP. */
  failed(bucket: string, ip: string): Promise<void>;
  /** The right password: the account's failures are forgotten. */
  succeeded(bucket: string): Promise<void>;
}

/**
 * Keys are the account's bucket and the client IP (as Fastify resolves it: X-Forwarded-For only from
 * trusted proxies), an IPv6 client counted by its /64. In-flight counts are this process's own.
 */
export function createLoginThrottle(
  store: Pick<
    LimitStore,
    'recordLoginFailure' | 'reserveLoginAttempt' | 'loginBlocks' | 'clearLoginFailures'
  >,
  clock: () => Date,
  freeFailures: { perAccount: number; perIp: number } = {
    perAccount: ACCOUNT_THROTTLE.free,
    perIp: IP_THROTTLE.free,
  },
): LoginThrottle {
  const accountPolicy = { ...ACCOUNT_THROTTLE, free: freeFailures.perAccount };
  const ipPolicy = { ...IP_THROTTLE, free: freeFailures.perIp };
  const ipKey = (ip: string) => `ip:${clientKey(ip)}`;
  const accountDelays = delaySchedule(accountPolicy);
  const secondsUntil = (until: Date, now: Date) =>
    Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  const inFlight = new Map<string, number>();
  const take = (key: string, cap: number) => {
    const count = inFlight.get(key) ?? 0;
    if (count >= cap) return false;
    inFlight.set(key, count + 1);
    return true;
  };
  const release = (key: string) => {
    const count = (inFlight.get(key) ?? 1) - 1;
    if (count === 0) inFlight.delete(key);
    else inFlight.set(key, count);
  };
  const recordIpFailure = (ip: string, now: Date) =>
    store.recordLoginFailure(ipKey(ip), now, FORGET_AFTER, (n) => delayFor(ipPolicy, n));

  async function check(bucket: string, ip: string): Promise<LoginAttempt> {
    const now = clock();
    const ipBlock = (await store.loginBlocks([ipKey(ip)], now)).get(ipKey(ip));
    // A blocked IP costs nothing more: no reservation, no hashing.
    if (ipBlock !== undefined) return { ok: false, blocked: 'ip', retryAfter: secondsUntil(ipBlock, now) };
    const reservation = await store.reserveLoginAttempt(bucket, now, FORGET_AFTER, accountDelays);
    if (reservation.allowed) return { ok: true };
    // Refused without looking at the password, so a right and a wrong guess get the same answer, the
    // same Retry-After and the same writes: none. (Counting refusals against the IP would let a client
    // retrying a briefly blocked account, or many parallel logins of one, block its whole address.)
    return { ok: false, blocked: 'account', retryAfter: secondsUntil(reservation.blockedUntil, now) };
  }

  return {
    async attempt(bucket, ip, attempt) {
      const ipSlot = `ip:${clientKey(ip)}`;
      if (!take(ipSlot, IN_FLIGHT_PER_IP)) return attempt({ ok: false, blocked: 'busy', retryAfter: 1 });
      try {
        if (!take(bucket, IN_FLIGHT_PER_ACCOUNT))
          return await attempt({ ok: false, blocked: 'busy', retryAfter: 1 });
        try {
          return await attempt(await check(bucket, ip));
        } finally {
          release(bucket);
        }
      } finally {
        release(ipSlot);
      }
    },
    failedFrom: (ip) => recordIpFailure(ip, clock()),
    async failed(bucket, ip) {
      const now = clock();
      await store.recordLoginFailure(bucket, now, FORGET_AFTER, (n) => delayFor(accountPolicy, n));
      await recordIpFailure(ip, now);
    },
    succeeded: (bucket) => store.clearLoginFailures(bucket),
  };
}
