import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type HmacAlgorithm = 'HS256' | 'HS384' | 'HS512';
export const HMAC_ALGORITHMS: readonly HmacAlgorithm[] = ['HS256', 'HS384', 'HS512'];
/** Signed with a private key; anyone holding the published public key (JWKS) can verify. */
export type AsymmetricAlgorithm = 'EdDSA' | 'ES256' | 'RS256';
export const ASYMMETRIC_ALGORITHMS: readonly AsymmetricAlgorithm[] = ['EdDSA', 'ES256', 'RS256'];
export type JwsAlgorithm = HmacAlgorithm | AsymmetricAlgorithm;
export const JWS_ALGORITHMS: readonly JwsAlgorithm[] = [...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS];

export function isHmacAlgorithm(algorithm: JwsAlgorithm): algorithm is HmacAlgorithm {
  return algorithm.startsWith('HS');
}

export interface JwtConfig {
  /** Seconds. */
  readonly accessTokenLifetime: number;
  readonly refreshTokenLifetime: number;
  readonly rotateRefreshTokens: boolean;
  readonly blacklistAfterRotation: boolean;
  readonly updateLastLogin: boolean;
  readonly algorithm: JwsAlgorithm;
  /** An HMAC secret. Unset: keys are generated on first start and kept in the database (`gatehouse keys`). */
  readonly signingKey: string | undefined;
  /**
   * 32 bytes that encrypt the keys kept in the database (AES-256-GCM). Required for the asymmetric
   * algorithms; without it, HMAC secrets are kept unencrypted, as before keys had their own table.
   */
  readonly keyEncryptionKey?: Buffer;
  readonly audience: string | undefined;
  readonly issuer: string | undefined;
  /** Seconds of clock skew tolerated on `exp`/`nbf`. */
  readonly leeway: number;
  readonly authHeaderTypes: readonly string[];
  readonly userIdClaim: string;
  readonly tokenTypeClaim: string;
  readonly jtiClaim: string;
  /**
   * Access tokens carry the user's effective permissions (`permissions`) beside their roles
   * (GATEHOUSE_TOKEN_PERMISSIONS); off, only `roles`.
   */
  readonly tokenPermissions: boolean;
}

export interface SessionConfig {
  /** Seconds a rotated refresh token may be presented again and get the same successor (a lost response). */
  readonly rotationGracePeriod: number;
  /** Seconds after login when a session ends, however active. */
  readonly absoluteLifetime: number;
  /** Seconds without a refresh after which a session ends. */
  readonly idleTimeout: number;
  /**
   * Seconds after a sign-in during which sensitive changes guarded by recent authentication (factors,
   * email) are allowed without proving who you are again.
   */
  readonly reauthenticationWindow: number;
  /** Live sessions a user may have; a login beyond it ends the least recently used. */
  readonly maxPerUser: number;
}

