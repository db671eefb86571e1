import { TOKEN_MAX_LENGTH } from '@gatehouse/contract';
import type { JwsAlgorithm } from '../config.js';
import { hmacKey, type JwsKey } from './jws-key.js';

export type JwtClaims = Record<string, unknown>;

export type JwtFailure =
  | 'malformed'
  | 'unsupported_header'
  /** The token names a key (`kid`) this server does not have (yet: another instance may have rotated). */
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_audience'
  | 'bad_issuer'
  /** A valid token whose `typ` is one of the codec's, but not one `verify` was asked to accept. */
  | 'wrong_typ';

export type JwtVerification = { ok: true; claims: JwtClaims } | { ok: false; reason: JwtFailure };

/** Where the codec's keys come from: one fixed key, or the key ring kept in the database (key-ring.ts). */
export interface KeySource {
  /** The key new tokens are signed with; `now` in seconds since the epoch. */
  signer(now: number): JwsKey;
  /** The key a token's `kid` header names, or undefined. */
  find(kid: unknown, now: number): JwsKey | undefined;
  /** Loads keys added elsewhere (rate-limited); true when there are new ones to try. */
  refresh?(): Promise<boolean>;
}

interface CodecClaimsOptions {
  audience?: string | undefined;
  issuer?: string | undefined;
  /** Seconds. */
  leeway: number;
  /**
   * The `typ` headers signed and accepted (media types: compared case-insensitively, `application/`
   * optional, RFC 7515 §4.1.9); a token without one counts as `JWT`. Default: `JWT` only.
   */
  types?: readonly string[];
}

/** Either one fixed HMAC secret (GATEHOUSE_SIGNING_KEY, tests) or a source of keys. */
export type JwtCodecOptions = CodecClaimsOptions & { algorithm: JwsAlgorithm } & (
    { key: string } | { keys: KeySource }
  );

export interface JwtCodec {
  /** `now` (seconds) picks the signing key when keys rotate; the current time by default. */
  sign(claims: JwtClaims, now?: number, typ?: string): string;
  /**
   * `now` in seconds since the epoch. `accept`: the `typ` values this use takes (default: all of the
   * codec's); a token otherwise valid whose `typ` is another of the codec's is `wrong_typ`.
   */
  verify(token: string, now: number, accept?: readonly string[]): JwtVerification;
  /** After an `unknown_key`: loads keys rotated in by another instance; true if verifying again may help. */
  refreshKeys(): Promise<boolean>;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const KNOWN_HEADERS_MAX = 32;

/**
 * Compact JWS on node:crypto: a few microseconds per HMAC verification, where WebCrypto-based libraries
 * cost tens. The accepted algorithm is pinned to the configured one: the token's `alg` header only has to
 * match it and never selects anything (no `none`, no key confusion: an HS256 token is refused by an EdDSA
 * server whatever its MAC key). `kid` picks among this server's own keys only; `jwk`/`jku`/`x5u` are never
 * fetched or used; unknown `crit` is refused.
 */
export function createJwtCodec(options: JwtCodecOptions): JwtCodec {
  const { algorithm } = options;
  const keys = 'keys' in options ? options.keys : fixedKey(hmacKey(algorithm, undefined, options.key));
  // The headers of tokens that verified, decoded: nearly every token carries one of a few (one per key),
  // so a request's header is looked up rather than decoded. Only a genuine token adds one, so the bound
  // is never reached by forged ones.
  const knownHeaders = new Map<string, JwtClaims>();
  const types = (options.types ?? [LEGACY_TYP]).map(mediaType);

  return {
    sign(claims, now = Math.floor(Date.now() / 1000), typ = LEGACY_TYP) {
      const key = keys.signer(now);
      const signingInput = `${key.header(typ)}.${encodeJson(claims)}`;
      return `${signingInput}.${key.sign(signingInput)}`;
    },
    verify(token, now, accept) {
      if (token.length > TOKEN_MAX_LENGTH) return { ok: false, reason: 'malformed' };
      const parts = token.split('.');
      if (parts.length !== 3) return { ok: false, reason: 'malformed' };
      const [encodedHeader, encodedPayload, signature] = parts as [string, string, string];
      if (!BASE64URL.test(encodedHeader) || !BASE64URL.test(encodedPayload) || !BASE64URL.test(signature)) {
        return { ok: false, reason: 'malformed' };
      }
      const parsedHeader = knownHeaders.get(encodedHeader) ?? decodeJson(encodedHeader);
      if (!parsedHeader) return { ok: false, reason: 'malformed' };
      const typ = typeOf(parsedHeader);
      if (!headerAcceptable(parsedHeader, algorithm) || typ === undefined || !types.includes(typ)) {
        return { ok: false, reason: 'unsupported_header' };
      }
      const key = keys.find(parsedHeader.kid, now);
      // The second test is a belt to the braces of the key ring, which holds keys of one algorithm only.
      if (!key || key.algorithm !== algorithm) return { ok: false, reason: 'unknown_key' };
      if (!key.verify(`${encodedHeader}.${encodedPayload}`, signature)) {
        return { ok: false, reason: 'bad_signature' };
      }
      if (knownHeaders.size < KNOWN_HEADERS_MAX) knownHeaders.set(encodedHeader, parsedHeader);
      const claims = decodeJson(encodedPayload);
      if (!claims) return { ok: false, reason: 'malformed' };
      const checked = checkClaims(claims, now, options);
      // Last: only a token that is otherwise valid is said to be of the wrong kind.
      if (checked.ok && accept !== undefined && !accept.some((type) => mediaType(type) === typ)) {
        return { ok: false, reason: 'wrong_typ' };
      }
      return checked;
    },
    refreshKeys: () => keys.refresh?.() ?? Promise.resolve(false),
  };
}

/** One key for everything: the token's `kid`, if any, selects nothing (simplejwt's single SIGNING_KEY). */
export function fixedKey(key: JwsKey): KeySource {
  return { signer: () => key, find: () => key };
}

function headerAcceptable(header: JwtClaims, algorithm: JwsAlgorithm): boolean {
  // RFC 7515 §4.1.11: extensions we do not understand must make the token invalid.
  return header.alg === algorithm && header.crit === undefined;
}

/** What every token said before tokens were typed by their use; simplejwt's. */
export const LEGACY_TYP = 'JWT';

/** The header's `typ`, normalized; none is `JWT`, as PyJWT reads it. Undefined when it is not a string. */
function typeOf(header: JwtClaims): string | undefined {
  if (header.typ === undefined) return mediaType(LEGACY_TYP);
  return typeof header.typ === 'string' ? mediaType(header.typ) : undefined;
}

/** RFC 7515 §4.1.9: media types compare case-insensitively, and `application/` may be left out. */
function mediaType(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

function checkClaims(claims: JwtClaims, now: number, options: CodecClaimsOptions): JwtVerification {
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
