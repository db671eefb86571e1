import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { createPasswordHasher } from '../auth/passwords.js';
import { isSealed } from '../auth/key-encryption.js';
import {
  keyAlgorithmOf,
  openProblem,
  openStoredKey,
  plaintextProblem,
  usableKeys,
} from '../auth/signing-keys.js';
import { ARGON2_FLOOR, isHmacAlgorithm, type Config } from '../config.js';
import { smtpAddress, verifySmtp } from '../mail/transport.js';
import { describeDatabase, inspectPostgres, openStore } from '../store/open-store.js';
import type { SigningKeyRecord } from '../store/signing-keys/store.js';
import { canonicalEmail, usernameKey } from '../users/canonical.js';
import { DEMO_ACCOUNTS } from './commands.js';
import { writeLine, type CliIo } from './io.js';

export type Level = 'FAIL' | 'WARN' | 'OK';

/** One check's verdict: printed as one line, with what to do about it unless it is OK. */
export interface Finding {
  level: Level;
  check: string;
  message: string;
  fix?: string;
}

/** What the configuration alone does not say: gathered from the database by gatherFacts(). */
export interface DoctorFacts {
  now: Date;
  /** The database file, absolute, or `:memory:`. */
  databasePath: string;
  /** `no-schema`: the file exists but holds no Gatehouse tables (never migrated, or not ours). */
  database: 'memory' | 'missing' | 'no-schema' | 'unreachable' | 'ready';
  /** Why PostgreSQL could not be reached. */
  unreachable?: string;
  /** A generated signing key of the configured algorithm is already stored in the database. */
  storedSigningKey: boolean;
  /** The stored keys that are not retired (their private halves sealed), to check that they open. */
  signingKeys?: readonly StoredKey[];
  /** The newest time the database records (users' `updated`, the audit log); undefined when empty. */
  newestTimestamp: Date | undefined;
  /** The demo superuser (`gatehouse demo`'s admin) is active and signs in with its demo password. */
  demoSuperuser?: boolean;
  /** When users were last imported from Django, and the latest expiry of an imported token not blacklisted. */
  django?: { lastImport: Date | undefined; newestToken: Date | undefined };
  /** GATEHOUSE_SMTP_URL set: whether its server answered and took the credentials (the problem if not). */
  smtp?: { ok: true } | { ok: false; problem: string };
}

export type StoredKey = Pick<SigningKeyRecord, 'kid' | 'algorithm' | 'privateKey'>;

/** Where Gatehouse kept its generated key before migration 0002 moved it to the signing_keys table. */
const SIGNING_KEY_SECRET = 'jwt_signing_key';
const NEW_KEY = 'set 64 random bytes: openssl rand -hex 64';
/** Published example and placeholder keys (jwt.io's, tutorials'), found anywhere in a key. */
const EXAMPLE_KEYS = [
  'your-256-bit-secret',
  'your-384-bit-secret',
  'your-512-bit-secret',
  'changeme',
  'change-this',
  'replace-me',
  'keyboard cat',
  'insecure',
  'not-a-secret',
  'secret',
  'password',
];
const DEMO_SUPERUSER = DEMO_ACCOUNTS.find((account) => account.isSuperuser === true);
const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;

/** Every check, in the order printed. Pure: the same config and facts give the same findings. */
export function diagnose(config: Config, facts: DoctorFacts): Finding[] {
  return [
    database(config, facts),
    signingKey(config, facts),
    cors(config),
    https(config),
    trustedProxies(config),
    rotation(config),
    accessLifetime(config),
    refreshLifetime(config),
    idleTimeout(config),
    gracePeriod(config),
    leeway(config),
    rateLimits(config),
    argon2(config),
    passwordLength(config),
    clock(facts),
    publicUrl(config),
    mail(config, facts),
    ...oidcProviders(config),
    ...demoSuperuser(config, facts),
    ...djangoTokens(config, facts),
  ];
}

export function formatFinding({ level, check, message, fix }: Finding): string {
  return `${level.padEnd(6)}${check}: ${message}${fix === undefined ? '' : ` — ${fix}`}`;
}

