// PostgreSQL in the bench: a database of its own on the given server (created, then dropped), the data the
// loads need, written with Gatehouse's own code where its speed does not matter, and the durable commit
// rate of a rotation's statements without HTTP. bench/lib/postgres-scenarios.mjs runs the servers.
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { cpuSeconds } from './processes.mjs';

/** `--postgres` without a URL, and no postgres:// DATABASE_URL: the local server the server tests use. */
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
const POSTGRES_URL = /^postgres(ql)?:\/\//;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * node:util's parseArgs has no option with an optional value: `--postgres` followed by nothing or by
 * another option becomes `--postgres=` (the default server).
 * @param {string[]} argv
 */
export function withPostgresDefault(argv) {
  return argv.map((arg, i) =>
    arg === '--postgres' && (argv[i + 1] === undefined || argv[i + 1]?.startsWith('--'))
      ? '--postgres='
      : arg,
  );
}

/**
 * The PostgreSQL server to measure on, or undefined: `--postgres URL`, else a postgres:// DATABASE_URL
 * (as the server reads it), else, for a bare `--postgres`, DEFAULT_POSTGRES_URL. The bench never touches
 * the database the URL names: it creates one of its own on that server.
 * @param {string | undefined} option  the value of --postgres ('' when given without one)
 * @param {string | undefined} databaseUrl  the environment's DATABASE_URL
 */
export function postgresServerUrl(option, databaseUrl) {
  const fromEnv = databaseUrl !== undefined && POSTGRES_URL.test(databaseUrl) ? databaseUrl : undefined;
  if (option === undefined) return fromEnv;
  if (option === '') return fromEnv ?? DEFAULT_POSTGRES_URL;
  if (!POSTGRES_URL.test(option)) throw new Error(`--postgres: expected a postgres:// URL, got "${option}"`);
  return option;
}

/** @param {string} url  with its password hidden, for the output */
export function redactUrl(url) {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.href;
}

/** @param {string} url @param {string} database */
function withDatabase(url, database) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.href;
}

/**
 * One statement on a connection of its own.
 * @param {string} url
 * @param {string} text
 */
async function queryOnce(url, text) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

/** @type {Map<string, string>} database name → the server URL it was created through */
const created = new Map();

/**
 * A new, empty database on the server, with a name no other run uses; drop it with dropDatabase (or
 * dropDatabasesSync, from a signal handler).
 * @param {string} serverUrl
 */
