import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import { limitConcurrency, Overloaded } from './concurrency.js';
import { verifyDjangoHash } from './django-hashes.js';
import type { PasswordHashConfig } from '../config.js';

export interface PasswordVerification {
  ok: boolean;
  /** The hash was made with weaker parameters than the configured ones. */
  needsRehash: boolean;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * `hash` undefined (no such user) or null (an account without a password) still costs one full
   * verification, and never matches.
   */
  verify(hash: string | null | undefined, password: string): Promise<PasswordVerification>;
}

/**
 * Hashes waiting for a slot, per process, beyond which a request is answered 503 at once (Overloaded):
 * at ~50 ms a hash on one slot, a few seconds of queue. An unbounded queue let a flood of logins hold
 * every later one for minutes.
 */
export const MAX_WAITING_HASHES = 64;

/**
 * argon2id; the native addon hashes on libuv's thread pool, never on the event loop. At most one hash
 * per core but one runs at once: a login storm would otherwise take every core (libuv has 4 threads)
 * and the event loop's own core with them, and every other request would wait.
 */
export function createPasswordHasher(
  params: PasswordHashConfig,
  maxConcurrent = Math.max(1, availableParallelism() - 1),
  maxWaiting = MAX_WAITING_HASHES,
): PasswordHasher {
  const options = { type: argon2.argon2id, ...params } as const;
  const limit = limitConcurrency(maxConcurrent, maxWaiting);
  const dummy = unknownUserHash(params);

  const check = async (target: string, password: string) => {
    try {
      // A hash imported from Django (gatehouse import django) until its first login rehashes it.
      if (isDjangoHash(target)) return await limit(() => verifyDjangoHash(target, password));
      return await limit(() => argon2.verify(target, password));
    } catch (error) {
      if (error instanceof Overloaded) throw error;
      // A hash in a format argon2 cannot read (e.g. imported from elsewhere) never matches.
      return false;
    }
  };

  // The NFKC form is hashed, the form the password policy checked: a password typed on another keyboard
  // or system (a full-width digit, a composed accent) is then the same password.
  return {
    hash: (password) => limit(() => argon2.hash(password.normalize('NFKC'), options)),
    async verify(hash, password) {
      const target = hash ?? dummy;
      const normalized = password.normalize('NFKC');
      let ok = await check(target, normalized);
      let legacy = false;
      // Hashes made before were of the password as typed: tried second, and only for a password NFKC
      // changes (which says nothing of the account), then rehashed in the normal form.
      if (!ok && normalized !== password) legacy = ok = await check(target, password);
      ok = ok && typeof hash === 'string';
      const rehash = legacy || isDjangoHash(target) || argon2.needsRehash(target, params);
      return { ok, needsRehash: ok && rehash };
    },
  };
}

/** Gatehouse's own hashes are PHC strings (`$argon2id$…`); Django's start with their algorithm's name. */
export function isDjangoHash(encoded: string): boolean {
  return !encoded.startsWith('$');
}

/**
 * What an unknown user's login is verified against, so that it costs what a real user's does and the
 * response time does not tell which accounts exist. A verification costs the same whatever the hash: it
 * recomputes the hash from the parameters, salt and length written in the string, then compares. So this
 * is a random salt and a random hash under the configured parameters, which no password matches, made
 * without hashing anything: no argon2 run (and its 19 MiB buffer, and libuv's threads) at start-up.
 */
export function unknownUserHash(params: PasswordHashConfig): string {
  const base64 = (bytes: number) => randomBytes(bytes).toString('base64').replace(/=+$/, '');
  const { memoryCost: m, parallelism: p, timeCost: t } = params;
  return `$argon2id$v=19$m=${m},p=${p},t=${t}$${base64(16)}$${base64(32)}`;
}