/** `gatehouse doctor`: prints one line per check and a summary; 1 if anything failed, else 0. */
export async function doctor(io: CliIo, config: Config, now = new Date()): Promise<number> {
  const [facts, smtp] = await Promise.all([gatherFacts(config, now), checkSmtp(config)]);
  const findings = diagnose(config, { ...facts, ...(smtp && { smtp }) });
  for (const finding of findings) writeLine(io.stdout, formatFinding(finding));
  const failures = findings.filter((f) => f.level === 'FAIL').length;
  const warnings = findings.filter((f) => f.level === 'WARN').length;
  writeLine(io.stdout, `doctor: ${plural(failures, 'failure')}, ${plural(warnings, 'warning')}`);
  return failures > 0 ? 1 : 0;
}

/** A connection to the SMTP server (nodemailer's verify: greeting, TLS, credentials), 5 s at most. */
async function checkSmtp(config: Config): Promise<DoctorFacts['smtp']> {
  if (config.mail.smtpUrl === undefined) return undefined;
  const problem = await verifySmtp(config.mail.smtpUrl, 5000);
  return problem === undefined ? { ok: true } : { ok: false, problem };
}

/**
 * Looks at the database without changing it: a missing file is not created and nothing is migrated.
 * The tables are listed first (read-only), so that the store is only asked about tables that exist; a
 * key generated before migration 0002 is still in the secrets table until the server next starts.
 */
export async function gatherFacts(config: Config, now: Date): Promise<DoctorFacts> {
  if (config.database.kind === 'postgres') {
    const facts: DoctorFacts = {
      now,
      databasePath: describeDatabase(config.database),
      database: 'ready',
      storedSigningKey: false,
      newestTimestamp: undefined,
    };
    let inspected;
    try {
      inspected = await inspectPostgres(config.database.url);
    } catch (error) {
      return {
        ...facts,
        database: 'unreachable',
        unreachable: error instanceof Error ? error.message : String(error),
      };
    }
    facts.storedSigningKey = inspected.secrets.has(SIGNING_KEY_SECRET);
    if (!inspected.tables.has('users') || !inspected.tables.has('audit_log'))
      return { ...facts, database: 'no-schema' };
    return {
      ...facts,
      ...(await storedKeys(config, inspected.tables, facts.storedSigningKey)),
      newestTimestamp: await newestTimestamp(config),
      demoSuperuser: await hasDemoPassword(config),
      ...(await djangoHorizon(config, inspected.tables)),
    };
  }
  const file = config.database.path;
  const facts: DoctorFacts = {
    now,
    databasePath: file === ':memory:' ? file : path.resolve(file),
    database: 'memory',
    storedSigningKey: false,
    newestTimestamp: undefined,
  };
  if (file === ':memory:') return facts;
  if (!fs.existsSync(facts.databasePath)) return { ...facts, database: 'missing' };

  const { tables, storedSigningKey } = inspectSqlite(facts.databasePath);
  facts.storedSigningKey = storedSigningKey;
  if (!tables.has('users') || !tables.has('audit_log')) return { ...facts, database: 'no-schema' };

  // The Store has no "newest timestamp" query; its listings ordered newest first give the latest user
  // change and the latest audit entry (logins, which touch only last_login, are not seen).
  return {
    ...facts,
    ...(await storedKeys(config, tables, storedSigningKey)),
    database: 'ready',
    newestTimestamp: await newestTimestamp(config),
    demoSuperuser: await hasDemoPassword(config),
    ...(await djangoHorizon(config, tables)),
  };
}

/** What the Django import recorded, when it has run (its tables exist once migrated). */
async function djangoHorizon(config: Config, tables: Set<string>): Promise<Pick<DoctorFacts, 'django'>> {
  if (!tables.has('django_users') || !tables.has('django_tokens')) return {};
  const store = openStore(config.database);
  try {
    return { django: await store.djangoTokenHorizon() };
  } finally {
    await store.close();
  }
}

/** The signing keys that are not retired, through the store (listing changes nothing). */
async function storedKeys(
  config: Config,
  tables: Set<string>,
  legacySecret: boolean,
): Promise<Pick<DoctorFacts, 'storedSigningKey' | 'signingKeys'>> {
  if (!tables.has('signing_keys')) return { storedSigningKey: legacySecret };
  const store = openStore(config.database);
  try {
    const active = (await store.listSigningKeys()).filter((key) => key.status === 'active');
    return {
      storedSigningKey: legacySecret || usableKeys(active, config.jwt.algorithm).length > 0,
      signingKeys: active.map(({ kid, algorithm, privateKey }) => ({ kid, algorithm, privateKey })),
    };
  } finally {
    await store.close();
  }
}

