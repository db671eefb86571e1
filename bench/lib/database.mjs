// Everything the bench does in-process with Gatehouse's own built code (packages/server/dist), through
// its most stable surfaces (the `gatehouse demo` command, the token service, the password hasher, the
// store's factory): the bench user, sessions opened ahead of time, the password-hash cost, and the
// durable commit rate of a rotation without HTTP.
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { redactUrl } from './postgres.mjs';

/** A demo account (`gatehouse demo`): user1/password1, profile Sam Smith. */
export const BENCH_USER = { username: 'user1', password: 'password1' };
/**
 * The account of the sessions the bench opens in-process (reads, rotations, the refresh load), never
 * logged in over HTTP: the logins of BENCH_USER end its least recently used sessions beyond
 * GATEHOUSE_MAX_SESSIONS_PER_USER, which would end these.
 */
export const BENCH_READER = { username: 'user2' };

/**
 * The built modules the bench uses.
 * @param {string} distDir  packages/server/dist
 */
export async function loadGatehouse(distDir) {
  const load = (/** @type {string} */ file) => import(pathToFileURL(path.join(distDir, file)).href);
  const [config, openStore, kyselyStore, jwt, tokens, issuer, passwords, users] = await Promise.all([
    load('config.js'),
    load('store/open-store.js'),
    load('store/kysely-store.js'),
    load('auth/jwt.js'),
    load('core/tokens.js'),
    load('core/session-issuer.js'),
    load('auth/passwords.js'),
    load('users/users-service.js'),
  ]);
  return {
    distDir,
    parseConfig: config.parseConfig,
    openStore: openStore.openStore,
    createKyselyStore: kyselyStore.createKyselyStore,
    /**
     * The codec as core.ts builds it: it signs and accepts the `typ` headers of Gatehouse's tokens
     * (`at+jwt`, `rt+jwt`, and `JWT` from before they had their own).
     * @param {any} options
     */
    createJwtCodec: (options) =>
      jwt.createJwtCodec({ ...(issuer.ALL_TYPS !== undefined && { types: issuer.ALL_TYPS }), ...options }),
    /**
     * The token service as app.ts builds it, with `issuePair`: a password login's session, started by the
     * session issuer (the only code that starts sessions).
     * @param {any} deps  the config's sections (jwt, sessions, ...) by name, the codec, store and clock
     */
    createTokenService(deps) {
      // Without GATEHOUSE_MAX_SESSIONS_PER_USER's cap: the refresh load needs far more live sessions of
      // one account than a deployment allows it.
      const sessions = issuer.createSessionIssuer(deps);
      const service = tokens.createTokenService({ ...deps, issuer: sessions });
      return {
        ...service,
        /** @param {any} user @param {any} [client] */
        issuePair: async (user, client) => (await sessions.issue(user, { methods: ['pwd'], client })).tokens,
      };
    },
    createPasswordHasher: passwords.createPasswordHasher,
    createUsersService: users.createUsersService,
  };
}

/** @typedef {Awaited<ReturnType<typeof loadGatehouse>>} Gatehouse */

/**
 * Whether this build of Gatehouse knows a setting (an unknown GATEHOUSE_* variable is refused at start).
 * @param {Gatehouse} gh
 * @param {NodeJS.ProcessEnv} env
 * @param {string} name
 * @param {string} value
 */
export function knowsSetting(gh, env, name, value) {
  try {
    gh.parseConfig({ ...env, [name]: value });
    return true;
  } catch {
    return false;
  }
}

/**
 * What the output says about PostgreSQL: whether this build of Gatehouse accepts a postgres:// URL at all,
 * and whether this run measures it (on `serverUrl`, from --postgres or DATABASE_URL).
 * @param {Gatehouse} gh
 * @param {string | undefined} [serverUrl]
 */
