import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createJwtCodec } from '../auth/jwt.js';
import type { KeyRing } from '../auth/key-ring.js';
import { createLoginThrottle, type LoginThrottle } from '../auth/login-throttle.js';
import type { PasswordHasher } from '../auth/passwords.js';
import type { Config } from '../config.js';
import { createAuthenticate } from '../http/authenticate.js';
import { createGuards, type Guards } from '../http/guards.js';
import { createRateLimiter, type RateLimiter } from '../http/rate-limit.js';
import { createMailer, type Mailer } from '../mail/mailer.js';
import { createSendLimiter } from '../mail/send-limits.js';
import { createReadinessCheck, type ReadinessCheck } from '../http/readiness.js';
import type { Store } from '../store/store.js';
import { createUsersService, type UsersService } from '../users/users-service.js';
import { createOneTimeTokens, type OneTimeTokens } from './one-time-tokens/one-time-tokens.js';
import { createAccessClaims } from './access-claims.js';
import { ALL_TYPS, createSessionIssuer, type SessionIssuer } from './session-issuer.js';
import { createSignInPipeline, type SignInPipeline } from './sign-in.js';
import { createTokenService, type TokenService } from './tokens.js';

/** What every feature is given: the shared core, built once per app. */
export interface Core {
  config: Config;
  store: Store;
  hasher: PasswordHasher;
  clock: () => Date;
  keys: KeyRing;
  /** The only code that starts sessions and signs token pairs. */
  sessions: SessionIssuer;
  /** Refresh, verify, logout and access-token checks. */
  tokens: TokenService;
  /** Where every first factor ends: the policy that decides between a session and a second factor. */
  signIn: SignInPipeline;
  /** Every short-lived secret a flow needs (links, codes, challenges, OAuth state), stored hashed. */
  oneTimeTokens: OneTimeTokens;
  /** Mail: features define their kinds and queue messages; a sender delivers them in the background. */
  mail: Mailer;
  users: UsersService;
  /** Failed-password counters per account and per IP, and the logins in flight; one per process. */
  loginThrottle: LoginThrottle;
  guards: Guards;
  rateLimit: RateLimiter;
  ready: ReadinessCheck;
}

/**
 * A way of signing in, or another part of the API: an encapsulated Fastify plugin with its routes typed
 * by their TypeBox schemas, given the core.
 */
export type Feature = FastifyPluginAsyncTypebox<Core>;

export interface CoreDeps {
  config: Config;
  store: Store;
  hasher: PasswordHasher;
  keys: KeyRing;
  clock: () => Date;
  /** The HMAC key of one-time tokens (one-time-tokens.ts, oneTimeTokenKey). */
  oneTimeTokenKey: Buffer;
}

export function createCore({ config, store, hasher, keys, clock, oneTimeTokenKey }: CoreDeps): Core {
  const codec = createJwtCodec({
    algorithm: config.jwt.algorithm,
    keys,
    audience: config.jwt.audience,
    issuer: config.jwt.issuer,
    leeway: config.jwt.leeway,
    types: ALL_TYPS,
  });
  const sessions = createSessionIssuer({
    jwt: config.jwt,
    codec,
    store,
    clock,
    maxSessionsPerUser: config.sessions.maxPerUser,
    accessClaims: createAccessClaims({ store, permissions: config.jwt.tokenPermissions }),
  });
  const mail = createMailer({
    store,
    clock,
    allowSend: createSendLimiter({
      store,
      clock,
      perAddress: config.mail.limitPerAddress,
      perIp: config.mail.limitPerIp,
    }),
  });
  const tokens = createTokenService({
    jwt: config.jwt,
    sessions: config.sessions,
    codec,
    store,
    clock,
    issuer: sessions,
    ...(config.mail.notices.includes('refresh_reuse') && { reuseNotice: { queued: () => mail.wake() } }),
  });
  const authenticate = createAuthenticate(tokens, config.jwt.authHeaderTypes);
  const oneTimeTokens = createOneTimeTokens({ store, key: oneTimeTokenKey, clock });
  return {
    config,
    store,
    hasher,
    clock,
    keys,
    sessions,
    tokens,
    signIn: createSignInPipeline({
      sessions,
      challenges: oneTimeTokens,
      findUser: (id) => store.findUserById(id),
      requireVerifiedEmail: config.mail.emailVerification === 'mandatory',
      mfaRequired: config.mfaRequired,
    }),
    oneTimeTokens,
    mail,
    users: createUsersService({
      store,
      hasher,
      clock,
      updateLastLogin: config.jwt.updateLastLogin,
      passwordMinLength: config.passwordMinLength,
    }),
    loginThrottle: createLoginThrottle(store, clock, config.loginFreeFailures),
    guards: createGuards(authenticate, {
      clock,
      reauthenticationWindow: config.sessions.reauthenticationWindow,
      permissionsOf: (userId) => store.effectivePermissions(userId),
    }),
    rateLimit: createRateLimiter(store, clock, {
      enabled: config.rateLimits,
      windows: config.rateLimitWindows,
    }),
    ready: createReadinessCheck(store),
  };
}