async function newestTimestamp(config: Config): Promise<Date | undefined> {
  const store = openStore(config.database);
  try {
    const [users, audit] = await Promise.all([
      store.queryUsers({ ordering: '-updated', offset: 0, limit: 1 }),
      store.listAudit(0, 1),
    ]);
    const times = [users.items[0]?.updated, users.items[0]?.created, audit.items[0]?.at]
      .filter((time): time is Date => time !== undefined && !Number.isNaN(time.getTime()))
      .map((time) => time.getTime());
    return times.length > 0 ? new Date(Math.max(...times)) : undefined;
  } finally {
    await store.close();
  }
}

/** Whether the demo superuser signs in with its published password: one argon2 verification. */
async function hasDemoPassword(config: Config): Promise<boolean> {
  if (DEMO_SUPERUSER === undefined) return false;
  const { username, password } = DEMO_SUPERUSER;
  const store = openStore(config.database);
  try {
    // Looked up as a login with that username would be.
    const candidate = await store.findLoginCandidate({
      usernameKey: usernameKey(username),
      email: canonicalEmail(username),
    });
    if (!candidate?.user.isActive || typeof candidate.passwordHash !== 'string') return false;
    return (await createPasswordHasher(config.passwordHash, 1).verify(candidate.passwordHash, password)).ok;
  } finally {
    await store.close();
  }
}

/** The tables present and whether the generated signing key is stored, through a read-only connection. */
function inspectSqlite(file: string): { tables: Set<string>; storedSigningKey: boolean } {
  const sqlite = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    const rows = sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    const tables = new Set(rows.map((row) => row.name));
    const storedSigningKey =
      tables.has('secrets') &&
      sqlite.prepare('SELECT 1 FROM secrets WHERE name = ?').get(SIGNING_KEY_SECRET) !== undefined;
    return { tables, storedSigningKey };
  } finally {
    sqlite.close();
  }
}

function database(config: Config, facts: DoctorFacts): Finding {
  const check = 'database';
  switch (facts.database) {
    case 'memory':
      return config.production
        ? {
            level: 'WARN',
            check,
            message: 'in memory: every account and session is lost when the server stops',
            fix: 'set DATABASE_URL=sqlite:<path>',
          }
        : { level: 'OK', check, message: 'in memory (lost when the server stops)' };
    case 'missing':
      return {
        level: 'WARN',
        check,
        message: `${facts.databasePath} does not exist (the server creates it on first start)`,
        fix: 'check DATABASE_URL if it should already hold data',
      };
    case 'no-schema':
      return {
        level: 'WARN',
        check,
        message: `${facts.databasePath} has no Gatehouse tables`,
        fix: 'check DATABASE_URL, or run: gatehouse migrate',
      };
    case 'unreachable':
      return {
        level: 'FAIL',
        check,
        message: `${facts.databasePath} cannot be reached: ${facts.unreachable ?? ''}`,
        fix: 'check DATABASE_URL and that PostgreSQL is running',
      };
    case 'ready':
      return {
        level: 'OK',
        check,
        message: `${config.database.kind === 'postgres' ? 'postgres' : 'sqlite'} ${facts.databasePath}`,
      };
  }
}

function signingKey(config: Config, facts: DoctorFacts): Finding {
  const check = 'signing key';
  const key = config.jwt.signingKey;
  if (key !== undefined) {
    const weakness = keyWeakness(key);
    if (weakness !== undefined) {
      return { level: 'FAIL', check, message: `GATEHOUSE_SIGNING_KEY ${weakness}`, fix: NEW_KEY };
    }
    return { level: 'OK', check, message: `GATEHOUSE_SIGNING_KEY set (${Buffer.byteLength(key)} bytes)` };
  }
  const kek = config.jwt.keyEncryptionKey;
  const algorithm = keyAlgorithmOf(config.jwt.algorithm);
  for (const stored of facts.signingKeys ?? []) {
    if (stored.algorithm !== algorithm) continue;
    if (kek !== undefined && !isSealed(stored.privateKey)) {
      return {
        level: 'FAIL',
        check,
        message: `${plaintextProblem(stored.kid)}: the server refuses to start`,
        fix: 'check that the key is yours (gatehouse keys list), then run: gatehouse keys seal',
      };
    }
    const opened = openStoredKey(stored, kek);
    if (!opened.ok) {
      return {
        level: 'FAIL',
        check,
        message: `${openProblem(stored.kid, opened, kek)}: the server refuses to start`,
        fix: 'set GATEHOUSE_KEY_ENCRYPTION_KEY to the key the signing keys were encrypted with',
      };
    }
  }
  if (facts.database === 'memory') {
    return { level: 'OK', check, message: 'generated at each start (in-memory database)' };
  }
  const sealed = kek === undefined ? '' : ', encrypted with GATEHOUSE_KEY_ENCRYPTION_KEY';
  const generated = isHmacAlgorithm(config.jwt.algorithm)
    ? '64 random bytes are'
    : `an ${config.jwt.algorithm} key pair is`;
  const where = facts.storedSigningKey
    ? `generated and stored in ${facts.databasePath} (table signing_keys${sealed})`
    : `not generated yet: ${generated} stored in ${facts.databasePath} on first start${sealed}`;
  if (!config.production || kek !== undefined) return { level: 'OK', check, message: where };
  return {
    level: 'WARN',
    check,
    message: `${where}, next to the data: a copy or dump of the database leaks it`,
    fix:
      'set GATEHOUSE_KEY_ENCRYPTION_KEY (openssl rand -base64 32, from a secret manager) to keep it encrypted, ' +
      'or GATEHOUSE_SIGNING_KEY (openssl rand -hex 64; existing tokens stop working)',
  };
}

