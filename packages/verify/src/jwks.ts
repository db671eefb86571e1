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
    // The keys come from jwksUrl itself: a redirect could send the verifier to keys of anyone's choosing.
    redirect: 'error',
    signal: AbortSignal.timeout(timeout),
  });
  // A fetch given as an option may follow redirects all the same.
  if (response.status !== 200 || response.redirected) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`JWKS: HTTP ${response.status}${response.redirected ? ', redirected' : ''}`);
  }
  const body: unknown = JSON.parse(await readCapped(response, MAX_BYTES));
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

/** The body as text, read no further than `max` bytes: a JWKS that does not end stops being read there. */
async function readCapped(response: Response, max: number): Promise<string> {
  const tooLarge = () => new Error('JWKS: too large');
  if (Number(response.headers.get('content-length')) > max) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const LOOPBACK_NAMES = new Set(['localhost', '[::1]']);

/**
 * The JWKS URL, checked once: https, as anyone on the path of a plain http fetch could publish their
 * own keys; plain http only to this machine (127.0.0.0/8, ::1, localhost), for development and sidecars.
 */
export function jwksUrl(value: string | URL): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new TypeError(`jwksUrl is not a URL: ${String(value)}`);
  }
  const host = url.hostname.toLowerCase();
  const loopback = LOOPBACK_NAMES.has(host) || /^127(\.\d{1,3}){3}$/.test(host);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return url.href;
  throw new TypeError(
    `jwksUrl must be https (plain http only on loopback: 127.0.0.0/8, ::1, localhost): ${url.href}`,
  );
}