export interface PasswordHashConfig {
  /** KiB. */
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

export type EmailVerification = 'optional' | 'mandatory' | 'none';
export const EMAIL_VERIFICATION_MODES: readonly EmailVerification[] = ['optional', 'mandatory', 'none'];

/** Accounts that must have a second factor (GATEHOUSE_MFA_REQUIRED): they enrol one at their next login. */
export type MfaRequirement = 'none' | 'superusers' | 'staff' | 'all';
export const MFA_REQUIREMENTS: readonly MfaRequirement[] = ['none', 'superusers', 'staff', 'all'];

/** Mails sent about a change to an account's security; each can be turned off by the deployer. */
export type SecurityNotice =
  'password_changed' | 'password_reset' | 'email_changed' | 'refresh_reuse' | 'mfa_changed';
export const SECURITY_NOTICES: readonly SecurityNotice[] = [
  'password_changed',
  'password_reset',
  'email_changed',
  'refresh_reuse',
  'mfa_changed',
];

/** At most `count` in `seconds`. */
export interface SendLimit {
  readonly count: number;
  readonly seconds: number;
}

export type RateLimitName = 'register' | 'refresh' | 'password';
/** Today's values: a NAT'd classroom or an office raises them (GATEHOUSE_RATE_LIMIT_REGISTER=100/h). */
export const DEFAULT_RATE_LIMITS: Readonly<Record<RateLimitName, SendLimit>> = {
  register: { count: 10, seconds: 3600 },
  refresh: { count: 300, seconds: 60 },
  password: { count: 10, seconds: 15 * 60 },
};

export interface MailConfig {
  /** The origin users reach (scheme://host[:port], no trailing slash): links in mails are built on it. */
  readonly publicUrl: string;
  /** `smtp://` or `smtps://`; undefined: every message is written as an .eml file under `outboxDir`. */
  readonly smtpUrl: string | undefined;
  /** The From header. */
  readonly from: string;
  /** Shown in mails and pages. */
  readonly siteName: string;
  readonly outboxDir: string;
  /** A folder of templates that replace the built-in ones, file by file; undefined: the built-in ones. */
  readonly templatesDir: string | undefined;
  readonly emailVerification: EmailVerification;
  readonly notices: readonly SecurityNotice[];
  /** Seconds a link stays valid. */
  readonly verificationTtl: number;
  readonly passwordResetTtl: number;
  readonly emailChangeTtl: number;
  /** Mails to one address (every route that sends mail); over it the answer is the same and nothing is sent. */
  readonly limitPerAddress: readonly SendLimit[];
  /** Mail-sending requests from one client IP. */
  readonly limitPerIp: readonly SendLimit[];
}

/** Passkeys (WebAuthn): who the credentials are for, and where the ceremonies may run. */
export interface WebAuthnConfig {
  /** The RP ID: a domain that every origin's host is or is under; credentials are bound to it. */
  readonly rpId: string;
  /** Shown by the browser and the authenticator (GATEHOUSE_SITE_NAME). */
  readonly rpName: string;
  /** The origins (scheme://host[:port]) whose pages may register and use passkeys. */
  readonly origins: readonly string[];
}

export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  /** `url` is given to node-postgres as is: its query parameters (sslmode, options, ...) apply. */
  | { readonly kind: 'postgres'; readonly url: string; readonly poolSize: number };

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly database: DatabaseConfig;
  readonly corsAllowedOrigins: readonly string[];
  readonly production: boolean;
  readonly logLevel: string;
  readonly bodyLimit: number;
  /** Per-IP limits on registration, refresh and password endpoints (login throttling is always on). */
  readonly rateLimits: boolean;
  /** Each limit's count and window (GATEHOUSE_RATE_LIMIT_<NAME>), per client IP. */
  readonly rateLimitWindows: Readonly<Record<RateLimitName, SendLimit>>;
  /** Failed logins allowed before delays begin, per account and per client IP. */
  readonly loginFreeFailures: { readonly perAccount: number; readonly perIp: number };
  /** Proxies whose X-Forwarded-For / -Proto are believed: addresses or CIDR ranges. */
  readonly trustedProxies: readonly string[];
  /** Minimum password length for new passwords (NIST SP 800-63B: at least 8). */
  readonly passwordMinLength: number;
  /** Who must have a second factor before a login gives them tokens (`staff` includes superusers). */
  readonly mfaRequired: MfaRequirement;
  /** The built web app, served at `/`; undefined: none (an API-only deployment). */
  readonly webRoot: string | undefined;
  /** Serve the web app's source maps (*.map): by default everywhere but in production. */
  readonly webSourceMaps: boolean;
  readonly jwt: JwtConfig;
  readonly sessions: SessionConfig;
  readonly passwordHash: PasswordHashConfig;
  readonly mail: MailConfig;
  readonly webauthn: WebAuthnConfig;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** OWASP Password Storage Cheat Sheet's floor for argon2id. */
export const ARGON2_FLOOR: PasswordHashConfig = { memoryCost: 19456, timeCost: 2, parallelism: 1 };
/** RFC 7518 §3.2: an HMAC key at least as long as the hash output. */
export const MIN_SIGNING_KEY_BYTES: Readonly<Record<HmacAlgorithm, number>> = {
  HS256: 32,
  HS384: 48,
  HS512: 64,
};
export const DEFAULT_DATABASE_PATH = path.join('data', 'gatehouse.sqlite3');
export const DEFAULT_DATABASE_POOL_SIZE = 10;
export const DEFAULT_OUTBOX_DIR = path.join('data', 'outbox');
/** Where `npm run build` puts apps/web, from src/ and dist/ alike. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../../apps/web/dist', import.meta.url));

const PREFIX = 'GATEHOUSE_';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads every setting from the environment into one frozen object. Every problem is collected, so a
 * misconfigured deployment learns all of them from one failed start.
 */
export function parseConfig(env: Env): Config {
  const problems: string[] = [];
  const known = new Set<string>();
  const read = (name: string): string | undefined => {
    known.add(name);
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const setting = <T>(name: string, fallback: T, parse: (raw: string) => Parsed<T>): T => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const parsed = parse(raw);
    if ('problem' in parsed) {
      problems.push(`${name}=${JSON.stringify(raw)}: ${parsed.problem}`);
      return fallback;
    }
    return parsed.value;
  };
  const jwtSetting = <T>(name: string, fallback: T, parse: (raw: string) => Parsed<T>) =>
    setting(PREFIX + name, fallback, parse);
  const problem = (name: string, message: string) => problems.push(`${name}: ${message}`);
  const claim = (name: string, fallback: string) => jwtSetting(name, fallback, claimName);

  const signingKey = read(PREFIX + 'SIGNING_KEY');
  const algorithm = read(PREFIX + 'ALGORITHM') ?? 'HS256';
  const knownAlgorithm = JWS_ALGORITHMS.includes(algorithm as JwsAlgorithm);
  const hmac = knownAlgorithm ? (algorithm as JwsAlgorithm) : 'HS256';
  if (signingKey !== undefined && isHmacAlgorithm(hmac)) {
    const minimum = MIN_SIGNING_KEY_BYTES[hmac];
    const bytes = Buffer.byteLength(signingKey);
    const which = hmac === 'HS256' ? '' : ` with ${PREFIX}ALGORITHM=${hmac}`;
    if (bytes < minimum)
      problem(`${PREFIX}SIGNING_KEY`, `must be at least ${minimum} bytes${which} (got ${bytes})`);
  }
  if (!knownAlgorithm) {
    problem(
      `${PREFIX}ALGORITHM`,
      `must be one of ${JWS_ALGORITHMS.join(', ')} (got ${JSON.stringify(algorithm)})`,
    );
  }
  const asymmetric = knownAlgorithm && !isHmacAlgorithm(algorithm as JwsAlgorithm);
  if (asymmetric && signingKey !== undefined) {
    problem(
      `${PREFIX}SIGNING_KEY`,
      `is an HMAC secret, for HS256, HS384 or HS512 only; ${algorithm} keys are generated and kept in the ` +
        'database (gatehouse keys): unset it',
    );
  }
  // Never echoed in a problem: it is a secret.
  const rawKek = read(PREFIX + 'KEY_ENCRYPTION_KEY');
  const keyEncryptionKey = rawKek === undefined ? undefined : keyBytes(rawKek);
  if (rawKek !== undefined && keyEncryptionKey === undefined) {
    problem(
      `${PREFIX}KEY_ENCRYPTION_KEY`,
      'must be 32 bytes, in base64 or hex (generate one: openssl rand -base64 32)',
    );
  }
  // A private key in the clear next to the data would go wherever a dump or backup goes, and a generated
  // key-encryption key could only be stored next to it: an asymmetric deployment (services trusting one
  // key) is refused at start rather than kept that way. HMAC keeps working without one, as before (a
  // first `npm start` needs no setup), its secret in the clear; `gatehouse doctor` warns in production.
  if (asymmetric && rawKek === undefined) {
    problem(
      `${PREFIX}KEY_ENCRYPTION_KEY`,
      `required with ${PREFIX}ALGORITHM=${algorithm}: the private key is kept in the database, encrypted ` +
        'with it (generate one: openssl rand -base64 32, and keep it in your secret manager)',
    );
  }

  const jwt: JwtConfig = {
    accessTokenLifetime: jwtSetting('ACCESS_TOKEN_LIFETIME', 300, duration),
    refreshTokenLifetime: jwtSetting('REFRESH_TOKEN_LIFETIME', 86400, duration),
    rotateRefreshTokens: jwtSetting('ROTATE_REFRESH_TOKENS', true, boolean),
    blacklistAfterRotation: jwtSetting('BLACKLIST_AFTER_ROTATION', true, boolean),
    // simplejwt's default is False; Gatehouse keeps last_login (written at most once a minute per user).
    updateLastLogin: jwtSetting('UPDATE_LAST_LOGIN', true, boolean),
    algorithm: algorithm as JwsAlgorithm,
    signingKey,
    ...(keyEncryptionKey !== undefined && { keyEncryptionKey }),
    audience: read(PREFIX + 'AUDIENCE'),
    issuer: read(PREFIX + 'ISSUER'),
    leeway: jwtSetting('LEEWAY', 0, (raw) => integer(raw, 0, 3600)),
    authHeaderTypes: Object.freeze(jwtSetting('AUTH_HEADER_TYPES', ['Bearer'], list)),
    userIdClaim: claim('USER_ID_CLAIM', 'user_id'),
    tokenTypeClaim: claim('TOKEN_TYPE_CLAIM', 'token_type'),
    jtiClaim: claim('JTI_CLAIM', 'jti'),
    tokenPermissions: jwtSetting('TOKEN_PERMISSIONS', false, boolean),
  };
  if (jwt.authHeaderTypes.length === 0) problem(`${PREFIX}AUTH_HEADER_TYPES`, 'must name at least one type');

  const sessions: SessionConfig = {
    // Applies to browser-mode refreshes only: token mode keeps simplejwt's immediate refusal.
    rotationGracePeriod: setting(`${PREFIX}ROTATION_GRACE_PERIOD`, 5, (raw) => integer(raw, 0, 60)),
    absoluteLifetime: setting(`${PREFIX}SESSION_ABSOLUTE_LIFETIME`, 30 * 86400, duration),
    idleTimeout: setting(`${PREFIX}SESSION_IDLE_TIMEOUT`, jwt.refreshTokenLifetime, duration),
    reauthenticationWindow: setting(`${PREFIX}REAUTHENTICATION_WINDOW`, 15 * 60, duration),
    // Whoever holds a password could otherwise fill the sessions table without end. 100 is far more than
    // one person's devices and browsers, and the sessions list shows that many on its first page.
    maxPerUser: setting(`${PREFIX}MAX_SESSIONS_PER_USER`, 100, (raw) => integer(raw, 1, 100_000)),
  };

  const passwordHash: PasswordHashConfig = {
    memoryCost: setting(`${PREFIX}ARGON2_MEMORY_COST`, ARGON2_FLOOR.memoryCost, (raw) =>
      integer(raw, ARGON2_FLOOR.memoryCost, 4 * 1024 * 1024),
    ),
    timeCost: setting(`${PREFIX}ARGON2_TIME_COST`, ARGON2_FLOOR.timeCost, (raw) =>
      integer(raw, ARGON2_FLOOR.timeCost, 100),
    ),
    parallelism: setting(`${PREFIX}ARGON2_PARALLELISM`, ARGON2_FLOOR.parallelism, (raw) =>
      integer(raw, 1, 16),
    ),
  };

  const database = (): DatabaseConfig => {
    // Connections each server process keeps to PostgreSQL at most; SQLite has no pool and ignores it.
    const poolSize = setting(`${PREFIX}DATABASE_POOL_SIZE`, DEFAULT_DATABASE_POOL_SIZE, (raw) =>
      integer(raw, 1, 100),
    );
    // Not through setting(): a problem names the URL with its password hidden.
    const fallback: DatabaseConfig = { kind: 'sqlite', path: DEFAULT_DATABASE_PATH };
    const raw = read('DATABASE_URL');
    if (raw === undefined) return fallback;
    const parsed = databaseUrl(raw, poolSize);
    if ('value' in parsed) return parsed.value;
    problems.push(`DATABASE_URL=${JSON.stringify(redactDatabaseUrl(raw))}: ${parsed.problem}`);
    return fallback;
  };

  // Not through read(): set but empty means no web app, where unset means the built one.
  const webRoot = (): string | undefined => {
    known.add(`${PREFIX}WEB_ROOT`);
    const raw = env[`${PREFIX}WEB_ROOT`];
    if (raw === undefined) return DEFAULT_WEB_ROOT;
    return raw.trim() === '' ? undefined : path.resolve(raw.trim());
  };

  const production = read('NODE_ENV') === 'production';
  const host = read('HOST') ?? '127.0.0.1';
  const port = setting('PORT', 8000, (raw) => integer(raw, 0, 65535));
  const siteName = read(`${PREFIX}SITE_NAME`) ?? 'Gatehouse';
  const publicUrl = setting(
    `${PREFIX}PUBLIC_URL`,
    `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    publicOrigin,
  );
  const mail: MailConfig = {
    publicUrl,
    // Not through setting(): a problem names the URL with its password hidden.
    smtpUrl: ((): string | undefined => {
      const raw = read(`${PREFIX}SMTP_URL`);
      if (raw === undefined) return undefined;
      if (!/^smtps?:\/\/[^/?#]+/.test(raw) || !URL.canParse(raw)) {
        problems.push(
          `${PREFIX}SMTP_URL=${JSON.stringify(redactDatabaseUrl(raw))}: expected smtp://[user:password@]host[:port] or smtps://…`,
        );
        return undefined;
      }
      return raw;
    })(),
    from: setting(`${PREFIX}MAIL_FROM`, `${siteName} <no-reply@${mailDomain(publicUrl)}>`, mailbox),
    siteName,
    outboxDir: path.resolve(read(`${PREFIX}MAIL_OUTBOX_DIR`) ?? DEFAULT_OUTBOX_DIR),
    templatesDir: ((raw) => (raw === undefined ? undefined : path.resolve(raw)))(
      read(`${PREFIX}MAIL_TEMPLATES`),
    ),
    emailVerification: setting(`${PREFIX}EMAIL_VERIFICATION`, 'optional', (raw) =>
      EMAIL_VERIFICATION_MODES.includes(raw as EmailVerification)
        ? { value: raw as EmailVerification }
        : { problem: `expected one of ${EMAIL_VERIFICATION_MODES.join(', ')}` },
    ),
    notices: Object.freeze(setting(`${PREFIX}SECURITY_NOTICES`, [...SECURITY_NOTICES], noticeList)),
    verificationTtl: setting(`${PREFIX}EMAIL_VERIFICATION_TTL`, 86400, duration),
    passwordResetTtl: setting(`${PREFIX}PASSWORD_RESET_TTL`, 3600, duration),
    emailChangeTtl: setting(`${PREFIX}EMAIL_CHANGE_TTL`, 86400, duration),
    limitPerAddress: Object.freeze(
      setting(
        `${PREFIX}MAIL_LIMIT_PER_ADDRESS`,
        [
          { count: 1, seconds: 60 },
          { count: 5, seconds: 3600 },
        ],
        sendLimits,
      ),
    ),
    limitPerIp: Object.freeze(
      setting(
        `${PREFIX}MAIL_LIMIT_PER_IP`,
        [
          { count: 10, seconds: 60 },
          { count: 50, seconds: 3600 },
        ],
        sendLimits,
      ),
    ),
  };
  const webauthn = webauthnConfig(
    read(`${PREFIX}WEBAUTHN_RP_ID`),
    read(`${PREFIX}WEBAUTHN_ORIGINS`),
    publicUrl,
    siteName,
    problem,
  );
  const config: Config = {
    host,
    port,
    database: Object.freeze(database()),
    corsAllowedOrigins: Object.freeze(setting(`${PREFIX}CORS_ALLOWED_ORIGINS`, [], originList)),
    production,
    logLevel: setting(`${PREFIX}LOG_LEVEL`, 'info', (raw) =>
      LOG_LEVELS.includes(raw) ? { value: raw } : { problem: `expected one of ${LOG_LEVELS.join(', ')}` },
    ),
    bodyLimit: setting(`${PREFIX}BODY_LIMIT`, 16 * 1024, (raw) => integer(raw, 1024, 1024 * 1024)),
    passwordMinLength: setting(`${PREFIX}PASSWORD_MIN_LENGTH`, 8, (raw) => integer(raw, 8, 256)),
    mfaRequired: setting(`${PREFIX}MFA_REQUIRED`, 'none', (raw) =>
      MFA_REQUIREMENTS.includes(raw as MfaRequirement)
        ? { value: raw as MfaRequirement }
        : { problem: `expected one of ${MFA_REQUIREMENTS.join(', ')}` },
    ),
    rateLimits: setting(`${PREFIX}RATE_LIMITS`, true, boolean),
    rateLimitWindows: Object.freeze(
      Object.fromEntries(
        Object.entries(DEFAULT_RATE_LIMITS).map(([name, fallback]) => [
          name,
          setting(`${PREFIX}RATE_LIMIT_${name.toUpperCase()}`, fallback, oneLimit),
        ]),
      ) as Record<RateLimitName, SendLimit>,
    ),
    loginFreeFailures: Object.freeze({
      perAccount: setting(`${PREFIX}LOGIN_FAILURES_PER_ACCOUNT`, 5, (raw) => integer(raw, 1, 1000)),
      perIp: setting(`${PREFIX}LOGIN_FAILURES_PER_IP`, 50, (raw) => integer(raw, 1, 100000)),
    }),
    trustedProxies: Object.freeze(setting(`${PREFIX}TRUSTED_PROXIES`, [], proxyList)),
    webRoot: webRoot(),
    // A production site does not publish its source, unless the deployer asks for it.
    webSourceMaps: setting(`${PREFIX}WEB_SOURCE_MAPS`, !production, boolean),
    jwt: Object.freeze(jwt),
    sessions: Object.freeze(sessions),
    passwordHash: Object.freeze(passwordHash),
    mail: Object.freeze(mail),
    webauthn: Object.freeze({ ...webauthn, origins: Object.freeze(webauthn.origins) }),
  };

  for (const name of Object.keys(env)) {
    if (
      name.startsWith(PREFIX) &&
      !known.has(name) &&
      !name.startsWith(`${PREFIX}SUPERUSER_`) &&
      name !== `${PREFIX}USER_PASSWORD`
    ) {
      problem(name, 'unknown setting (misspelt?)');
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

type Parsed<T> = { value: T } | { problem: string };

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds, as an integer or with a unit: `300`, `5m`, `1d`. */
function duration(raw: string): Parsed<number> {
  const match = /^(\d+)\s*([smhd]?)$/.exec(raw);
  if (!match) return { problem: 'expected seconds (300) or a duration (5m, 12h, 1d)' };
  const seconds = Number(match[1]) * (DURATION_UNITS[match[2] || 's'] ?? 1);
  if (seconds < 1 || seconds > 10 * 365 * 86400) return { problem: 'must be between 1 second and 10 years' };
  return { value: seconds };
}

/** 32 bytes written as 64 hex digits or as base64 / base64url (padded or not). */
function keyBytes(raw: string): Buffer | undefined {
  const bytes = /^[0-9a-f]{64}$/i.test(raw)
    ? Buffer.from(raw, 'hex')
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(raw)
      ? Buffer.from(raw, 'base64') // Node's base64 decoder reads the URL-safe alphabet too
      : undefined;
  return bytes?.length === 32 ? bytes : undefined;
}

function boolean(raw: string): Parsed<boolean> {
  const value = raw.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return { value: true };
  if (['0', 'false', 'no', 'off'].includes(value)) return { value: false };
  return { problem: 'expected true or false' };
}

function integer(raw: string, min: number, max: number): Parsed<number> {
  if (!/^\d+$/.test(raw)) return { problem: 'expected a whole number' };
  const value = Number(raw);
  return value < min || value > max ? { problem: `must be between ${min} and ${max}` } : { value };
}

function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function list(raw: string): Parsed<string[]> {
  return { value: splitList(raw) };
}

/** IPv4/IPv6 addresses or CIDR ranges, as Fastify's trustProxy takes them. */
function proxyList(raw: string): Parsed<string[]> {
  const entries = splitList(raw);
  const bad = entries.filter((entry) => !/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(entry));
  return bad.length > 0
    ? { problem: `not an IP address or CIDR range: ${bad.join(', ')}` }
    : { value: entries };
}

/** `none`, or a comma-separated list of SECURITY_NOTICES. */
function noticeList(raw: string): Parsed<SecurityNotice[]> {
  if (raw.toLowerCase() === 'none') return { value: [] };
  const names = splitList(raw);
  const bad = names.filter((name) => !SECURITY_NOTICES.includes(name as SecurityNotice));
  return bad.length > 0
    ? { problem: `unknown notice ${bad.join(', ')} (known: ${SECURITY_NOTICES.join(', ')}, or none)` }
    : { value: names as SecurityNotice[] };
}

/** `1/m,5/h`: at most one a minute and five an hour; `off` for none. */
function sendLimits(raw: string): Parsed<SendLimit[]> {
  if (raw.toLowerCase() === 'off') return { value: [] };
  const limits: SendLimit[] = [];
  for (const item of splitList(raw)) {
    const match = /^(\d+)\s*\/\s*(\d*)\s*([smhd])$/.exec(item);
    const count = Number(match?.[1]);
    if (!match || count < 1)
      return { problem: 'expected limits such as 1/m,5/h (count/unit, s m h d), or off' };
    limits.push({ count, seconds: Number(match[2] || 1) * (DURATION_UNITS[match[3] ?? 's'] ?? 1) });
  }
  return { value: limits };
}

/** One limit: `10/h`, `300/m`, `10/15m`. */
function oneLimit(raw: string): Parsed<SendLimit> {
  const parsed = sendLimits(raw);
  if ('value' in parsed && parsed.value.length === 1 && parsed.value[0] !== undefined) {
    return { value: parsed.value[0] };
  }
  return { problem: 'expected one limit, count/window: 10/h, 300/m, 10/15m' };
}

/** An origin, as GATEHOUSE_PUBLIC_URL: scheme://host[:port]; a trailing slash is dropped. */
function publicOrigin(raw: string): Parsed<string> {
  try {
    const url = new URL(raw);
    if (['http:', 'https:'].includes(url.protocol) && url.pathname === '/' && !url.search && !url.hash) {
      return { value: url.origin };
    }
  } catch {
    // reported below
  }
  return { problem: 'expected an origin, scheme://host[:port] (http or https, no path)' };
}

/** The public URL's host name; `localhost` for an IP address, which an address cannot carry bare. */
function mailDomain(publicUrl: string): string {
  const host = new URL(publicUrl).hostname;
  return /[a-z]/i.test(host) && !host.startsWith('[') ? host : 'localhost';
}

/** `Name <address@host>` or a bare address. */
function mailbox(raw: string): Parsed<string> {
  return /^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/.test(raw)
    ? { value: raw }
    : { problem: 'expected an address (no-reply@example.com) or "Name <no-reply@example.com>"' };
}

function claimName(raw: string): Parsed<string> {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(raw) ? { value: raw } : { problem: 'not a valid claim name' };
}

/** As django-cors-headers' CORS_ALLOWED_ORIGINS: full origins, scheme://host[:port], no path. */
function originList(raw: string): Parsed<string[]> {
  const origins = splitList(raw);
  const bad = origins.filter((origin) => {
    try {
      const url = new URL(origin);
      return url.origin !== origin || !['http:', 'https:'].includes(url.protocol);
    } catch {
      return true;
    }
  });
  return bad.length > 0
    ? { problem: `not an origin (scheme://host[:port], no path or slash): ${bad.join(', ')}` }
    : { value: origins };
}

/**
 * The RP ID and origins of passkeys, from the settings or from the public URL: never from a request's
 * Host, which the client chooses. By default the public URL's host name and origin; an IP address
 * (the default http://127.0.0.1:8000) cannot be an RP ID, so it becomes `localhost` there.
 */
function webauthnConfig(
  rawRpId: string | undefined,
  rawOrigins: string | undefined,
  publicUrl: string,
  rpName: string,
  report: (name: string, message: string) => void,
): WebAuthnConfig {
  // Only what a deployer set for passkeys can stop the server: a public URL that browsers would not
  // run WebAuthn on (plain http on an intranet name, a bare host name) is a fine public URL, and its
  // passkeys are simply unavailable until the settings name a domain and an https origin.
  const explicit = rawRpId !== undefined || rawOrigins !== undefined;
  const problem = explicit ? report : () => undefined;
  const publicHost = new URL(publicUrl);
  const ipHost = isIpHost(publicHost.hostname);
  if (ipHost) publicHost.hostname = 'localhost';
  const rpId = rawRpId?.toLowerCase() ?? publicHost.hostname;
  const rpIdName = rawRpId === undefined ? `${PREFIX}PUBLIC_URL` : `${PREFIX}WEBAUTHN_RP_ID`;
  const originsName = rawOrigins === undefined ? `${PREFIX}PUBLIC_URL` : `${PREFIX}WEBAUTHN_ORIGINS`;
  const origins = rawOrigins === undefined ? [publicHost.origin] : splitList(rawOrigins);
  // Without the Public Suffix List, a registrable domain is approximated as one with a dot (no bare
  // top-level domain) or localhost; browsers refuse the rest anyway.
  const validRpId =
    !isIpHost(rpId) &&
    DOMAIN.test(rpId) &&
    (rpId.includes('.') || rpId === 'localhost') &&
    !rpId.endsWith('.');
  if (!validRpId) {
    problem(
      rpIdName,
      `the passkeys' RP ID ${JSON.stringify(rpId)} must be a domain name (auth.example.com, example.com or localhost), not an IP address`,
    );
  }
  if (origins.length === 0) problem(originsName, 'at least one origin is needed for passkeys');
  for (const origin of origins) {
    const why = originProblem(origin, rpId);
    if (why !== undefined) problem(originsName, `${JSON.stringify(origin)} ${why}`);
  }
  return { rpId, rpName, origins };
}

const DOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

function isIpHost(host: string): boolean {
  return host.startsWith('[') || host.includes(':') || /^[0-9.]+$/.test(host);
}

/** Why `origin` cannot run a passkey ceremony for `rpId`, if it cannot. */
function originProblem(origin: string, rpId: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'is not an origin (scheme://host[:port])';
  }
  if (url.origin !== origin) return 'is not an origin (scheme://host[:port], no path or trailing slash)';
  const local = url.hostname === 'localhost' || url.hostname.endsWith('.localhost');
  // Browsers offer WebAuthn to secure contexts only: https, and http on localhost for development.
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && local))) {
    return 'must be https (http only on localhost)';
  }
  if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`)) {
    return `is not on the RP ID ${JSON.stringify(rpId)} (its host must be it or under it)`;
  }
  return undefined;
}

const EXPECTED_DATABASE_URL = 'expected sqlite:<path> or postgres://[user[:password]@]host[:port]/database';

/**
 * `sqlite:<path>` (relative or absolute, or `sqlite::memory:`), and the URL forms of SQLAlchemy and
 * dj-database-url: `sqlite:///relative.db`, `sqlite:////absolute.db`, `sqlite://` (in memory).
 * `postgres://` or `postgresql://` URLs as libpq and node-postgres take them: `postgres:///db?host=/run/x`
 * (a Unix socket) and query parameters such as `sslmode` included.
 */
