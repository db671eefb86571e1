import { randomUUID } from 'node:crypto';
import { LEGACY_TYP, type JwtCodec } from '../auth/jwt.js';
import type { JwtConfig } from '../config.js';
import type { User } from '../store/users/store.js';
import type { SessionStore } from '../store/sessions/store.js';
import type { AccessClaims } from './access-claims.js';

/**
 * How a user proved who they are: RFC 8176's registered `amr` values. Gatehouse's features use `pwd`
 * (a password), `otp` (a one-time code, from an app or an email), `hwk`/`swk` (a hardware- or
 * software-bound key: passkeys), `user` (user verification at the authenticator), `mfa` (more than one
 * factor) and `fed` (a federated identity provider).
 */
export const AUTH_METHODS = [
  'face',
  'fed',
  'fpt',
  'geo',
  'hwk',
  'iris',
  'kba',
  'mca',
  'mfa',
  'otp',
  'pin',
  'pop',
  'pwd',
  'rba',
  'retina',
  'sc',
  'sms',
  'swk',
  'tel',
  'user',
  'vbm',
  'wia',
] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** The claim carrying the session id (OpenID Connect's name for it). */
export const SESSION_CLAIM = 'sid';
/** OpenID Connect's names for how and when the user authenticated. */
export const AMR_CLAIM = 'amr';
export const AUTH_TIME_CLAIM = 'auth_time';

export interface TokenPair {
  refresh: string;
  access: string;
}

/** Where a login comes from, shown to the user in their sessions list. */
export interface ClientInfo {
  userAgent: string;
  ip: string;
  /** Browser mode (the refresh token in the httpOnly cookie): its session gets the rotation grace period. */
  browser?: boolean;
}

/** What every token of a session says about it; a refresh keeps it. */
export interface SessionFacts {
  sessionId: string;
  methods: readonly string[];
  /** Seconds since the epoch; undefined only for sessions started before Gatehouse recorded it. */
  authTime: number | undefined;
}

export interface IssuedSession extends SessionFacts {
  user: User;
  tokens: TokenPair;
}

export interface IssueOptions {
  methods: readonly AuthMethod[];
  client?: ClientInfo;
}

export interface SessionIssuer {
  /** Starts a session (a refresh token recorded by its jti) and signs its first token pair. */
  issue(user: User, options: IssueOptions): Promise<IssuedSession>;
  /** What the user's access tokens say of their roles (access-claims.ts), read now. */
  accessClaims(user: User): Promise<AccessClaims>;
  /** An access token of an existing session (a refresh), with the claims `accessClaims` read. */
  signAccess(user: User, facts: SessionFacts, now: Date, claims: AccessClaims): string;
  /** A refresh token already recorded by the store under `jti`, issued at `issuedAt`. */
  signRefresh(user: User, facts: SessionFacts, issuedAt: Date, jti: string): string;
}

export interface SessionIssuerDeps {
  jwt: JwtConfig;
  codec: JwtCodec;
  store: Pick<SessionStore, 'startSession'>;
  clock: () => Date;
  /** Live sessions per user (GATEHOUSE_MAX_SESSIONS_PER_USER); undefined: no limit. */
  maxSessionsPerUser?: number;
  /** The authorization claims of access tokens (access-claims.ts); none without it. */
  accessClaims?: (user: User) => Promise<AccessClaims>;
}

const NO_CLAIMS: AccessClaims = {};

const NO_CLIENT: ClientInfo = { userAgent: '', ip: '' };

/**
 * The one place that starts sessions and signs tokens: every way of signing in (password, the
 * tutorials' aliases, later codes, passkeys and identity providers) ends here, so every token names its
 * session and says how its user signed in.
 */
export function createSessionIssuer({
  jwt,
  codec,
  store,
  clock,
  maxSessionsPerUser,
  accessClaims = async () => NO_CLAIMS,
}: SessionIssuerDeps): SessionIssuer {
  /**
   * Claims in simplejwt's order (token_type, exp, iat, jti, user_id), then Gatehouse's: `username`, the
   * session, how and when its user authenticated, an access token's `roles` (and `permissions`);
   * `aud`/`iss` last, where simplejwt's encoder puts them.
   */
  const sign = (
    type: 'access' | 'refresh',
    user: User,
    facts: SessionFacts,
    now: Date,
    jti: string,
    claims: AccessClaims = NO_CLAIMS,
  ) => {
    const iat = seconds(now);
    const lifetime = type === 'access' ? jwt.accessTokenLifetime : jwt.refreshTokenLifetime;
    return codec.sign(
      {
        [jwt.tokenTypeClaim]: type,
        exp: iat + lifetime,
        iat,
        [jwt.jtiClaim]: jti,
        [jwt.userIdClaim]: user.id,
        username: user.username,
        [SESSION_CLAIM]: facts.sessionId,
        [AMR_CLAIM]: facts.methods,
        ...(facts.authTime !== undefined && { [AUTH_TIME_CLAIM]: facts.authTime }),
        ...claims,
        ...(jwt.audience !== undefined && { aud: jwt.audience }),
        ...(jwt.issuer !== undefined && { iss: jwt.issuer }),
      },
      iat,
      TOKEN_TYPS[type],
    );
  };

  return {
    async issue(user, { methods, client = NO_CLIENT }) {
      const now = clock();
      const jti = newJti();
      const facts: SessionFacts = { sessionId: randomUUID(), methods, authTime: seconds(now) };
      const claims = await accessClaims(user);
      await store.startSession(
        {
          id: facts.sessionId,
          userId: user.id,
          userAgent: client.userAgent,
          ip: client.ip,
          methods,
          authTime: now,
          browser: client.browser ?? false,
        },
        { jti, userId: user.id, issuedAt: now, expiresAt: refreshExpiry(jwt, now) },
        maxSessionsPerUser,
      );
      return {
        ...facts,
        user,
        tokens: {
          refresh: sign('refresh', user, facts, now, jti),
          access: sign('access', user, facts, now, newJti(), claims),
        },
      };
    },
    accessClaims,
    signAccess: (user, facts, now, claims) => sign('access', user, facts, now, newJti(), claims),
    signRefresh: (user, facts, issuedAt, jti) => sign('refresh', user, facts, issuedAt, jti),
  };
}

/**
 * Each token's `typ` names its use (RFC 8725 §3.11), so that neither kind stands in for the other, here
 * or at the services behind Gatehouse (`@gatehouse/verify`): RFC 9068's `at+jwt` for access tokens;
 * refresh tokens have no registered type, and `rt+jwt` says the same of them in the same form.
 */
export const TOKEN_TYPS = { access: 'at+jwt', refresh: 'rt+jwt' } as const;
/**
 * What each use accepts: its own typ, and `JWT`, which every token said before, and still says when
 * signed by an instance not yet upgraded or by a simplejwt backend sharing GATEHOUSE_SIGNING_KEY during a
 * move to Gatehouse. Such a token's use is what its signed token_type claim says, as before.
 */
export const ACCEPTED_TYPS = {
  access: [TOKEN_TYPS.access, LEGACY_TYP],
  refresh: [TOKEN_TYPS.refresh, LEGACY_TYP],
} as const;
/** Every typ the codec knows: any other is refused as an unsupported header. */
export const ALL_TYPS: readonly string[] = [LEGACY_TYP, TOKEN_TYPS.access, TOKEN_TYPS.refresh];

export function refreshExpiry(jwt: JwtConfig, now: Date): Date {
  return new Date(now.getTime() + jwt.refreshTokenLifetime * 1000);
}

/** simplejwt's jti: a uuid4 as 32 lowercase hex digits. */
export function newJti(): string {
  return randomUUID().replaceAll('-', '');
}

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
