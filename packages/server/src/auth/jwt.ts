import { createHmac, timingSafeEqual } from 'node:crypto';
import { TOKEN_MAX_LENGTH } from '@gatehouse/contract';
import type { HmacAlgorithm } from '../config.js';

export type JwtClaims = Record<string, unknown>;

export type JwtFailure =
  | 'malformed'
  | 'unsupported_header'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_audience'
  | 'bad_issuer';

export type JwtVerification = { ok: true; claims: JwtClaims } | { ok: false; reason: JwtFailure };

export interface JwtCodecOptions {
  algorithm: HmacAlgorithm;
  key: string;
  audience?: string | undefined;
  issuer?: string | undefined;
  /** Seconds. */
  leeway: number;
}

export interface JwtCodec {
  sign(claims: JwtClaims): string;
  /** `now` in seconds since the epoch. */
  verify(token: string, now: number): JwtVerification;
}

const DIGESTS: Record<HmacAlgorithm, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Compact JWS with HMAC, on node:crypto: a few microseconds per verification, where WebCrypto-based
 * libraries cost tens. The accepted algorithm is pinned to the configured one: the token's `alg` header
 * only has to match it and never selects anything (no `none`, no key confusion, no `jwk`/`jku`/`kid`
 * lookups, unknown `crit` refused).
 */
export function createJwtCodec(options: JwtCodecOptions): JwtCodec {
  const digest = DIGESTS[options.algorithm];
  const key = Buffer.from(options.key, 'utf8');
  const header = encodeJson({ alg: options.algorithm, typ: 'JWT' });
  const mac = (input: string) => createHmac(digest, key).update(input).digest('base64url');

  return {
    sign(claims) {
      const signingInput = `${header}.${encodeJson(claims)}`;
      return `${signingInput}.${mac(signingInput)}`;
    },
    verify(token, now) {
      if (token.length > TOKEN_MAX_LENGTH) return { ok: false, reason: 'malformed' };
      const parts = token.split('.');
      if (parts.length !== 3) return { ok: false, reason: 'malformed' };
      const [encodedHeader, encodedPayload, signature] = parts as [string, string, string];
      if (!BASE64URL.test(encodedHeader) || !BASE64URL.test(encodedPayload) || !BASE64URL.test(signature)) {
        return { ok: false, reason: 'malformed' };
      }
      const parsedHeader = decodeJson(encodedHeader);
      if (!parsedHeader) return { ok: false, reason: 'malformed' };
      if (!headerAcceptable(parsedHeader, options.algorithm))
        return { ok: false, reason: 'unsupported_header' };
      // Compare the canonical encodings, so a signature re-encoded with other trailing bits is refused too.
      const expected = Buffer.from(mac(`${encodedHeader}.${encodedPayload}`));
      const given = Buffer.from(signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return { ok: false, reason: 'bad_signature' };
      }
      const claims = decodeJson(encodedPayload);
      if (!claims) return { ok: false, reason: 'malformed' };
      return checkClaims(claims, now, options);
    },
  };
}

function headerAcceptable(header: JwtClaims, algorithm: HmacAlgorithm): boolean {
  if (header.alg !== algorithm) return false;
  if (header.typ !== undefined && (typeof header.typ !== 'string' || header.typ.toUpperCase() !== 'JWT')) {
    return false;
  }
  // RFC 7515 §4.1.11: extensions we do not understand must make the token invalid.
  return header.crit === undefined;
}

function checkClaims(claims: JwtClaims, now: number, options: JwtCodecOptions): JwtVerification {
  const { exp, nbf, iat, aud, iss } = claims;
  if (!isNumericDate(exp)) return { ok: false, reason: 'malformed' };
  if (exp <= now - options.leeway) return { ok: false, reason: 'expired' };
  if (nbf !== undefined && (!isNumericDate(nbf) || nbf > now + options.leeway)) {
    return { ok: false, reason: 'not_yet_valid' };
  }
  if (iat !== undefined && (!isNumericDate(iat) || iat > now + options.leeway)) {
    return { ok: false, reason: 'not_yet_valid' };
  }
  if (options.audience === undefined) {
    // As PyJWT: a token addressed to an audience is not for a verifier that expects none.
    if (aud !== undefined) return { ok: false, reason: 'bad_audience' };
  } else if (!(aud === options.audience || (Array.isArray(aud) && aud.includes(options.audience)))) {
    return { ok: false, reason: 'bad_audience' };
  }
  if (options.issuer !== undefined && iss !== options.issuer) return { ok: false, reason: 'bad_issuer' };
  return { ok: true, claims };
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function encodeJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeJson(segment: string): JwtClaims | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as JwtClaims)
      : undefined;
  } catch {
    return undefined;
  }
}
