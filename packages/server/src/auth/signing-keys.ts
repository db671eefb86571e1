import { createPrivateKey, randomBytes } from 'node:crypto';
import { ConfigError, isHmacAlgorithm, type JwsAlgorithm, type JwtConfig } from '../config.js';
import type { NewSigningKey, SigningKeyRecord, SigningKeyStore } from '../store/signing-keys/store.js';
import { asymmetricKey, generatePrivateKey, hmacKey, type JwsKey, type PublicJwk } from './jws-key.js';
import { isSealed, kekId, open, seal, type OpenResult } from './key-encryption.js';

/**
 * Seconds a new key is published (JWKS, every instance's key ring) before it signs: longer than an
 * instance takes to reload its keys (key-ring.ts, 60 s) plus the cooldown of a verifier that has just
 * fetched the JWKS (@gatehouse/verify, 30 s), so no verifier meets a kid it cannot find.
 */
export const ACTIVATION_DELAY = 120;

/** A key ready to sign and verify, with what the key ring needs to know about it. */
export interface OpenedKey {
  key: JwsKey;
  /** Seconds since the epoch. */
  createdAt: number;
  /** Asymmetric keys only: what the JWKS publishes. */
  publicJwk?: PublicJwk;
}

/** HMAC secrets are kept as `HMAC` whatever the hash size: the same secret serves HS256, HS384 or HS512. */
export function keyAlgorithmOf(algorithm: JwsAlgorithm): string {
  return isHmacAlgorithm(algorithm) ? 'HMAC' : algorithm;
}

/** A new key for the configured algorithm, its private half sealed with the key-encryption key. */
export function newSigningKey(jwt: JwtConfig, now: Date): NewSigningKey {
  const algorithm = jwt.algorithm;
  if (isHmacAlgorithm(algorithm)) {
    // A random id: a fingerprint of a secret would say something about it.
    const kid = randomBytes(12).toString('base64url');
    // 64 random bytes (86 once encoded): at least the hash size of HS512 (RFC 7518 §3.2), so any HMAC
    // algorithm may use it.
    const secret = Buffer.from(randomBytes(64).toString('base64url'));
    const privateKey = seal(secret, jwt.keyEncryptionKey, sealContext('HMAC', kid));
    return { kid, algorithm: 'HMAC', publicJwk: null, privateKey, createdAt: now };
  }
  const privateKey = generatePrivateKey(algorithm);
  const { kid, publicJwk } = asymmetricKey(algorithm, privateKey);
  const pem = Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return {
    kid,
    algorithm,
    publicJwk,
    privateKey: seal(pem, jwt.keyEncryptionKey, sealContext(algorithm, kid)),
    createdAt: now,
  };
}

/** The keys of the configured algorithm that are not retired, oldest last, as the store lists them. */
export function usableKeys(
  records: readonly SigningKeyRecord[],
  algorithm: JwsAlgorithm,
): SigningKeyRecord[] {
  const stored = keyAlgorithmOf(algorithm);
  return records.filter((record) => record.status === 'active' && record.algorithm === stored);
}

/**
 * Opens stored keys for signing and verification. Throws a ConfigError naming every key that does not
 * open: a missing or wrong GATEHOUSE_KEY_ENCRYPTION_KEY must stop a start, not sign with nothing.
 */
