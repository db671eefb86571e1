import { randomUUID } from 'node:crypto';
import type { JwtConfig } from '../config.js';
import type { Store, User } from '../store/store.js';
import type { JwtClaims, JwtCodec } from './jwt.js';

export type TokenType = 'access' | 'refresh';

/** Why a token was refused, in simplejwt's terms; the HTTP layer words it. */
export type TokenRejection =
  | 'invalid' // bad signature, malformed, expired, wrong audience/issuer, unknown to the store
  | 'wrong_type'
  | 'no_type'
  | 'no_id'
  | 'no_user_id'
  | 'blacklisted'
  | 'user_inactive'
  | 'user_not_found';

export type Rejected = { ok: false; reason: TokenRejection };

export interface TokenPair {
  refresh: string;
  access: string;
}

export interface TokenService {
  /** A new session: a refresh token (recorded by its jti) and an access token. */
  issuePair(user: User): Promise<TokenPair>;
  /** Rotation: the presented refresh token is spent, a new one issued. `refresh` is absent when rotation is off. */
  refresh(token: string): Promise<{ ok: true; access: string; refresh?: string } | Rejected>;
  /** Logout: the refresh token can no longer be used. */
  blacklist(token: string): Promise<{ ok: true } | Rejected>;
  /** Any token type; a revoked refresh token is `blacklisted`. */
  verify(token: string): Promise<{ ok: true } | Rejected>;
  /** An access token presented to a protected route, resolved to its (active) user. */
  authenticate(token: string): Promise<{ ok: true; user: User; claims: JwtClaims } | Rejected>;
}

export interface TokenServiceDeps {
  jwt: JwtConfig;
  codec: JwtCodec;
  store: Store;
  clock: () => Date;
}

type Decoded =
  { ok: true; claims: JwtClaims; jti: string; type: unknown; userId: number | undefined } | Rejected;

export function createTokenService({ jwt, codec, store, clock }: TokenServiceDeps): TokenService {
  const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

  /** Claims in simplejwt's order: token_type, exp, iat, jti, user_id, then the custom `username`. */
  const claimsFor = (type: TokenType, user: User, now: Date, jti: string): JwtClaims => {
    const iat = seconds(now);
    const lifetime = type === 'access' ? jwt.accessTokenLifetime : jwt.refreshTokenLifetime;
    return {
      [jwt.tokenTypeClaim]: type,
      exp: iat + lifetime,
      iat,
      [jwt.jtiClaim]: jti,
      [jwt.userIdClaim]: user.id,
      username: user.username,
      ...(jwt.audience !== undefined && { aud: jwt.audience }),
      ...(jwt.issuer !== undefined && { iss: jwt.issuer }),
    };
  };
  const sign = (type: TokenType, user: User, now: Date, jti = newJti()) =>
    codec.sign(claimsFor(type, user, now, jti));
  const expiry = (now: Date) => new Date(now.getTime() + jwt.refreshTokenLifetime * 1000);

  const decode = (token: string, expected: TokenType | undefined, now: Date): Decoded => {
    const verified = codec.verify(token, seconds(now));
    if (!verified.ok) return { ok: false, reason: 'invalid' };
    const { claims } = verified;
    const type = claims[jwt.tokenTypeClaim];
    if (expected !== undefined) {
      if (type === undefined) return { ok: false, reason: 'no_type' };
      if (type !== expected) return { ok: false, reason: 'wrong_type' };
    }
    const jti = claims[jwt.jtiClaim];
    if (typeof jti !== 'string' || jti === '') return { ok: false, reason: 'no_id' };
    const userId = claims[jwt.userIdClaim];
    return {
      ok: true,
      claims,
      jti,
      type,
      userId: Number.isSafeInteger(userId) ? (userId as number) : undefined,
    };
  };

  return {
    async issuePair(user) {
      const now = clock();
      const jti = newJti();
      await store.recordRefreshToken({
        jti,
        userId: user.id,
        familyId: randomUUID(),
        issuedAt: now,
        expiresAt: expiry(now),
      });
      return { refresh: sign('refresh', user, now, jti), access: sign('access', user, now) };
    },

    async refresh(token) {
      const now = clock();
      const decoded = decode(token, 'refresh', now);
      if (!decoded.ok) return decoded;
      if (decoded.userId === undefined) return { ok: false, reason: 'invalid' };
      const childJti = jwt.rotateRefreshTokens ? newJti() : undefined;
      const result = await store.rotateRefreshToken({
        jti: decoded.jti,
        userId: decoded.userId,
        now,
        revoke: jwt.rotateRefreshTokens && jwt.blacklistAfterRotation,
        ...(childJti !== undefined && {
          child: { jti: childJti, userId: decoded.userId, issuedAt: now, expiresAt: expiry(now) },
        }),
      });
      if (!result.ok) {
        if (result.reason === 'revoked') return { ok: false, reason: 'blacklisted' };
        // A token whose jti the store never issued is as good as forged.
        if (result.reason === 'unknown') return { ok: false, reason: 'invalid' };
        // simplejwt 5.2 refreshed for deactivated users; a deactivated account gets nothing here.
        return { ok: false, reason: result.reason === 'user_inactive' ? 'user_inactive' : 'user_not_found' };
      }
      const access = sign('access', result.user, now);
      return childJti === undefined
        ? { ok: true, access }
        : { ok: true, access, refresh: sign('refresh', result.user, now, childJti) };
    },

    async blacklist(token) {
      const now = clock();
      const decoded = decode(token, 'refresh', now);
      if (!decoded.ok) return decoded;
      if (decoded.userId === undefined) return { ok: false, reason: 'invalid' };
      const outcome = await store.revokeRefreshToken(decoded.jti, decoded.userId, now);
      if (outcome === 'revoked') return { ok: true };
      return { ok: false, reason: outcome === 'already_revoked' ? 'blacklisted' : 'invalid' };
    },

    async verify(token) {
      const decoded = decode(token, undefined, clock());
      if (!decoded.ok) return decoded;
      // Only refresh tokens are ever revoked, so access tokens need no lookup.
      if (decoded.type === 'refresh' && (await store.isRefreshTokenRevoked(decoded.jti))) {
        return { ok: false, reason: 'blacklisted' };
      }
      return { ok: true };
    },

    async authenticate(token) {
      const decoded = decode(token, 'access', clock());
      if (!decoded.ok) return decoded;
      if (decoded.userId === undefined) return { ok: false, reason: 'no_user_id' };
      const user = await store.findUserById(decoded.userId);
      if (!user) return { ok: false, reason: 'user_not_found' };
      if (!user.isActive) return { ok: false, reason: 'user_inactive' };
      return { ok: true, user, claims: decoded.claims };
    },
  };
}

/** simplejwt's jti: a uuid4 as 32 lowercase hex digits. */
function newJti(): string {
  return randomUUID().replaceAll('-', '');
}
