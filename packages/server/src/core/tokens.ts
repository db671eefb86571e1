import type { JwtConfig, SessionConfig } from '../config.js';
import type { User } from '../store/users/store.js';
import type { JwtClaims, JwtCodec, JwtVerification } from '../auth/jwt.js';
import {
  ACCEPTED_TYPS,
  AMR_CLAIM,
  AUTH_TIME_CLAIM,
  newJti,
  refreshExpiry,
  SESSION_CLAIM,
  type SessionFacts,
  type SessionIssuer,
} from './session-issuer.js';
import type { SessionStore } from '../store/sessions/store.js';
import type { NewMail } from '../mail/message.js';

export type TokenType = 'access' | 'refresh';

/** Why a token was refused, in simplejwt's terms; the HTTP layer words it. */
export type TokenRejection =
  | 'invalid' // bad signature, malformed, expired, wrong audience/issuer, unknown to the store
  | 'wrong_type'
  | 'no_type'
  | 'no_id'
  | 'no_user_id'
  | 'blacklisted' // spent, logged out, or its session ended
  | 'user_inactive'
  | 'user_not_found';

export type Rejected = { ok: false; reason: TokenRejection };

export interface Authenticated {
  ok: true;
  user: User;
  sessionId: string;
  /** How and when the user signed in to this session (the access token's `amr` and `auth_time`). */
  methods: readonly string[];
  authTime: number | undefined;
}

export interface RefreshOptions {
  /**
   * Apply the rotation grace period: browser mode does; token mode (simplejwt's and tutorial B's
   * clients) does not, so a spent token presented again is refused at once, as those clients expect.
   */
  grace?: boolean;
}

/** What happens to tokens after a sign-in; sessions start in the session issuer (session-issuer.ts). */
export interface TokenService {
  /** Rotation: the presented refresh token is spent, a new one issued. `refresh` is absent when rotation is off. */
  refresh(
    token: string,
    options?: RefreshOptions,
  ): Promise<{ ok: true; access: string; refresh?: string } | Rejected>;
  /** Logout: the refresh token can no longer be used and its session, access tokens included, ends. */
  blacklist(token: string): Promise<{ ok: true } | Rejected>;
  /**
   * Any token type; a spent refresh token or a token of an ended session is `blacklisted`, a refresh
   * token unknown to the store `invalid`.
   */
  verify(token: string): Promise<{ ok: true } | Rejected>;
  /** An access token presented to a protected route, resolved to its (active) user and open session. */
  authenticate(token: string): Promise<Authenticated | Rejected>;
}

export interface TokenServiceDeps {
  jwt: JwtConfig;
  sessions: SessionConfig;
  codec: JwtCodec;
  store: Pick<
    SessionStore,
    | 'rotateRefreshToken'
    | 'revokeRefreshToken'
    | 'isRefreshTokenRevoked'
    | 'isSessionActive'
    | 'findAccessSubject'
  >;
  clock: () => Date;
  issuer: SessionIssuer;
  /**
   * Tell the owner when a refresh token is reused (GATEHOUSE_SECURITY_NOTICES): a `refresh_reuse` notice,
   * queued in the transaction that ends the session; `queued` wakes the sender afterwards.
   */
  reuseNotice?: { queued: () => void };
}

type Decoded =
  | {
      ok: true;
      jti: string;
      type: unknown;
      userId: number | undefined;
      sessionId: string | undefined;
      username: unknown;
      methods: readonly string[];
      authTime: number | undefined;
    }
  | Rejected;

/** Tokens signed before sessions recorded their methods all came from a password login. */
const LEGACY_METHODS: readonly string[] = ['pwd'];

