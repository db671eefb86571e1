import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import { limitConcurrency } from './concurrency.js';
import type { PasswordHashConfig } from '../config.js';

export interface PasswordVerification {
  ok: boolean;
  /** The hash was made with weaker parameters than the configured ones. */
  needsRehash: boolean;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** `hash` undefined (no such user) still costs one full verification. */
  verify(hash: string | undefined, password: string): Promise<PasswordVerification>;
}

/**
 * argon2id; the native addon hashes on libuv's thread pool, never on the event loop. At most one hash
 * per core but one runs at once: a login storm would otherwise take every core (libuv has 4 threads)
 * and the event loop's own core with them, and every other request would wait.
 */
export function createPasswordHasher(
  params: PasswordHashConfig,
  maxConcurrent = Math.max(1, availableParallelism() - 1),
): PasswordHasher {
  const options = { type: argon2.argon2id, ...params } as const;
  const limit = limitConcurrency(maxConcurrent);
  // A hash of a random secret with the same parameters: verifying against it costs what a real user costs,
  // so response time does not tell which accounts exist. Made at once so that the first unknown-user
  // login does not pay for it.
  const dummy = limit(() => argon2.hash(randomBytes(32).toString('hex'), options));

  return {
    hash: (password) => limit(() => argon2.hash(password, options)),
    async verify(hash, password) {
      const target = hash ?? (await dummy);
      let ok: boolean;
      try {
        ok = await limit(() => argon2.verify(target, password));
      } catch {
        // A hash in a format argon2 cannot read (e.g. imported from elsewhere) never matches.
        ok = false;
      }
      ok = ok && hash !== undefined;
      return { ok, needsRehash: ok && argon2.needsRehash(target, params) };
    },
  };
}