/**
 * Why a configured key is guessable, or undefined. Keys shorter than the algorithm's hash (32 bytes for
 * HS256, 48 for HS384, 64 for HS512) are refused by parseConfig.
 */
export function keyWeakness(key: string): string | undefined {
  const lower = key.toLowerCase();
  if (lower.startsWith('django-insecure-')) {
    return 'is a Django development key (django-insecure-…), usually committed with the code';
  }
  // Compared lower case without separators: `Your_256_Bit_Secret` is jwt.io's key all the same.
  const letters = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');
  const example = EXAMPLE_KEYS.find((value) => letters(key).includes(letters(value)));
  if (example !== undefined) return `contains a well-known example value ("${example}")`;
  if (new Set(key).size === 1) return 'is one character repeated';
  const period = repeatPeriod(key);
  if (period !== undefined) return `is a ${period}-character pattern repeated`;
  if (/^[a-z]+$/.test(key) && key.length < 40) return 'is only lower-case letters: a word or phrase';
  const distinct = new Set(key).size;
  if (distinct < 8) return `uses only ${distinct} different characters`;
  return undefined;
}

/** The shortest p such that the key is its first p characters over and over (at least twice). */
function repeatPeriod(key: string): number | undefined {
  for (let p = 1; p <= key.length / 2; p++) {
    let repeats = true;
    for (let i = p; i < key.length && repeats; i++) repeats = key[i] === key[i % p];
    if (repeats) return p;
  }
  return undefined;
}

/**
 * Listed origins may call the API from a browser and read its answers, tokens included, so a listed
 * origin must be as trustworthy as Gatehouse itself.
 */
function cors(config: Config): Finding {
  const check = 'CORS';
  const origins = config.corsAllowedOrigins;
  if (origins.length === 0) return { level: 'OK', check, message: 'no origin listed (same origin only)' };
  // parseConfig refuses both; a Config built otherwise is still checked.
  const open = origins.filter((origin) => origin === 'null' || origin === '*');
  if (open.length > 0) {
    return {
      level: 'FAIL',
      check,
      message: `${open.join(', ')} allowed: any page (a sandboxed iframe, a local file) can call the API`,
      fix: 'list only the exact https:// origins of your front ends in GATEHOUSE_CORS_ALLOWED_ORIGINS',
    };
  }
  const plain = origins.filter((origin) => origin.startsWith('http://'));
  if (config.production && plain.length > 0) {
    const remote = plain.filter((origin) => !isLoopback(new URL(origin).hostname));
    const fix = 'use https:// origins in GATEHOUSE_CORS_ALLOWED_ORIGINS';
    if (remote.length > 0) {
      return {
        level: 'FAIL',
        check,
        message: `${remote.join(', ')} allowed in production: anyone on the network path can inject a page there`,
        fix,
      };
    }
    return {
      level: 'WARN',
      check,
      message: `${plain.join(', ')} allowed in production: a development origin`,
      fix: 'remove it from GATEHOUSE_CORS_ALLOWED_ORIGINS',
    };
  }
  return { level: 'OK', check, message: `only ${origins.join(', ')}` };
}

