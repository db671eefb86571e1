import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { Algorithm } from './types.js';

/** A public key from the JWKS, ready to verify with. */
export interface PublicKey {
  key: KeyObject;
  /** The JWK's `alg`, when it says. */
  alg: string | undefined;
}

const MIN_RSA_BITS = 2048;

/** A JWKS entry as a key, or undefined: not a public signing key this package can use. */
export function importJwk(jwk: unknown): { kid: string; key: PublicKey } | undefined {
  if (typeof jwk !== 'object' || jwk === null) return undefined;
  const { kid, alg, use, d } = jwk as Record<string, unknown>;
  if (typeof kid !== 'string' || (use !== undefined && use !== 'sig') || d !== undefined) return undefined;
  if (alg !== undefined && typeof alg !== 'string') return undefined;
  try {
    return { kid, key: { key: createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }), alg } };
  } catch {
    return undefined;
  }
}

/** Whether `key` can verify `algorithm`: the right type and curve, or RSA of at least 2048 bits. */
export function suits(key: PublicKey, algorithm: Algorithm): boolean {
  if (key.alg !== undefined && key.alg !== algorithm) return false;
  const type = key.key.asymmetricKeyType;
  const details = key.key.asymmetricKeyDetails ?? {};
  switch (algorithm) {
    case 'EdDSA':
      return type === 'ed25519';
    case 'ES256':
      return type === 'ec' && details.namedCurve === 'prime256v1';
    case 'RS256':
      return type === 'rsa' && (details.modulusLength ?? 0) >= MIN_RSA_BITS;
  }
}

/** The JWS signature of `input`, given in base64url; one encoding only (no padding, no spare bits). */
export function verifySignature(
  algorithm: Algorithm,
  key: KeyObject,
  input: string,
  signature: string,
): boolean {
  const bytes = Buffer.from(signature, 'base64url');
  if (bytes.toString('base64url') !== signature) return false;
  switch (algorithm) {
    case 'EdDSA':
      return bytes.length === 64 && verify(null, Buffer.from(input), key, bytes);
    case 'ES256':
      // JWS signs r||s (RFC 7518 §3.4), not DER.
      return (
        bytes.length === 64 && verify('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, bytes)
      );
    case 'RS256':
      return (
        bytes.length * 8 === key.asymmetricKeyDetails?.modulusLength &&
        verify('sha256', Buffer.from(input), key, bytes)
      );
  }
}
