import { isHmacAlgorithm, type HmacAlgorithm, type JwsAlgorithm, type JwtConfig } from '../config.js';
import type { SigningKeyStore } from '../store/signing-keys/store.js';
import { fixedKey, type KeySource } from './jwt.js';
import { hmacKey, type JwsKey, type PublicJwk } from './jws-key.js';
import { newSigningKey, openSigningKeys, pickSigner, usableKeys, type OpenedKey } from './signing-keys.js';

/** Seconds: every instance sees the keys another one (or `gatehouse keys`) added or retired within this. */
export const RELOAD_INTERVAL = 60;
/** Seconds between reloads caused by tokens naming a kid this instance does not have. */
export const REFRESH_COOLDOWN = 5;

/** A public key as GET /.well-known/jwks.json publishes it. */
export type PublishedJwk = PublicJwk & { kty: string; kid: string; alg: string; use: 'sig' };

/** The keys an instance signs and verifies with: the codec's KeySource, plus what the JWKS route needs. */
export interface KeyRing extends KeySource {
  readonly algorithm: JwsAlgorithm;
  /** The public keys that verify (none for HMAC), newest first; reloaded first when the view is stale. */
  publicKeys(): Promise<PublishedJwk[]>;
  /** Reloads from the database; at most once per REFRESH_COOLDOWN unless forced. True if the keys changed. */
  refresh(options?: { force?: boolean }): Promise<boolean>;
}

export interface KeyRingOptions {
  jwt: JwtConfig;
  store: SigningKeyStore;
  clock?: () => Date;
  /** A reload that failed (the database unreachable, a key that does not open); the old keys stay. */
  onError?: (error: unknown) => void;
}

interface Snapshot {
  /** Usable keys, newest first; never empty. */
  keys: OpenedKey[];
  byKid: Map<string, JwsKey>;
  /** HMAC only: tokens signed before keys had ids carry no kid; they were signed by the oldest key. */
  unnamed: JwsKey | undefined;
}

/** The fixed secret when there is one (given, or GATEHOUSE_SIGNING_KEY), else the keys in the database. */
export function keyRingFor(
  jwt: JwtConfig,
  store: SigningKeyStore,
  options: Omit<KeyRingOptions, 'jwt' | 'store'> & { signingKey?: string | undefined } = {},
): Promise<KeyRing> {
  const secret = options.signingKey ?? jwt.signingKey;
  if (secret === undefined) return openKeyRing({ ...options, jwt, store });
  if (!isHmacAlgorithm(jwt.algorithm)) throw new Error(`${jwt.algorithm} does not sign with a shared secret`);
  return Promise.resolve(fixedKeyRing(jwt.algorithm, secret));
}

/** GATEHOUSE_SIGNING_KEY: one secret, as simplejwt's SIGNING_KEY, with no kid in the header. */
export function fixedKeyRing(algorithm: HmacAlgorithm, secret: string): KeyRing {
  return {
    algorithm,
    ...fixedKey(hmacKey(algorithm, undefined, secret)),
    publicKeys: async () => [],
    refresh: async () => false,
  };
}

/**
 * The keys kept in the database, shared by every instance: the first start creates one; `gatehouse keys
 * rotate` adds one, which signs once it has been published for ACTIVATION_DELAY; retired keys stop
 * verifying. Each instance reloads every RELOAD_INTERVAL (on the next request, in the background) and, at
 * most every REFRESH_COOLDOWN, when a token names a kid it does not know.
 */
export async function openKeyRing({
  jwt,
  store,
  clock = () => new Date(),
  onError,
}: KeyRingOptions): Promise<KeyRing> {
  const { algorithm } = jwt;
  const seconds = () => Math.floor(clock().getTime() / 1000);

  const load = async (): Promise<Snapshot> => {
    let usable = usableKeys(await store.listSigningKeys(), algorithm);
    if (usable.length === 0) {
      // Several instances starting on an empty database at once add one key between them.
      await store.addSigningKey(newSigningKey(jwt, clock()), { onlyIfNoneActive: true });
      usable = usableKeys(await store.listSigningKeys(), algorithm);
    }
    const keys = await openSigningKeys(usable, jwt);
    if (keys.length === 0) throw new Error(`no ${algorithm} signing key could be created`);
    return {
      keys,
      byKid: new Map(keys.map(({ key }) => [key.kid as string, key])),
      unnamed: isHmacAlgorithm(algorithm) ? keys.at(-1)?.key : undefined,
    };
  };

  let snapshot = await load();
  let attemptedAt = seconds();
  let inflight: Promise<boolean> | undefined;

  const refresh = (options: { force?: boolean } = {}): Promise<boolean> => {
    if (inflight) return inflight;
    const now = seconds();
    if (!options.force && now - attemptedAt < REFRESH_COOLDOWN) return Promise.resolve(false);
    attemptedAt = now;
    inflight = load()
      .then(
        (next) => {
          const changed = kids(next) !== kids(snapshot);
          snapshot = next;
          return changed;
        },
        (error: unknown) => {
          onError?.(error);
          return false;
        },
      )
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };
  /** On the request path: a stale view is reloaded in the background, the request goes on with it. */
  const touch = (now: number) => {
    if (now - attemptedAt >= RELOAD_INTERVAL && !inflight) void refresh();
  };

  return {
    algorithm,
    signer(now) {
      touch(now);
      return (pickSigner(snapshot.keys, now) as OpenedKey).key;
    },
    find(kid, now) {
      touch(now);
      if (typeof kid === 'string') return snapshot.byKid.get(kid);
      return kid === undefined ? snapshot.unnamed : undefined;
    },
    refresh,
    async publicKeys() {
      // A verifier that meets a new kid fetches the JWKS from whichever instance: it must be current.
      if (seconds() - attemptedAt >= RELOAD_INTERVAL) await refresh();
      return snapshot.keys.flatMap(({ key, publicJwk }) =>
        publicJwk
          ? [
              {
                ...publicJwk,
                kty: publicJwk['kty'] ?? '',
                kid: key.kid as string,
                alg: key.algorithm,
                use: 'sig' as const,
              },
            ]
          : [],
      );
    },
  };
}

function kids(snapshot: Snapshot): string {
  return snapshot.keys.map(({ key }) => key.kid).join(' ');
}
