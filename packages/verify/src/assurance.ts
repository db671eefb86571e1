import type { AccessClaims } from './types.js';

/** Why a valid token is not enough for an action. Stable strings: switch on them. */
export type AssuranceFailureCode =
  /** The sign-in used one factor: ask the user to sign in with their second factor. */
  | 'mfa_required'
  /** The sign-in is older than the action allows (or the token does not say when): sign in again. */
  | 'reauthentication_required';

export type AssuranceResult = { ok: true } | { ok: false; code: AssuranceFailureCode };

export interface AssuranceOptions {
  /** Require a multi-factor sign-in (`isMultiFactor`). */
  multiFactor?: boolean;
  /** Require a sign-in within this many seconds (`isRecentlyAuthenticated`). */
  maxAge?: number;
  /** Milliseconds since the epoch. Default: Date.now. */
  clock?: () => number;
}

type Claims = Pick<AccessClaims, 'amr' | 'auth_time'>;

/**
 * Whether the sign-in proved more than one factor (RFC 8176): Gatehouse says `mfa` after a second factor;
 * a passkey with user verification (`hwk` or `swk` with `user`) is two factors in one gesture, something
 * held and something known or been.
 */
export function isMultiFactor(claims: Claims): boolean {
  const amr = Array.isArray(claims.amr) ? claims.amr : [];
  return amr.includes('mfa') || ((amr.includes('hwk') || amr.includes('swk')) && amr.includes('user'));
}

/**
 * Whether the user signed in (with their credentials, not a refresh) within `maxAge` seconds, by the
 * token's `auth_time`; a token that does not say is not recent.
 */
export function isRecentlyAuthenticated(claims: Claims, maxAge: number, now: number = Date.now()): boolean {
  const authTime = claims.auth_time;
  if (typeof authTime !== 'number' || !Number.isFinite(authTime)) return false;
  const age = now / 1000 - authTime;
  // A sign-in in the future is a clock out of step or a forged claim: not taken as recent beyond a minute.
  return age <= maxAge && age >= -60;
}

/**
 * The checks a sensitive action asks of a verified token, as one value.
 *
 * @example
 * const result = await verifier.verify(readBearer(request.headers.authorization));
 * if (!result.ok) return reply.code(401).send({ code: result.code });
 * const assured = requireAssurance(result.claims, { multiFactor: true, maxAge: 300 });
 * if (!assured.ok) return reply.code(403).send({ code: assured.code });
 */
export function requireAssurance(claims: Claims, options: AssuranceOptions): AssuranceResult {
  if (options.multiFactor && !isMultiFactor(claims)) return { ok: false, code: 'mfa_required' };
  if (
    options.maxAge !== undefined &&
    !isRecentlyAuthenticated(claims, options.maxAge, (options.clock ?? Date.now)())
  ) {
    return { ok: false, code: 'reauthentication_required' };
  }
  return { ok: true };
}