export function postgresNote(gh, serverUrl) {
  try {
    gh.parseConfig({ DATABASE_URL: 'postgres://127.0.0.1:5432/gatehouse' });
  } catch (error) {
    if (String(/** @type {Error} */ (error).message).includes('DATABASE_URL')) {
      return 'PostgreSQL: not measured, Gatehouse does not support it yet (embedded SQLite only).';
    }
  }
  if (serverUrl !== undefined) {
    return (
      `PostgreSQL: measured too, on ${redactUrl(serverUrl)} in a database of its own (dropped at the end): ` +
      'the raw commit rate, profile reads and refreshes on one instance and on two.'
    );
  }
  return (
    'PostgreSQL: not measured; this run drove the embedded SQLite database only ' +
    '(DATABASE_URL=postgres://… or --postgres [URL] measures PostgreSQL too).'
  );
}

/**
 * A connection to the database file with the settings of packages/server/src/store/open-store.ts (WAL,
 * synchronous=FULL), or with synchronous=OFF for preparing data that no measurement depends on.
 * @param {string} file
 * @param {'FULL' | 'OFF'} synchronous
 */
function openSqlite(file, synchronous) {
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  database.pragma(`synchronous = ${synchronous}`);
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  return database;
}

/**
 * The SQLite file of a configuration (`sqlite:<path>`).
 * @param {any} config
 * @returns {string}
 */
export function sqliteFile(config) {
  if (config.database.kind !== 'sqlite' || typeof config.database.path !== 'string') {
    throw new Error(`the bench needs an embedded SQLite database, not ${JSON.stringify(config.database)}`);
  }
  return config.database.path;
}

/**
 * Gatehouse's token service over a store.
 * @param {Gatehouse} gh
 * @param {any} config  Gatehouse's Config
 * @param {string} signingKey
 * @param {any} store
 * @param {() => Date} [clock]
 */
function tokenService(gh, config, signingKey, store, clock = () => new Date()) {
  const codec = gh.createJwtCodec({
    algorithm: config.jwt.algorithm,
    key: signingKey,
    audience: config.jwt.audience,
    issuer: config.jwt.issuer,
    leeway: config.jwt.leeway,
  });
  // As app.ts builds it: its config sections (jwt, sessions, ...) by name, plus the codec, store and clock.
  return gh.createTokenService({ ...config, codec, store, clock });
}

/**
 * A JWT's claims, unverified (the bench made the token).
 * @param {string} token
 * @returns {Record<string, unknown>}
 */