/*
 * Gatehouse never terminates TLS itself: it sees a request as HTTPS only when a trusted proxy's
 * X-Forwarded-Proto says so, and only then sets HSTS and makes the browser-mode refresh cookie Secure
 * (named __Secure-gatehouse_refresh). An https public URL therefore means a proxy in front; untrusted, it
 * silently costs the cookie's Secure flag, HSTS and every client's own address.
 */
function https(config: Config): Finding {
  const check = 'HTTPS';
  if (config.trustedProxies.length > 0) {
    return {
      level: 'OK',
      check,
      message: 'behind a trusted proxy: HSTS is sent when it forwards X-Forwarded-Proto: https',
    };
  }
  const url = config.mail.publicUrl;
  if (url.startsWith('https://')) {
    return {
      level: config.production ? 'FAIL' : 'WARN',
      check,
      message:
        `GATEHOUSE_PUBLIC_URL is ${url} but Gatehouse serves plain HTTP, so a proxy in front terminates TLS, ` +
        'and GATEHOUSE_TRUSTED_PROXIES is empty: its X-Forwarded-Proto and X-Forwarded-For are ignored, so ' +
        "the refresh cookie is not Secure, HSTS is never sent, and every client has the proxy's address: " +
        "one IP for the login throttle and rate limits, where a few clients' failures block everyone's logins",
      fix:
        "set GATEHOUSE_TRUSTED_PROXIES to the proxy's address (127.0.0.1 when it runs on this machine) " +
        'and have it send X-Forwarded-For and X-Forwarded-Proto',
    };
  }
  if (isLoopback(config.host)) {
    return {
      level: 'OK',
      check,
      message:
        `HOST=${config.host}, reachable from this machine only ` +
        '(a reverse proxy here needs GATEHOUSE_TRUSTED_PROXIES=127.0.0.1 for client IPs and HTTPS)',
    };
  }
  if (!config.production) {
    return { level: 'OK', check, message: `HOST=${config.host} serves plain HTTP (not production)` };
  }
  return {
    level: 'WARN',
    check,
    message: `HOST=${config.host} with no trusted proxy: likely exposed over plain HTTP, passwords and tokens in clear`,
    fix: 'terminate TLS in a reverse proxy and set GATEHOUSE_TRUSTED_PROXIES',
  };
}

function trustedProxies(config: Config): Finding {
  const check = 'trusted proxies';
  const proxies = config.trustedProxies;
  if (proxies.length === 0) {
    return { level: 'OK', check, message: 'none: X-Forwarded-For is ignored' };
  }
  const broad = proxies.filter((entry) => {
    const [, bits] = entry.split('/');
    return bits !== undefined && Number(bits) <= 8;
  });
  if (broad.length > 0) {
    return {
      level: 'WARN',
      check,
      message:
        `${broad.join(', ')} is very broad: any host in it can set X-Forwarded-For ` +
        'and choose the client IP the login throttle and rate limits see',
      fix: "list only your proxies' addresses in GATEHOUSE_TRUSTED_PROXIES",
    };
  }
  return { level: 'OK', check, message: proxies.join(', ') };
}

function rotation(config: Config): Finding {
  const check = 'refresh rotation';
  if (!config.jwt.rotateRefreshTokens) {
    return {
      level: 'WARN',
      check,
      message:
        'GATEHOUSE_ROTATE_REFRESH_TOKENS=false: a stolen refresh token works until it expires, unnoticed',
      fix: 'set GATEHOUSE_ROTATE_REFRESH_TOKENS=true',
    };
  }
  if (!config.jwt.blacklistAfterRotation) {
    return {
      level: 'WARN',
      check,
      message:
        'GATEHOUSE_BLACKLIST_AFTER_ROTATION=false: a rotated refresh token still works, so reuse is never detected',
      fix: 'set GATEHOUSE_BLACKLIST_AFTER_ROTATION=true',
    };
  }
  return { level: 'OK', check, message: 'on; a spent refresh token presented again ends its session' };
}

function accessLifetime(config: Config): Finding {
  const check = 'access token lifetime';
  const lifetime = config.jwt.accessTokenLifetime;
  const level: Level = lifetime > HOUR ? 'FAIL' : lifetime > 15 * MINUTE ? 'WARN' : 'OK';
  if (level === 'OK') return { level, check, message: duration(lifetime) };
  return {
    level,
    check,
    message: `${duration(lifetime)}: a leaked access token works that long unless its session is ended`,
    fix: 'set GATEHOUSE_ACCESS_TOKEN_LIFETIME=5m (at most 15m); clients refresh',
  };
}