export function createTokenService({
  jwt,
  sessions,
  codec,
  store,
  clock,
  issuer,
  reuseNotice,
}: TokenServiceDeps): TokenService {
  const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
  const reuseMail = reuseNotice && refreshReuseMail;

  const expiry = (now: Date) => refreshExpiry(jwt, now);

  /**
   * A kid this instance does not know may be a key another instance has just added: the keys are
   * reloaded (rate-limited) and the token tried once more. Otherwise no promise is made on this path.
   */
  const verifyToken = (
    token: string,
    now: Date,
    expected: TokenType | undefined,
  ): JwtVerification | Promise<JwtVerification> => {
    const accept = expected === undefined ? undefined : ACCEPTED_TYPS[expected];
    const verified = codec.verify(token, seconds(now), accept);
    if (verified.ok || verified.reason !== 'unknown_key') return verified;
    return codec
      .refreshKeys()
      .then((changed) => (changed ? codec.verify(token, seconds(now), accept) : verified));
  };

  const decode = (verified: JwtVerification, expected: TokenType | undefined): Decoded => {
    // The header's typ names the other use: an access token presented as a refresh token, or the reverse.
    if (!verified.ok)
      return { ok: false, reason: verified.reason === 'wrong_typ' ? 'wrong_type' : 'invalid' };
    const claims: JwtClaims = verified.claims;
    const type = claims[jwt.tokenTypeClaim];
    if (expected !== undefined) {
      if (type === undefined) return { ok: false, reason: 'no_type' };
      if (type !== expected) return { ok: false, reason: 'wrong_type' };
    }
    const jti = claims[jwt.jtiClaim];
    if (typeof jti !== 'string' || jti === '') return { ok: false, reason: 'no_id' };
    const userId = claims[jwt.userIdClaim];
    const sessionId = claims[SESSION_CLAIM];
    const methods = claims[AMR_CLAIM];
    const authTime = claims[AUTH_TIME_CLAIM];
    return {
      ok: true,
      jti,
      type,
      userId: Number.isSafeInteger(userId) ? (userId as number) : undefined,
      sessionId: typeof sessionId === 'string' && sessionId !== '' ? sessionId : undefined,
      username: claims.username,
      methods: isStringArray(methods) ? methods : LEGACY_METHODS,
      authTime: Number.isSafeInteger(authTime) ? (authTime as number) : undefined,
    };
  };

  return {
    async refresh(token, options = {}) {
      const now = clock();
      const verified = verifyToken(token, now, 'refresh');
      const decoded = decode(verified instanceof Promise ? await verified : verified, 'refresh');
      if (!decoded.ok) return decoded;
      if (decoded.userId === undefined) return { ok: false, reason: 'invalid' };
      const child = jwt.rotateRefreshTokens
        ? { jti: newJti(), userId: decoded.userId, issuedAt: now, expiresAt: expiry(now) }
        : undefined;
      const result = await store.rotateRefreshToken({
        jti: decoded.jti,
        userId: decoded.userId,
        now,
        revoke: jwt.rotateRefreshTokens && jwt.blacklistAfterRotation,
        policy: {
          graceSeconds: options.grace ? sessions.rotationGracePeriod : 0,
          absoluteLifetime: sessions.absoluteLifetime,
          idleTimeout: sessions.idleTimeout,
        },
        ...(child !== undefined && { child }),
        reuseMail,
      });
      if (!result.ok) {
        switch (result.reason) {
          // The store ended the session, recorded it in the audit log and queued the notice, in one
          // transaction.
          case 'reused':
            reuseNotice?.queued();
            return { ok: false, reason: 'blacklisted' };
          case 'revoked':
            return { ok: false, reason: 'blacklisted' };
          // Unknown: a token whose jti the store never issued is as good as forged.
          case 'unknown':
          case 'session_expired':
            return { ok: false, reason: 'invalid' };
          // simplejwt 5.2 refreshed for deactivated users; a deactivated account gets nothing here.
          case 'user_inactive':
            return { ok: false, reason: 'user_inactive' };
          case 'user_missing':
            return { ok: false, reason: 'user_not_found' };
        }
      }
      const { user, sessionId, replay } = result;
      // How and when the user signed in stays what the session's first tokens said: the refresh token
      // carrying it is signed by this server and was just found valid in the store.
      const facts: SessionFacts = { sessionId, methods: decoded.methods, authTime: decoded.authTime };
      // The roles as they are now: a change reaches the services behind Gatehouse at this refresh.
      const access = issuer.signAccess(user, facts, now, await issuer.accessClaims(user));
      if (child === undefined) return { ok: true, access };
      // Within the grace period the successor already issued is signed again: the same token.
      const successor = replay ?? child;
      return {
        ok: true,
        access,
        refresh: issuer.signRefresh(user, facts, successor.issuedAt, successor.jti),
      };
    },

    async blacklist(token) {
      const now = clock();
      const verified = verifyToken(token, now, 'refresh');
      const decoded = decode(verified instanceof Promise ? await verified : verified, 'refresh');
      if (!decoded.ok) return decoded;
      if (decoded.userId === undefined) return { ok: false, reason: 'invalid' };
      const outcome = await store.revokeRefreshToken(decoded.jti, decoded.userId, now);
      if (outcome === 'revoked') return { ok: true };
      return { ok: false, reason: outcome === 'already_revoked' ? 'blacklisted' : 'invalid' };
    },

    async verify(token) {
      const verified = verifyToken(token, clock(), undefined);
      const decoded = decode(verified instanceof Promise ? await verified : verified, undefined);
      if (!decoded.ok) return decoded;
      if (decoded.type === 'refresh') {
        const revoked = await store.isRefreshTokenRevoked(decoded.jti);
        // Unknown, as in refresh: a jti the store never issued, or its user's records deleted.
        if (revoked === undefined) return { ok: false, reason: 'invalid' };
        return revoked ? { ok: false, reason: 'blacklisted' } : { ok: true };
      }
      const ended = decoded.sessionId !== undefined && !(await store.isSessionActive(decoded.sessionId));
      return ended ? { ok: false, reason: 'blacklisted' } : { ok: true };
    },

    async authenticate(token) {
      const now = clock();
      const verified = verifyToken(token, now, 'access');
      const decoded = decode(verified instanceof Promise ? await verified : verified, 'access');
      if (!decoded.ok) return decoded;
      if (decoded.userId === undefined) return { ok: false, reason: 'no_user_id' };
      // Every access token Gatehouse issues names its session; one without cannot be revoked, so it is refused.
      if (decoded.sessionId === undefined) return { ok: false, reason: 'invalid' };
      const subject = await store.findAccessSubject(decoded.userId, decoded.sessionId);
      if (!subject) return { ok: false, reason: 'user_not_found' };
      if (!subject.user.isActive) return { ok: false, reason: 'user_inactive' };
      // Logout, logout everywhere, a password change or an administrator ended the session.
      if (!subject.sessionActive) return { ok: false, reason: 'blacklisted' };
      return {
        ok: true,
        user: subject.user,
        sessionId: decoded.sessionId,
        methods: decoded.methods,
        authTime: decoded.authTime,
      };
    },
  };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** The owner's notice of a reuse, when the account has an address to send it to. */
function refreshReuseMail(owner: User, sessionId: string): NewMail[] {
  return owner.email
    ? [{ kind: 'refresh_reuse', to: owner.email, userId: owner.id, data: { session: sessionId } }]
    : [];
}