function databaseUrl(raw: string, poolSize: number): Parsed<DatabaseConfig> {
  if (/^postgres(ql)?:/.test(raw)) {
    if (!/^postgres(ql)?:\/\//.test(raw)) return { problem: EXPECTED_DATABASE_URL };
    if (!parsesAsPostgresUrl(raw)) {
      return {
        problem: 'not a valid URL (percent-encode special characters in the user name and password)',
      };
    }
    return { value: { kind: 'postgres', url: raw, poolSize } };
  }
  if (!raw.startsWith('sqlite:')) return { problem: EXPECTED_DATABASE_URL };
  let file = raw.slice('sqlite:'.length);
  if (file.startsWith('//')) {
    const rest = file.slice(2);
    if (rest === '' || rest === ':memory:' || rest === '/:memory:') file = ':memory:';
    else if (rest.startsWith('/')) file = rest.slice(1);
    else return { problem: 'expected sqlite:<path> or sqlite:///<path> (a host is not allowed)' };
  }
  return file === '' ? { problem: 'expected sqlite:<path>' } : { value: { kind: 'sqlite', path: file } };
}

/**
 * Whether node-postgres (pg-connection-string) can read the URL, checked as it does, so that a bad URL
 * is reported at start and not at the first connection: spaces and stray `%` are encoded first, and an
 * empty host (`user@/db`: the default host) is allowed.
 */
function parsesAsPostgresUrl(raw: string): boolean {
  const text = / |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(raw)
    ? encodeURI(raw).replace(/%25(\d\d)/g, '%$1')
    : raw;
  return [text, text.replace('@/', '@___DUMMY___/')].some((candidate) => URL.canParse(candidate));
}

/** The URL with any password replaced by `***`, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*:)[^]*@/i, '$1***@');
}
