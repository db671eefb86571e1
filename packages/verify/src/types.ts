/** The asymmetric algorithms Gatehouse signs with (GATEHOUSE_ALGORITHM). HMAC tokens cannot be verified here. */
export type Algorithm = 'EdDSA' | 'ES256' | 'RS256';

export const ALGORITHMS: readonly Algorithm[] = ['EdDSA', 'ES256', 'RS256'];

/**
 * The claims of a Gatehouse access token (simplejwt's, plus `username`, the session id `sid`, and how and
 * when the user signed in: `amr` and `auth_time`).
 */
export interface AccessClaims {
  token_type: 'access';
  /** The user's numeric id (GATEHOUSE_USER_ID_CLAIM's default name). */
  user_id: number;
  username: string;
  /** The session (login) the token belongs to. */
  sid: string;
  /** How the user signed in (RFC 8176 values: `pwd`, `otp`, `hwk`, `mfa`, `fed`, …). */
  amr?: string[];
  /** When, in seconds since the epoch: a service can ask for a recent sign-in before a sensitive action. */
  auth_time?: number;
  jti: string;
  /** Seconds since the epoch. */
  exp: number;
  iat: number;
  aud?: string | string[];
  iss?: string;
  /** The user's roles, direct and through groups (by name). */
  roles?: string[];
  /** With GATEHOUSE_TOKEN_PERMISSIONS=true: the effective permissions; `*` for a superuser (every one). */
  permissions?: string[];
  /**
   * Present when the token would have grown too large: the claims left out or cut short (`roles`,
   * `permissions`). The full set is at Gatehouse's GET /api/users/me/permissions/.
   */
  authz_omitted?: string[];
  [claim: string]: unknown;
}

/** Why a token was refused. Stable strings: switch on them. */
export type VerifyFailureCode =
  /** No token: no Authorization header, or not `Bearer <token>`. */
  | 'missing_token'
  /** Not a JWT, or its header or claims are not what Gatehouse issues. */
  | 'malformed'
  /** Its `alg` is not one of `algorithms` (`none`, HS256 with the public key as secret, ...). */
  | 'unsupported_algorithm'
  /** Its `kid` is not in the JWKS, even fetched again: a key retired, or not Gatehouse's. */
  | 'unknown_key'
  | 'invalid_signature'
  | 'expired'
  /** `nbf` or `iat` in the future (beyond `leeway`): a clock out of step. */
  | 'not_yet_valid'
  /** Not an access token: a refresh token presented as one (its `token_type` or its `typ` says so). */
  | 'wrong_type'
  | 'wrong_audience'
  | 'wrong_issuer'
  /** The JWKS could not be fetched (network, status, content) when it was needed: a 503, not a 401. */
  | 'jwks_unavailable';

export type VerifyResult =
  { ok: true; claims: AccessClaims } | { ok: false; code: VerifyFailureCode; message: string };

export interface VerifierOptions {
  /**
   * Gatehouse's `/.well-known/jwks.json` (or `/api/.well-known/jwks.json`): https, or plain http on
   * loopback only (127.0.0.0/8, ::1, localhost); createVerifier throws a TypeError otherwise. Redirects
   * are not followed, and a body over 256 KiB is not read further.
   */
  jwksUrl: string | URL;
  /** The algorithms accepted, pinned: GATEHOUSE_ALGORITHM. The token's `alg` header never chooses. */
  algorithms: readonly Algorithm[];
  /** GATEHOUSE_ISSUER: required in `iss` when set. */
  issuer?: string;
  /** GATEHOUSE_AUDIENCE: required in `aud` when set; unset, a token naming an audience is refused. */
  audience?: string;
  /**
   * `at+jwt`: require the header's `typ` to say access token (RFC 9068), as Gatehouse signs them. Unset,
   * a token saying `JWT` (as Gatehouse's said before) is accepted too; a refresh token's `rt+jwt` never is.
   */
  typ?: 'at+jwt';
  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. Default 0. */
  leeway?: number;
  /** Seconds the JWKS is kept before it is fetched again. Default 300 (Gatehouse's Cache-Control). */
  cacheMaxAge?: number;
  /** Seconds at least between the fetches an unknown `kid` causes. Default 30. */
  cooldown?: number;
  /** Milliseconds a JWKS fetch may take. Default 5000. */
  timeout?: number;
  /** For tests or a custom agent. Default: the global fetch. */
  fetch?: typeof fetch;
  /** Milliseconds since the epoch. Default: Date.now. */
  clock?: () => number;
}

export interface Verifier {
  /** Verifies an access token; expected refusals are values, never exceptions. */
  verify(token: string | null | undefined): Promise<VerifyResult>;
}