function claimsOf(token) {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

/**
 * Creates the database and the demo users with the `gatehouse demo` command, as an operator would, and
 * returns the bench user as the store sees it.
 * @param {Gatehouse} gh
 * @param {any} config
 * @param {NodeJS.ProcessEnv} env  the server's environment
 */
export async function createBenchUser(gh, config, env) {
  const cli = path.join(gh.distDir, 'cli/main.js');
  const run = spawnSync(process.execPath, [cli, 'demo'], { env, encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`gatehouse demo failed (${run.status}):\n${run.stdout}${run.stderr}`);
  return findBenchUser(gh, config, BENCH_USER.username);
}

/**
 * A demo account as the store sees it (after createBenchUser).
 * @param {Gatehouse} gh
 * @param {any} config
 * @param {string} username
 */
export async function findBenchUser(gh, config, username) {
  const store = gh.openStore(config.database);
  try {
    const user = (await store.listUsers()).find((/** @type {any} */ u) => u.username === username);
    if (!user) throw new Error(`gatehouse demo did not create ${username}`);
    return user;
  } finally {
    await store.close();
  }
}

/**
 * What one login's password check costs: argon2id with the configured parameters, timed one after
 * another on an otherwise idle machine.
 * @param {Gatehouse} gh
 * @param {any} config
 * @param {number} samples
 */
export async function passwordHashCost(gh, config, samples) {
  const hasher = gh.createPasswordHasher(config.passwordHash);
  await hasher.verify(undefined, 'warm-up'); // waits for the hasher's own dummy hash
  let started = performance.now();
  const hash = await hasher.hash(BENCH_USER.password);
  const hashMs = performance.now() - started;
  /** @type {number[]} */
  const verifyMs = [];
  for (let i = 0; i < samples; i++) {
    started = performance.now();
    const verification = await hasher.verify(hash, BENCH_USER.password);
    verifyMs.push(performance.now() - started);
    if (!verification.ok) throw new Error('the bench password does not verify');
  }
  verifyMs.sort((a, b) => a - b);
  return {
    params: config.passwordHash,
    hashMs,
    verifyMedianMs: verifyMs[Math.floor(verifyMs.length / 2)],
    verifyMinMs: verifyMs[0],
    samples: verifyMs.length,
  };
}

/**
 * How long a failed login takes for an existing account (wrong password) and for an unknown one, through
 * Gatehouse's own users service (no HTTP, so the login throttle does not turn failures into 429s).
 * Interleaved, so that drift in the machine's load falls on both alike. Medians in ms.
 * @param {Gatehouse} gh
 * @param {any} config
 * @param {number} samples
 */
export async function loginFailureTiming(gh, config, samples) {
  const store = gh.openStore(config.database);
  try {
    const hasher = gh.createPasswordHasher(config.passwordHash);
    const users = gh.createUsersService({ store, hasher, clock: () => new Date(), updateLastLogin: false });
    /** @param {string} identifier */
    const time = async (identifier) => {
      const started = performance.now();
      const result = await users.authenticate(identifier, 'not-the-password-1');
      if (result.ok) throw new Error('a wrong password was accepted');
      return performance.now() - started;
    };
    await time(BENCH_USER.username);
    await time('nobody-at-all');
    /** @type {number[]} */ const known = [];
    /** @type {number[]} */ const unknown = [];
    for (let i = 0; i < samples; i++) {
      known.push(await time(BENCH_USER.username));
      unknown.push(await time(`nobody-${i}@example.com`));
    }
    const median = (/** @type {number[]} */ values) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    return { wrongPasswordMs: median(known), unknownUserMs: median(unknown), samples };
  } finally {
    await store.close();
  }
}

/**
 * `count` sessions (an access and a distinct, recorded refresh token each) from Gatehouse's own token
 * service, issuePair, as `count` logins would make them but without `count` password hashes. Prepared
 * on a connection with synchronous=OFF: nothing measured depends on how fast this is durable.
 * @param {Gatehouse} gh
 * @param {any} config
 * @param {string} signingKey
 * @param {any} user
 * @param {number} count
 */
export async function openSessions(gh, config, signingKey, user, count) {
  const db = new Kysely({
    dialect: new SqliteDialect({ database: openSqlite(sqliteFile(config), 'OFF') }),
  });
  const started = performance.now();
  try {
    const service = tokenService(gh, config, signingKey, gh.createKyselyStore(db));
    /** @type {{ access: string, refresh: string }[]} */
    const sessions = [];
    for (let i = 0; i < count; i++) sessions.push(await service.issuePair(user));
    return { sessions, ms: performance.now() - started };
  } finally {
    await db.destroy();
  }
}

/**
 * The durable commit rate of a rotation without HTTP, Kysely or promises. One real rotation through the
 * token service is captured from Kysely's query log (the conditional UPDATE ... RETURNING, the SELECT of
 * the user, the INSERT of the child, whatever the store runs today); those exact statements are then
 * replayed with better-sqlite3 prepared statements, one transaction (one fsync'd WAL commit) per rotation,
 * along a chain of tokens, for `seconds`.
 * @param {Gatehouse} gh
 * @param {any} config
 * @param {string} signingKey
 * @param {any} user
 * @param {number} seconds
 */
export async function rawRotationRate(gh, config, signingKey, user, seconds) {
  const database = openSqlite(sqliteFile(config), 'FULL');
  /** @type {{ sql: string, parameters: readonly unknown[] }[]} */
  const captured = [];
  let capturing = false;
  const db = new Kysely({
    dialect: new SqliteDialect({ database }),
    log: (event) => {
      if (capturing && event.level === 'query') captured.push(event.query);
    },
  });
  try {
    const now = new Date();
    const service = tokenService(gh, config, signingKey, gh.createKyselyStore(db), () => now);
    const seed = (await service.issuePair(user)).refresh;
    capturing = true;
    const rotated = await service.refresh(seed);
    capturing = false;
    if (!rotated.ok || rotated.refresh === undefined)
      throw new Error(`the captured rotation failed: ${JSON.stringify(rotated)}`);

    const seedJti = claimsOf(seed)[config.jwt.jtiClaim];
    const childJti = claimsOf(rotated.refresh)[config.jwt.jtiClaim];
    const nowIso = now.toISOString();
    const expiresIso = new Date(now.getTime() + config.jwt.refreshTokenLifetime * 1000).toISOString();
    const CURRENT = Symbol('current');
    const NEXT = Symbol('next');
    const NOW = Symbol('now');
    const EXPIRES = Symbol('expires');
    /** @param {unknown} value */
    const slot = (value) =>
      value === seedJti
        ? CURRENT
        : value === childJti
          ? NEXT
          : value === nowIso
            ? NOW
            : value === expiresIso
              ? EXPIRES
              : value;
    const statements = captured
      .filter((query) => !/^\s*(begin|commit|rollback|savepoint|release)\b/i.test(query.sql))
      .map((query) => ({
        sql: query.sql,
        statement: database.prepare(query.sql),
        parameters: query.parameters.map(slot),
      }));
    const uses = (/** @type {symbol} */ s) =>
      statements.some((statement) => statement.parameters.includes(s));
    if (!uses(CURRENT) || !uses(NEXT)) {
      throw new Error(`unexpected rotation statements: ${statements.map((s) => s.sql).join('; ')}`);
    }

    const rotate = database.transaction((/** @type {string} */ current, /** @type {string} */ next) => {
      const at = new Date();
      /** @type {Map<symbol, string>} */
      const values = new Map([
        [CURRENT, current],
        [NEXT, next],
        [NOW, at.toISOString()],
        [EXPIRES, new Date(at.getTime() + config.jwt.refreshTokenLifetime * 1000).toISOString()],
      ]);
      for (const { statement, parameters } of statements) {
        const args = parameters.map((p) => (typeof p === 'symbol' ? values.get(p) : p));
        const chained = parameters.includes(CURRENT) || parameters.includes(NEXT);
        // The statements that name the token must find it (or write it): the chain is really rotating.
        if (statement.reader) {
          if (statement.all(...args).length === 0 && chained)
            throw new Error('a rotation statement found no row');
        } else if (statement.run(...args).changes === 0 && chained) {
          throw new Error('a rotation statement changed nothing');
        }
      }
    });

    let current = /** @type {string} */ (childJti);
    let commits = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    while (performance.now() < deadline) {
      const next = newJti();
      rotate(current, next);
      current = next;
      commits++;
    }
    const elapsed = (performance.now() - started) / 1000;
    return { rate: commits / elapsed, commits, seconds: elapsed, statements: statements.map((s) => s.sql) };
  } finally {
    await db.destroy();
  }
}

/**
 * The same chain of rotations through Gatehouse's token service and store (openStore: Kysely, async,
 * JWT signing), still without HTTP: what those layers cost on top of the raw statements.
 * @param {Gatehouse} gh
 * @param {any} config
 * @param {string} signingKey
 * @param {any} user
 * @param {number} seconds
 */
export async function serviceRotationRate(gh, config, signingKey, user, seconds) {
  const store = gh.openStore(config.database);
  try {
    const service = tokenService(gh, config, signingKey, store);
    let token = (await service.issuePair(user)).refresh;
    let commits = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    while (performance.now() < deadline) {
      const result = await service.refresh(token);
      if (!result.ok || result.refresh === undefined)
        throw new Error(`rotation failed: ${JSON.stringify(result)}`);
      token = result.refresh;
      commits++;
    }
    const elapsed = (performance.now() - started) / 1000;
    return { rate: commits / elapsed, commits, seconds: elapsed };
  } finally {
    await store.close();
  }
}

/** As simplejwt: a uuid4 as 32 hex digits. */
function newJti() {
  return randomUUID().replaceAll('-', '');
}