export async function createDatabase(serverUrl) {
  const name = `gatehouse_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  await queryOnce(serverUrl, `create database "${name}"`);
  created.set(name, serverUrl);
  return { name, url: withDatabase(serverUrl, name) };
}

/** Drops a database this run created, ending the connections still open to it. @param {string} name */
export async function dropDatabase(name) {
  const serverUrl = created.get(name);
  if (serverUrl === undefined) return;
  await queryOnce(serverUrl, `drop database if exists "${name}" with (force)`);
  created.delete(name);
}

/** dropDatabase for every database still there, synchronously (for a SIGINT handler or the watchdog). */
export function dropDatabasesSync() {
  for (const [name, serverUrl] of created) {
    const script =
      "import pg from 'pg'; const c = new pg.Client({ connectionString: process.env.URL }); await c.connect();" +
      ' await c.query(`drop database if exists "${process.env.NAME}" with (force)`); await c.end();';
    spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, URL: serverUrl, NAME: name },
      timeout: 15_000,
      stdio: 'ignore',
    });
    created.delete(name);
  }
}

/**
 * The server's version and the settings a commit's durability depends on; rejects, saying so, when the
 * server cannot be used (run.mjs asks first, before the SQLite part, so that a wrong URL fails at once).
 * @param {string} url
 */
export async function serverSettings(url) {
  const rows = await queryOnce(
    url,
    `select version() as version, current_setting('synchronous_commit') as synchronous_commit,
            current_setting('fsync') as fsync, current_setting('wal_sync_method') as wal_sync_method,
            current_setting('commit_delay') as commit_delay, current_setting('max_connections') as max_connections`,
  ).catch((/** @type {unknown} */ error) => {
    throw new Error(`the bench cannot use PostgreSQL at ${redactUrl(url)}: ${error}`);
  });
  return /** @type {Record<string, string>} */ (rows[0]);
}

/**
 * A store on its own pool, for the bench's own work. `fast`: synchronous_commit=off, for data no
 * measurement depends on being durable (the counterpart of the SQLite preparation's synchronous=OFF).
 * @param {import('./database.mjs').Gatehouse} gh
 * @param {string} url
 * @param {{ max?: number, fast?: boolean, log?: import('kysely').KyselyConfig['log'] }} [options]
 */
export function openPostgresStore(gh, url, { max = 4, fast = false, log } = {}) {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    ...(fast && { options: '-c synchronous_commit=off' }),
  });
  pool.on('error', () => {});
  const db = new Kysely({ dialect: new PostgresDialect({ pool }), ...(log && { log }) });
  return { db, store: gh.createKyselyStore(db), close: () => db.destroy() };
}

/**
 * Gatehouse's token service, signing with the key ring kept in the database (created there by the first
 * to open it): what every instance started without GATEHOUSE_SIGNING_KEY shares.
 * @param {import('./database.mjs').Gatehouse} gh
 * @param {any} config
 * @param {any} store
 * @param {() => Date} [clock]
 */
export async function databaseKeyTokenService(gh, config, store, clock = () => new Date()) {
  const keyRing = await import(pathToFileURL(path.join(gh.distDir, 'auth/key-ring.js')).href);
  const keys = await keyRing.keyRingFor(config.jwt, store);
  const { algorithm, audience, issuer, leeway } = config.jwt;
  const codec = gh.createJwtCodec({ algorithm, keys, audience, issuer, leeway });
  return gh.createTokenService({ ...config, codec, store, clock });
}

/**
 * `count` sessions of `user` from the token service's issuePair, as logins would open them. The tokens
 * are Gatehouse's; their rows are written in bulk, a thousand sessions per transaction (through the store,
 * issuePair costs four round trips each: minutes for the tens of thousands a refresh load needs), with the
 * columns `startSession` (packages/server/src/store/sessions/kysely-store.ts) writes. Should those drift, the
 * refreshes answer 401 and the run fails (and so does bench/postgres-check.test.mjs).
 * @param {import('./database.mjs').Gatehouse} gh
 * @param {any} config
 * @param {{ db: import('kysely').Kysely<any>, store: any }} on  a store on a fast pool (openPostgresStore)
 * @param {any} user
 * @param {number} count
 */
export async function openSessionsInBulk(gh, config, { db, store }, user, count) {
  const started = performance.now();
  /** @type {{ session: any, token: any }[]} */
  let rows = [];
  const recording = new Proxy(store, {
    get(target, name) {
      if (name === 'startSession') {
        return async (/** @type {any} */ session, /** @type {any} */ token) => {
          rows.push({ session, token });
        };
      }
      const value = Reflect.get(target, name);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const service = await databaseKeyTokenService(gh, config, recording);
  /** @type {{ access: string, refresh: string }[]} */
  const sessions = [];
  while (sessions.length < count) {
    const batch = Math.min(1000, count - sessions.length);
    for (let i = 0; i < batch; i++) sessions.push(await service.issuePair(user));
    const written = rows;
    rows = [];
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('sessions')
        .values(
          written.map(({ session, token }) => ({
            id: session.id,
            user_id: session.userId,
            created_at: token.issuedAt.toISOString(),
            last_used_at: token.issuedAt.toISOString(),
            expires_at: token.expiresAt.toISOString(),
            user_agent: session.userAgent,
            ip: session.ip,
          })),
        )
        .execute();
      await trx
        .insertInto('refresh_tokens')
        .values(
          written.map(({ session, token }) => ({
            jti: token.jti,
            user_id: token.userId,
            family_id: session.id,
            issued_at: token.issuedAt.toISOString(),
            expires_at: token.expiresAt.toISOString(),
          })),
        )
        .execute();
    });
  }
  return { sessions, ms: performance.now() - started };
}

/**
 * The durable commit rate of a rotation on PostgreSQL, without HTTP, Kysely or promises between the
 * statements but the driver's: as rawRotationRate (database.mjs) does on SQLite, one real rotation through
 * the token service is captured from Kysely's query log (today: `SELECT ... FOR KEY SHARE` the user, the
 * conditional `UPDATE refresh_tokens ... RETURNING`, `SELECT` the user, `UPDATE sessions`, `INSERT` the
 * child), and those statements are replayed as named prepared statements (parsed and planned once per
 * connection), `BEGIN` ... `COMMIT` per rotation (synchronous_commit as the server has it: on, a WAL
 * flush per commit), along a chain of tokens, for `seconds`. `chains` chains run at once, each on a
 * connection of its own and in a session of its own (all of `user`, as over HTTP; their `FOR KEY SHARE`
 * locks on the one user row do not wait for each other): PostgreSQL, unlike SQLite, runs concurrent
 * transactions side by side and flushes the WAL once for all the commits waiting at that moment.
 * Also the CPU the PostgreSQL server used meanwhile (watchPostgresCpu).
 * @param {import('./database.mjs').Gatehouse} gh
 * @param {any} config
 * @param {{ name: string, url: string }} database
 * @param {any} user
 * @param {number} seconds
 * @param {number} chains
 */
export async function rawPostgresRotationRate(gh, config, database, user, seconds, chains) {
  const { url } = database;
  /** @type {{ sql: string, parameters: readonly unknown[] }[]} */
  const captured = [];
  let capturing = false;
  const capture = openPostgresStore(gh, url, {
    max: 1,
    log: (event) => {
      if (capturing && event.level === 'query') captured.push(event.query);
    },
  });
  /** @type {pg.Client[]} */
  const clients = [];
  try {
    const now = new Date();
    const service = await databaseKeyTokenService(gh, config, capture.store, () => now);
    const seed = (await service.issuePair(user)).refresh;
    capturing = true;
    const rotated = await service.refresh(seed);
    capturing = false;
    if (!rotated.ok || rotated.refresh === undefined)
      throw new Error(`the captured rotation failed: ${JSON.stringify(rotated)}`);

    const seedClaims = claimsOf(seed);
    const childJti = claimsOf(rotated.refresh)[config.jwt.jtiClaim];
    const nowIso = now.toISOString();
    const expiresIso = new Date(now.getTime() + config.jwt.refreshTokenLifetime * 1000).toISOString();
    const CURRENT = Symbol('current');
    const NEXT = Symbol('next');
    const NOW = Symbol('now');
    const EXPIRES = Symbol('expires');
    const SESSION = Symbol('session');
    /** @type {Map<unknown, symbol>} */
    const slots = new Map([
      [seedClaims[config.jwt.jtiClaim], CURRENT],
      [childJti, NEXT],
      [nowIso, NOW],
      [expiresIso, EXPIRES],
      [seedClaims.sid, SESSION],
    ]);
    // A rotation that is one statement runs without BEGIN (its own transaction): replayed the same way.
    const inTransaction = captured.some((query) => /^\s*begin\b/i.test(query.sql));
    const statements = captured
      .filter((query) => !/^\s*(begin|commit|rollback|savepoint|release)\b/i.test(query.sql))
      .map((query, i) => {
        const parameters = query.parameters.map((value) => slots.get(value) ?? value);
        return {
          name: `bench_rotation_${i}`,
          sql: query.sql,
          parameters,
          // The statements that name the token or the session must find (or write) their row.
          chained: [CURRENT, NEXT, SESSION].some((slot) => parameters.includes(slot)),
        };
      });
    const uses = (/** @type {symbol} */ s) =>
      statements.some((statement) => statement.parameters.includes(s));
    // The session may be named, or found through the token's row (the one-statement rotation).
    if (!uses(CURRENT) || !uses(NEXT)) {
      throw new Error(`unexpected rotation statements: ${statements.map((s) => s.sql).join('; ')}`);
    }

    // Each chain: its own session, and a connection with the statements prepared.
    const starts = [];
    for (let i = 0; i < chains; i++) {
      const claims = claimsOf((await service.issuePair(user)).refresh);
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
      client.on('error', () => {});
      await client.connect();
      clients.push(client);
      starts.push({ client, session: claims.sid, jti: /** @type {string} */ (claims[config.jwt.jtiClaim]) });
    }
    let commits = 0;
    const postgres = watchPostgresCpu(database.name);
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      starts.map(async ({ client, session, jti }) => {
        let current = jti;
        while (performance.now() < deadline) {
          const next = newJti();
          const at = new Date();
          /** @type {Map<symbol, unknown>} */
          const values = new Map([
            [CURRENT, current],
            [NEXT, next],
            [NOW, at.toISOString()],
            [EXPIRES, new Date(at.getTime() + config.jwt.refreshTokenLifetime * 1000).toISOString()],
            [SESSION, session],
          ]);
          if (inTransaction) await client.query('begin');
          for (const { name, sql, parameters, chained } of statements) {
            const args = parameters.map((p) => (typeof p === 'symbol' ? values.get(p) : p));
            const result = await client.query({ name, text: sql, values: args });
            if (chained && result.rowCount === 0)
              throw new Error(`a rotation statement found no row: ${sql}`);
          }
          if (inTransaction) await client.query('commit');
          current = next;
          commits++;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    return {
      rate: commits / elapsed,
      commits,
      seconds: elapsed,
      chains,
      postgresCpuSeconds: postgres.stop(),
      statements: statements.map((s) => s.sql),
      inTransaction,
    };
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => {})));
    await capture.close();
  }
}

/**
 * A JWT's claims, unverified (the bench made the token).
 * @param {string} token
 * @returns {Record<string, any>}
 */
function claimsOf(token) {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

/**
 * CPU seconds used by the PostgreSQL server on behalf of `database`: the backends connected to it and
 * the server's shared processes (postmaster, WAL writer, checkpointer, ...), from /proc. Backends of
 * other databases (another program's tests on the same server) are left out. NaN where /proc is not.
 * @param {string} database
 */
export function watchPostgresCpu(database) {
  const before = postgresProcesses(database);
  return {
    stop() {
      if (before === undefined) return NaN;
      const after = postgresProcesses(database) ?? new Map();
      let seconds = 0;
      // A backend that started meanwhile counts in full; one that exited meanwhile is lost (rare: pools keep theirs).
      for (const [pid, used] of after) seconds += used - (before.get(pid) ?? 0);
      return Math.max(0, seconds);
    },
  };
}

/** @param {string} database @returns {Map<number, number> | undefined} pid → CPU seconds so far */
function postgresProcesses(database) {
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const found = new Map();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      // A backend's title: "postgres: 15/main: <user> <database> 127.0.0.1(50432) idle".
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim().split(/\s+/);
      const backend = title.some((word) => /\(\d+\)$|^\[local\]$/.test(word));
      if (backend && !title.includes(database)) continue;
      found.set(Number(entry), cpuSeconds(Number(entry)));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** As simplejwt: a uuid4 as 32 hex digits. */
export function newJti() {
  return randomUUID().replaceAll('-', '');
}