/** A refresh token cannot outlive its session, so the longer of the two limits does not matter. */
function refreshLifetime(config: Config): Finding {
  const check = 'refresh token lifetime';
  const { refreshTokenLifetime } = config.jwt;
  const { absoluteLifetime } = config.sessions;
  if (Math.min(refreshTokenLifetime, absoluteLifetime) <= 30 * DAY) {
    const capped =
      refreshTokenLifetime > absoluteLifetime ? ` (sessions end after ${duration(absoluteLifetime)})` : '';
    return { level: 'OK', check, message: `${duration(refreshTokenLifetime)}${capped}` };
  }
  return {
    level: 'WARN',
    check,
    message:
      `${duration(refreshTokenLifetime)}, sessions up to ${duration(absoluteLifetime)}: ` +
      'a login lasts over 30 days without a password',
    fix: 'set GATEHOUSE_REFRESH_TOKEN_LIFETIME or GATEHOUSE_SESSION_ABSOLUTE_LIFETIME to 30d or less',
  };
}

function idleTimeout(config: Config): Finding {
  const check = 'session idle timeout';
  const { idleTimeout: idle, absoluteLifetime } = config.sessions;
  if (idle <= absoluteLifetime) {
    return {
      level: 'OK',
      check,
      message: `${duration(idle)} (absolute lifetime ${duration(absoluteLifetime)})`,
    };
  }
  return {
    level: 'WARN',
    check,
    message: `${duration(idle)}, longer than the absolute lifetime ${duration(absoluteLifetime)}: it never applies`,
    fix: 'set GATEHOUSE_SESSION_IDLE_TIMEOUT below GATEHOUSE_SESSION_ABSOLUTE_LIFETIME',
  };
}

function gracePeriod(config: Config): Finding {
  const check = 'rotation grace period';
  const grace = config.sessions.rotationGracePeriod;
  if (grace <= 10) return { level: 'OK', check, message: `${grace}s` };
  return {
    level: 'WARN',
    check,
    message: `${grace}s: a stolen refresh token replayed within it is not detected as reuse`,
    fix: 'set GATEHOUSE_ROTATION_GRACE_PERIOD to 10 or less (0 is safest)',
  };
}

function leeway(config: Config): Finding {
  const check = 'leeway';
  const { leeway: seconds } = config.jwt;
  if (seconds <= 60) return { level: 'OK', check, message: `${seconds}s` };
  return {
    level: 'WARN',
    check,
    message: `${seconds}s: expired tokens are accepted that long after their expiry`,
    fix: 'keep clocks in sync (NTP) and set GATEHOUSE_LEEWAY to 60 or less',
  };
}

function rateLimits(config: Config): Finding {
  const check = 'rate limits';
  if (config.rateLimits) return { level: 'OK', check, message: 'on' };
  if (!config.production) return { level: 'OK', check, message: 'off (not production)' };
  return {
    level: 'WARN',
    check,
    message:
      'GATEHOUSE_RATE_LIMITS=false in production: registration, refresh and password endpoints are unlimited',
    fix: 'set GATEHOUSE_RATE_LIMITS=true',
  };
}

function argon2(config: Config): Finding {
  const check = 'argon2';
  const { memoryCost, timeCost, parallelism } = config.passwordHash;
  const params = `argon2id m=${memoryCost} KiB, t=${timeCost}, p=${parallelism}`;
  // parseConfig refuses anything below the floor; a Config built otherwise is still checked.
  if (memoryCost < ARGON2_FLOOR.memoryCost || timeCost < ARGON2_FLOOR.timeCost || parallelism < 1) {
    return {
      level: 'FAIL',
      check,
      message: `${params}, below OWASP's floor`,
      fix: 'raise GATEHOUSE_ARGON2_MEMORY_COST / _TIME_COST to at least 19456 / 2',
    };
  }
  const atFloor =
    memoryCost === ARGON2_FLOOR.memoryCost &&
    timeCost === ARGON2_FLOOR.timeCost &&
    parallelism === ARGON2_FLOOR.parallelism;
  const memory = Math.round(memoryCost / 1024);
  return {
    level: 'OK',
    check,
    message: `${params} (${atFloor ? "OWASP's floor" : "above OWASP's floor"}); each login costs ${memory} MiB of memory`,
  };
}