export async function openSigningKeys(
  records: readonly SigningKeyRecord[],
  jwt: JwtConfig,
): Promise<OpenedKey[]> {
  const problems: string[] = [];
  const opened: OpenedKey[] = [];
  for (const record of records) {
    // With a key-encryption key, a key in the clear is one anybody who can write the database could have
    // planted: it is refused, not sealed on the way; `gatehouse keys seal` is the operator saying it is theirs.
    if (jwt.keyEncryptionKey !== undefined && !isSealed(record.privateKey)) {
      problems.push(plaintextProblem(record.kid));
      continue;
    }
    const result = openStoredKey(record, jwt.keyEncryptionKey);
    if (!result.ok) {
      problems.push(openProblem(record.kid, result, jwt.keyEncryptionKey));
      continue;
    }
    const key = usableKey(record, result.secret, jwt.algorithm);
    if (key === undefined) {
      problems.push(`signing key ${record.kid}: its stored private key is not the key it names`);
      continue;
    }
    opened.push({
      key,
      createdAt: Math.floor(record.createdAt.getTime() / 1000),
      ...('publicJwk' in key && { publicJwk: key.publicJwk as PublicJwk }),
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return opened;
}

/**
 * `gatehouse keys seal`: encrypts the keys kept in the clear (from before the key-encryption key was set,
 * the secret migration 0002 moved included) with it. Every one is checked first; none is sealed unless
 * all are sound. Returns the kids sealed.
 */
export async function sealSigningKeys(
  records: readonly SigningKeyRecord[],
  kek: Buffer,
  store: Pick<SigningKeyStore, 'replaceSigningKeySecret'>,
): Promise<string[]> {
  const problems: string[] = [];
  const sealed: { record: SigningKeyRecord; privateKey: string }[] = [];
  for (const record of records.filter((stored) => !isSealed(stored.privateKey))) {
    const result = openStoredKey(record, undefined);
    const algorithm = record.algorithm === 'HMAC' ? 'HS256' : (record.algorithm as JwsAlgorithm);
    if (!result.ok || usableKey(record, result.secret, algorithm) === undefined) {
      problems.push(`signing key ${record.kid}: its stored private key is not the key it names`);
      continue;
    }
    const context = sealContext(record.algorithm, record.kid);
    sealed.push({ record, privateKey: seal(result.secret, kek, context) });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  for (const { record, privateKey } of sealed) {
    await store.replaceSigningKeySecret(record.kid, record.privateKey, privateKey);
  }
  return sealed.map(({ record }) => record.kid);
}

export function plaintextProblem(kid: string): string {
  return (
    `signing key ${kid}: stored unencrypted, but GATEHOUSE_KEY_ENCRYPTION_KEY is set: a key written in the ` +
    'clear into the database is not trusted; if it is yours (kept before the key-encryption key was set), ' +
    'encrypt it: gatehouse keys seal'
  );
}

/**
 * The key new tokens are signed with, from the usable keys, newest first: the newest one published for
 * ACTIVATION_DELAY, or, when none has been yet (a first key just rotated), the oldest, which signed before.
 */
export function pickSigner<T extends { createdAt: number }>(
  newestFirst: readonly T[],
  now: number,
): T | undefined {
  return newestFirst.find((key) => key.createdAt <= now - ACTIVATION_DELAY) ?? newestFirst.at(-1);
}

/** The private half of a stored key, unsealed. */
export function openStoredKey(
  record: Pick<SigningKeyRecord, 'kid' | 'algorithm' | 'privateKey'>,
  kek: Buffer | undefined,
): OpenResult {
  return open(record.privateKey, kek, sealContext(record.algorithm, record.kid));
}

function usableKey(record: SigningKeyRecord, secret: Buffer, algorithm: JwsAlgorithm): JwsKey | undefined {
  if (isHmacAlgorithm(algorithm)) return hmacKey(algorithm, record.kid, secret.toString('utf8'));
  try {
    const key = asymmetricKey(algorithm, createPrivateKey(secret.toString('utf8')));
    // The kid is the public key's thumbprint: a row whose kid and key disagree was tampered with.
    return key.kid === record.kid ? key : undefined;
  } catch {
    return undefined;
  }
}

/** Binds a sealed key to its row: the ciphertext of one key copied into another row does not open. */
function sealContext(algorithm: string, kid: string): string {
  return `gatehouse signing key ${algorithm} ${kid}`;
}

export function openProblem(
  kid: string,
  result: OpenResult & { ok: false },
  kek: Buffer | undefined,
): string {
  const name = 'GATEHOUSE_KEY_ENCRYPTION_KEY';
  switch (result.reason) {
    case 'no_kek':
      return `${name}: unset, but signing key ${kid} in the database is encrypted (key-encryption key id ${result.kekId}): set it`;
    case 'other_kek':
      return (
        `${name}: is not the key signing key ${kid} was encrypted with (key-encryption key id ` +
        `${result.kekId}; this one is ${kek ? kekId(kek) : '-'}): set the key it was encrypted with`
      );
    case 'damaged':
      return `signing key ${kid}: its stored private key does not decrypt: it is damaged or was changed`;
  }
}
