import { createJwtCodec, LEGACY_TYP } from '../../auth/jwt.js';
import type { JwtConfig } from '../../config.js';
import type { SessionIssuer } from '../../core/session-issuer.js';
import type { Rejected, TokenService } from '../../core/tokens.js';
import type { DjangoStore } from './store.js';

export interface OldTokenDeps {
  /** GATEHOUSE_DJANGO_SECRET_KEY: what the old deployment signed its HS256 tokens with. */
  secretKey: string;
  jwt: JwtConfig;
  store: Pick<DjangoStore, 'findDjangoUser' | 'isDjangoTokenBlacklisted' | 'spendDjangoToken'>;
  issuer: SessionIssuer;
  clock: () => Date;
}

/** What an old access token's session is called: it has none here (logout and the like find nothing). */
export const OLD_SESSION_PREFIX = 'django:';

interface OldToken {
  jti: string;
  djangoUserId: number;
  type: 'access' | 'refresh';
  expiresAt: Date;
  /** simplejwt's `iat` (whole seconds); undefined: the token does not say (simplejwt before 5.0). */
  issuedAt: number | undefined;
}

/**
 * The token service, also taking the tokens the old Django deployment signed (simplejwt, HS256,
 * `user_id` its Django id) until they expire, for the user each Django id was imported as. Only a token
 * Gatehouse refused as invalid is tried with the old key, so Gatehouse's own are checked as before; and
 * this wraps the service only when GATEHOUSE_DJANGO_SECRET_KEY is set (core.ts): when it is not, the
 * request path is exactly what it was.
 */
export function withOldDjangoTokens(tokens: TokenService, deps: OldTokenDeps): TokenService {
  const { jwt, store, issuer, clock } = deps;
  const codec = createJwtCodec({
    algorithm: 'HS256',
    key: deps.secretKey,
    leeway: jwt.leeway,
    types: [LEGACY_TYP],
  });

  const decode = (token: string, expected: OldToken['type'] | undefined): OldToken | undefined => {
    const verified = codec.verify(token, Math.floor(clock().getTime() / 1000));
    if (!verified.ok) return undefined;
    const { claims } = verified;
    const type = claims[jwt.tokenTypeClaim];
    const jti = claims[jwt.jtiClaim];
    const userId = claims[jwt.userIdClaim];
    if (type !== 'access' && type !== 'refresh') return undefined;
    if (expected !== undefined && type !== expected) return undefined;
    if (typeof jti !== 'string' || jti === '' || !Number.isSafeInteger(userId)) return undefined;
    const iat = claims.iat;
    return {
      jti,
      djangoUserId: userId as number,
      type,
      expiresAt: new Date((claims.exp as number) * 1000),
      issuedAt: typeof iat === 'number' ? iat : undefined,
    };
  };

  /**
   * Whether all of the user's sessions ended here since the token was issued (a password change or reset,
   * log out everywhere, an admin's deactivation or revocation…): then it is refused as a Gatehouse token
   * of a session ended would be. `iat` is whole seconds, so one from the cutoff's own second is refused
   * too, and so is one that does not say when it was issued, once there is a cutoff at all.
   */
  const endedSince = (old: OldToken, sessionsEndedAt: Date | null): boolean =>
    sessionsEndedAt !== null &&
    (old.issuedAt === undefined || old.issuedAt <= Math.floor(sessionsEndedAt.getTime() / 1000));

  const userOf = async (old: OldToken) => {
    const found = await store.findDjangoUser(old.djangoUserId);
    if (!found) return { ok: false, reason: 'user_not_found' } satisfies Rejected;
    const { user, sessionsEndedAt } = found;
    if (!user.isActive) return { ok: false, reason: 'user_inactive' } satisfies Rejected;
    if (endedSince(old, sessionsEndedAt)) return { ok: false, reason: 'blacklisted' } satisfies Rejected;
    return { ok: true as const, user };
  };

  return {
    async authenticate(token) {
      const result = await tokens.authenticate(token);
      if (result.ok || result.reason !== 'invalid') return result;
      const old = decode(token, 'access');
      if (!old) return result;
      const found = await userOf(old);
      if (!found.ok) return found;
      // A password login on the old site; when, its access token does not say.
      return {
        ok: true,
        user: found.user,
        sessionId: `${OLD_SESSION_PREFIX}${old.jti}`,
        methods: ['pwd'],
        authTime: undefined,
      };
    },

    async refresh(token, options) {
      const result = await tokens.refresh(token, options);
      if (result.ok || result.reason !== 'invalid') return result;
      const old = decode(token, 'refresh');
      if (!old) return result;
      const found = await userOf(old);
      if (!found.ok) return found;
      // Blacklisted as it is spent, by a compare-and-set: one old token opens one Gatehouse session.
      if (!(await store.spendDjangoToken(old, clock()))) return { ok: false, reason: 'blacklisted' };
      const { tokens: pair } = await issuer.issue(found.user, { methods: ['pwd'] });
      return { ok: true, access: pair.access, refresh: pair.refresh };
    },

    async blacklist(token) {
      const result = await tokens.blacklist(token);
      if (result.ok || result.reason !== 'invalid') return result;
      const old = decode(token, 'refresh');
      if (!old) return result;
      return (await store.spendDjangoToken(old, clock()))
        ? { ok: true }
        : { ok: false, reason: 'blacklisted' };
    },

    async verify(token) {
      const result = await tokens.verify(token);
      if (result.ok || result.reason !== 'invalid') return result;
      const old = decode(token, undefined);
      if (!old) return result;
      if (old.type === 'refresh' && (await store.isDjangoTokenBlacklisted(old.jti)))
        return { ok: false, reason: 'blacklisted' };
      const found = await store.findDjangoUser(old.djangoUserId);
      if (found && endedSince(old, found.sessionsEndedAt)) return { ok: false, reason: 'blacklisted' };
      return { ok: true };
    },
  };
}