/**
 * NIST SP 800-63B-4 §3.1.1.2: 15 characters for a password that is the only factor, 8 when it is one of
 * two. The default stays 8 for the tutorials' clients; only new passwords are held to the minimum.
 */
const NIST_SINGLE_FACTOR = 15;

function passwordLength(config: Config): Finding {
  const check = 'password length';
  const minimum = config.passwordMinLength;
  const message =
    `at least ${minimum} characters (NIST SP 800-63B-4 asks ${NIST_SINGLE_FACTOR} for a password used alone, ` +
    '8 with a second factor)';
  if (!config.production || minimum >= NIST_SINGLE_FACTOR) return { level: 'OK', check, message };
  return {
    level: 'WARN',
    check,
    message: `${message}: in production, a password alone should be at least ${NIST_SINGLE_FACTOR} characters long`,
    fix:
      `set GATEHOUSE_PASSWORD_MIN_LENGTH=${NIST_SINGLE_FACTOR} ` +
      '(existing passwords keep working; new ones must be that long)',
  };
}

/** SQLite shares this machine's clock, so the only skew to see is time going backwards. */
function clock(facts: DoctorFacts): Finding {
  const check = 'clock';
  if (facts.newestTimestamp === undefined) {
    return { level: 'OK', check, message: 'nothing recorded yet to compare with' };
  }
  const ahead = Math.round((facts.newestTimestamp.getTime() - facts.now.getTime()) / 1000);
  if (ahead <= 60) return { level: 'OK', check, message: 'no database record is in the future' };
  return {
    level: 'WARN',
    check,
    message:
      `the database has a record from ${facts.newestTimestamp.toISOString()}, ${duration(ahead)} ahead of this ` +
      "machine's clock: the clock went backwards or the database came from a machine whose clock is ahead",
    fix: 'sync the clock with NTP',
  };
}

/** Links in mails (password resets, verifications) are built on it: they must not travel in clear. */
function publicUrl(config: Config): Finding {
  const check = 'public URL';
  const url = config.mail.publicUrl;
  if (!config.production || url.startsWith('https://')) {
    return { level: 'OK', check, message: `links in mails start with ${url}` };
  }
  return {
    level: 'FAIL',
    check,
    message: `${url} in production: the links in mails (password resets among them) open over plain HTTP`,
    fix: 'set GATEHOUSE_PUBLIC_URL to the https:// origin users reach, e.g. https://auth.example.com',
  };
}

/**
 * Each sign-in provider (GATEHOUSE_OIDC_PROVIDERS): the redirect URI to register at it, and an issuer
 * (or GitHub URL) that is https, or plain http on loopback only outside production.
 */
function oidcProviders(config: Config): Finding[] {
  return config.oidc.providers.map((provider) => {
    const check = `OIDC provider ${provider.name}`;
    const redirectUri = `${config.mail.publicUrl}/api/auth/oidc/${provider.name}/callback`;
    const register = `register the redirect URI ${redirectUri} at ${provider.issuer}`;
    const issuer = new URL(provider.issuer);
    if (issuer.protocol !== 'https:' && !isLoopback(issuer.hostname)) {
      return {
        level: 'FAIL',
        check,
        message: `${provider.issuer} over plain http: anyone on the path can forge its answers`,
        fix: "use the provider's https:// issuer",
      };
    }
    if (config.production && issuer.protocol !== 'https:') {
      return {
        level: 'WARN',
        check,
        message: `${provider.issuer} is a loopback address over http, in production`,
        fix: "use the provider's https:// issuer",
      };
    }
    if (config.production && !redirectUri.startsWith('https://')) {
      return {
        level: 'FAIL',
        check,
        message: `the redirect URI ${redirectUri} is plain http: the provider's codes cross the network readable`,
        fix: 'set GATEHOUSE_PUBLIC_URL to the https:// origin users reach',
      };
    }
    return { level: 'OK', check, message: register };
  });
}

