import { createJwksCache, jwksUrl } from './jwks.js';
import { suits, verifySignature } from './keys.js';
import {
  ALGORITHMS,
  type AccessClaims,
  type Algorithm,
  type Verifier,
  type VerifierOptions,
  type VerifyFailureCode,
  type VerifyResult,
} from './types.js';

/** As Gatehouse: longer strings are not tokens it issued, and are refused before any parsing. */
const TOKEN_MAX_LENGTH = 8192;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** The `typ` headers of Gatehouse's tokens: access (RFC 9068), refresh, and `JWT`, which both said before. */
const TYPES = ['at+jwt', 'rt+jwt', 'jwt'];

const MESSAGES: Record<VerifyFailureCode, string> = {
  missing_token: 'No bearer token.',
  malformed: 'The token is not a Gatehouse access token.',
  unsupported_algorithm: 'The token is not signed with an accepted algorithm.',
  unknown_key: 'The token is signed with a key that is not (or no longer) published.',
  invalid_signature: 'The token signature is invalid.',
  expired: 'The token has expired.',
  not_yet_valid: 'The token is not valid yet.',
  wrong_type: 'The token is not an access token.',
  wrong_audience: 'The token is for another audience.',
  wrong_issuer: 'The token is from another issuer.',
  jwks_unavailable: 'The signing keys could not be fetched.',
};

/**
 * Verifies Gatehouse access tokens with the public keys Gatehouse publishes, for the services behind it.
 * The algorithm is pinned (`algorithms`); the keys come only from `jwksUrl` (never from the token's
 * `jwk`, `jku` or `x5u`); a `kid` not in the JWKS fetches it again, at most once per `cooldown`.
 *
 * @example
 * const verifier = createVerifier({
 *   jwksUrl: 'https://auth.example.com/.well-known/jwks.json',
 *   algorithms: ['EdDSA'],
 * });
 * const result = await verifier.verify(readBearer(request.headers.authorization));
 * if (!result.ok) return reply(401, result.code);
 * result.claims.user_id; // number
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const algorithms = checkAlgorithms(options.algorithms);
  const leeway = options.leeway ?? 0;
  const clock = options.clock ?? Date.now;
  const jwks = createJwksCache({
    url: jwksUrl(options.jwksUrl),
    maxAge: options.cacheMaxAge ?? 300,
    cooldown: options.cooldown ?? 30,
    timeout: options.timeout ?? 5000,
    fetch: options.fetch ?? globalThis.fetch,
    clock,
  });

  return {
    async verify(token) {
      if (token === undefined || token === null || token === '') return failure('missing_token');
      const parts = typeof token === 'string' && token.length <= TOKEN_MAX_LENGTH ? token.split('.') : [];
      if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) return failure('malformed');
      const [encodedHeader, encodedPayload, signature] = parts as [string, string, string];
      const header = decodeJson(encodedHeader);
      if (!header) return failure('malformed');
      const { alg, kid, crit } = header;
      if (!algorithms.has(alg as Algorithm)) return failure('unsupported_algorithm');
      const typ = typeOf(header.typ);
      // RFC 7515 §4.1.11: an extension not understood makes the token invalid.
      if (crit !== undefined || typ === undefined) return failure('malformed');
      if (typeof kid !== 'string') return failure('unknown_key');
      const found = await jwks.lookup(kid);
      if (!found.ok) return failure(found.code);
      // A key published for another algorithm does not verify this one (no key confusion).
      if (!suits(found.key, alg as Algorithm)) return failure('unknown_key');
      if (
        !verifySignature(alg as Algorithm, found.key.key, `${encodedHeader}.${encodedPayload}`, signature)
      ) {
        return failure('invalid_signature');
      }
      const claims = decodeJson(encodedPayload);
      if (!claims) return failure('malformed');
      return checkClaims(claims, typ, Math.floor(clock() / 1000), leeway, options);
    },
  };
}

function checkAlgorithms(list: readonly Algorithm[] | undefined): Set<Algorithm> {
  if (!Array.isArray(list) || list.length === 0 || !list.every((alg) => ALGORITHMS.includes(alg))) {
    throw new TypeError(`algorithms must list one or more of ${ALGORITHMS.join(', ')}: GATEHOUSE_ALGORITHM`);
  }
  return new Set(list);
}

/** The header's `typ` as Gatehouse signs it (none counts as `jwt`); undefined when it is none of them. */
function typeOf(typ: unknown): string | undefined {
  if (typ === undefined) return 'jwt';
  if (typeof typ !== 'string') return undefined;
  // RFC 7515 §4.1.9: media types compare case-insensitively, and `application/` may be left out.
  const lower = typ.toLowerCase().replace(/^application\//, '');
  return TYPES.includes(lower) ? lower : undefined;
}

function checkClaims(
  claims: Record<string, unknown>,
  typ: string,
  now: number,
  leeway: number,
  { audience, issuer, typ: required }: VerifierOptions,
): VerifyResult {
  const { exp, nbf, iat, aud, iss } = claims;
  if (!isNumber(exp) || !isNumber(iat) || (nbf !== undefined && !isNumber(nbf))) return failure('malformed');
  if (exp <= now - leeway) return failure('expired');
  if (iat > now + leeway || (nbf !== undefined && nbf > now + leeway)) return failure('not_yet_valid');
  if (issuer !== undefined && iss !== issuer) return failure('wrong_issuer');
  // As Gatehouse and PyJWT: a token addressed to an audience is not for a verifier that expects none.
  if (
    audience === undefined
      ? aud !== undefined
      : !(aud === audience || (Array.isArray(aud) && aud.includes(audience)))
  ) {
    return failure('wrong_audience');
  }
  if (claims.token_type !== 'access') return failure('wrong_type');
  // rt+jwt is a refresh token whatever its claims say; `jwt` is what every token said before at+jwt.
  if (typ === 'rt+jwt' || (required !== undefined && typ !== required)) return failure('wrong_type');
  const { user_id, username, sid, jti } = claims;
  if (!Number.isSafeInteger(user_id) || typeof username !== 'string' || !nonEmpty(sid) || !nonEmpty(jti)) {
    return failure('malformed');
  }
  return { ok: true, claims: claims as AccessClaims };
}

function failure(code: VerifyFailureCode): VerifyResult {
  return { ok: false, code, message: MESSAGES[code] };
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function decodeJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
