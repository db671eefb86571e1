import { importJwk, type PublicKey } from './keys.js';

export interface JwksOptions {
  url: string;
  /** Seconds. */
  maxAge: number;
  /** Seconds. */
  cooldown: number;
  /** Milliseconds. */
  timeout: number;
  fetch: typeof fetch;
  clock: () => number;
}

export type KeyLookup =
  { ok: true; key: PublicKey } | { ok: false; code: 'unknown_key' | 'jwks_unavailable' };

/** Milliseconds. */
const RETRY_AFTER_FAILURE = 1000;
/** Most bytes a JWKS may have: a few keys take a few kilobytes. */
const MAX_BYTES = 256 * 1024;

/**
 * The JWKS, fetched when first needed, again after `maxAge`, and again when a token names a kid it does
 * not have (keys were rotated), at most once per `cooldown` so that made-up kids cannot make it fetch
 * on every request. Concurrent lookups share one fetch; a failed fetch keeps the keys it had.
 */
export function createJwksCache(options: JwksOptions) {
  let keys: Map<string, PublicKey> | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let failedAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<boolean> | undefined;

  const refetch = (): Promise<boolean> => {
    if (inflight) return inflight;
    const now = options.clock();
    // A JWKS that cannot be fetched is tried again at most once a second, not by every request.
    if (now - failedAt < RETRY_AFTER_FAILURE) return Promise.resolve(false);
    attemptedAt = now;
    inflight = load(options)
      .then(
        (loaded) => {
          keys = loaded;
          fetchedAt = options.clock();
          return true;
        },
        () => {
          failedAt = options.clock();
          return false;
        },
      )
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };

  return {
    async lookup(kid: string): Promise<KeyLookup> {
      const maxAge = options.maxAge * 1000;
      if (keys === undefined || options.clock() - fetchedAt >= maxAge) {
        await refetch();
        // When the JWKS cannot be fetched, the keys it had serve one more maxAge, not forever: a retired
        // key must stop verifying even if the JWKS is kept out of reach.
        if (keys === undefined || options.clock() - fetchedAt >= 2 * maxAge) {
          return { ok: false, code: 'jwks_unavailable' };
        }
      }
      const known = keys.get(kid);
      if (known) return { ok: true, key: known };
      if (!inflight && options.clock() - attemptedAt < options.cooldown * 1000) {
        return { ok: false, code: failedAt >= attemptedAt ? 'jwks_unavailable' : 'unknown_key' };
      }
      if (!(await refetch())) return { ok: false, code: 'jwks_unavailable' };
      const found = keys.get(kid);
      return found ? { ok: true, key: found } : { ok: false, code: 'unknown_key' };
    },
  };
}

async function load({ url, timeout, fetch }: JwksOptions): Promise<Map<string, PublicKey>> {
  const response = await fetch(url, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(timeout),
  });
  if (response.status !== 200) throw new Error(`JWKS: HTTP ${response.status}`);
  const text = await response.text();
  if (text.length > MAX_BYTES) throw new Error('JWKS: too large');
  const body: unknown = JSON.parse(text);
  const list = (body as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new Error('JWKS: no keys array');
  const keys = new Map<string, PublicKey>();
  for (const jwk of list) {
    const imported = importJwk(jwk);
    // The first of two keys with one kid wins: a later one cannot replace it.
    if (imported && !keys.has(imported.kid)) keys.set(imported.kid, imported.key);
  }
  return keys;
}