function mail(config: Config, facts: DoctorFacts): Finding {
  const check = 'mail';
  const { smtpUrl, outboxDir } = config.mail;
  if (smtpUrl === undefined) {
    const where = `no GATEHOUSE_SMTP_URL: mail is written as .eml files to ${outboxDir}`;
    if (!config.production) return { level: 'OK', check, message: where };
    return {
      level: 'WARN',
      check,
      message: `${where}, and nobody receives it (verification, password reset)`,
      fix: 'set GATEHOUSE_SMTP_URL=smtp://user:password@host:587 (or smtps://…:465)',
    };
  }
  const address = `${smtpUrl.startsWith('smtps:') ? 'smtps' : 'smtp'} ${smtpAddress(smtpUrl)}`;
  if (facts.smtp?.ok === false) {
    return {
      level: 'FAIL',
      check,
      message: `${address}: ${facts.smtp.problem}; mail waits in the queue (gatehouse mail status)`,
      fix: 'check GATEHOUSE_SMTP_URL: host, port, user:password, smtp:// (STARTTLS) or smtps:// (TLS)',
    };
  }
  const answers = facts.smtp?.ok === true ? ' answers and accepts the connection' : '';
  const host = new URL(smtpUrl).hostname;
  const requireTls = /[?&]requireTLS=true(&|$)/.test(smtpUrl);
  // STARTTLS only when offered: anyone on the path can strip the offer and read the links.
  if (config.production && smtpUrl.startsWith('smtp:') && !requireTls && !isLoopback(host)) {
    return {
      level: 'WARN',
      check,
      message: `${address}${answers}, but smtp:// uses TLS only if the server offers it: on the way, the links can be read`,
      fix: 'use smtps:// or add ?requireTLS=true to GATEHOUSE_SMTP_URL',
    };
  }
  return { level: 'OK', check, message: `${address}${answers}` };
}

/** A line only when the demo superuser still has its password: elsewhere there is nothing to say. */
function demoSuperuser(config: Config, facts: DoctorFacts): Finding[] {
  const check = 'demo superuser';
  if (facts.demoSuperuser !== true || DEMO_SUPERUSER === undefined) return [];
  const { username, password } = DEMO_SUPERUSER;
  if (!config.production) {
    return [
      { level: 'OK', check, message: `${username} has the demo password ${password} (not production)` },
    ];
  }
  return [
    {
      level: 'FAIL',
      check,
      message: `${username} still has the demo password (${password}): anyone can sign in as a superuser`,
      fix: `set a new password (or deactivate or delete ${username})`,
    },
  ];
}

/**
 * Whether GATEHOUSE_DJANGO_SECRET_KEY can go: once no token of the old deployment can still be valid,
 * i.e. after the latest expiry of the imported refresh tokens not blacklisted and after the last import
 * plus the old REFRESH_TOKEN_LIFETIME (a token issued there just before the import; access tokens live
 * shorter). A line only when the key is set.
 */
function djangoTokens(config: Config, facts: DoctorFacts): Finding[] {
  const check = 'Django tokens';
  const { secretKey, refreshTokenLifetime } = config.django;
  if (secretKey === undefined || facts.database !== 'ready') return [];
  const { lastImport, newestToken } = facts.django ?? {};
  if (lastImport === undefined) {
    return [
      {
        level: 'WARN',
        check,
        message: 'GATEHOUSE_DJANGO_SECRET_KEY is set but no user was imported from Django',
        fix: 'run gatehouse import django, or unset GATEHOUSE_DJANGO_SECRET_KEY',
      },
    ];
  }
  const horizon = new Date(
    Math.max(newestToken?.getTime() ?? 0, lastImport.getTime() + refreshTokenLifetime * 1000),
  );
  if (facts.now >= horizon) {
    return [
      {
        level: 'WARN',
        check,
        message: `no token of the old Django deployment can be valid since ${horizon.toISOString()}`,
        fix: "unset GATEHOUSE_DJANGO_SECRET_KEY (the old site's key need not be kept any longer)",
      },
    ];
  }
  return [
    {
      level: 'OK',
      check,
      message:
        `old Django tokens may be valid until ${horizon.toISOString()} (the newest imported refresh token, or ` +
        `the last import + GATEHOUSE_DJANGO_REFRESH_TOKEN_LIFETIME=${duration(refreshTokenLifetime)}); ` +
        'GATEHOUSE_DJANGO_SECRET_KEY can be unset after that',
    },
  ];
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare.endsWith('.localhost') || bare === '::1' || /^127\./.test(bare);
}

/** Seconds as the configuration takes them: `90s`, `15m`, `2h`, `30d`, whichever unit divides exactly. */
export function duration(seconds: number): string {
  if (seconds === 0) return '0s';
  if (seconds % DAY === 0) return `${seconds / DAY}d`;
  if (seconds % HOUR === 0) return `${seconds / HOUR}h`;
  if (seconds % MINUTE === 0) return `${seconds / MINUTE}m`;
  return `${seconds}s`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
