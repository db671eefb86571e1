import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type PostgresPool } from 'kysely';
import type * as NodePostgres from 'pg';
import { redactDatabaseUrl, type DatabaseConfig } from '../config.js';
import { DatabaseUnavailableError } from './database-errors.js';
import { createKyselyStore } from './kysely-store.js';
import { postgresDirect, sqliteDirect, type SqliteConnection } from './direct-connections.js';
import type { DirectConnection } from './precompiled.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

/**
 * Opens (creating if needed) the configured database. Migrations are the caller's choice. PostgreSQL is
 * not contacted here: the pool connects on the first query, so a wrong URL or a server that is down
 * shows at the first `migrate()` or request.
 */
export function openStore(config: DatabaseConfig): Store {
  const { db, direct } = openDatabase(config);
  return createKyselyStore(db, direct);
}

/** The configured database as openStore opens it, without the store over it (for tests of its rows). */
export function openDatabase(config: DatabaseConfig): { db: Kysely<Database>; direct: DirectConnection } {
  if (config.kind === 'postgres') {
    const pool = openPostgresPool(config.url, config.poolSize);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, direct: postgresDirect(pool.connect) };
  }
  const sqlite = withStatementCache(openSqlite(config.path));
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, direct: sqliteDirect(sqlite) };
}

const requireFromHere = createRequire(import.meta.url);

/**
 * node-postgres, loaded when PostgreSQL is first used: a server on the embedded database never needs it,
 * and loading it costs about 40 ms of start-up and some megabytes of memory.
 */
function nodePostgres(): typeof NodePostgres {
  return requireFromHere('pg') as typeof NodePostgres;
}

/** What the store is opened on, for logs: the SQLite file, or the PostgreSQL URL without its password. */
export function describeDatabase(config: DatabaseConfig): string {
  return config.kind === 'postgres' ? redactDatabaseUrl(config.url) : config.path;
}

/**
 * A look at a PostgreSQL database that changes nothing (for `gatehouse doctor`): the tables in the schema
 * the store would use and the names of the stored secrets (never their values). Rejects when the server
 * cannot be reached or refuses the connection.
 */
export async function inspectPostgres(url: string): Promise<{ tables: Set<string>; secrets: Set<string> }> {
  const client = new (nodePostgres().Client)({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      'select table_name as name from information_schema.tables where table_schema = current_schema()',
    );
    const tables = new Set(rows.map((row) => row.name));
    const secrets = tables.has('secrets')
      ? new Set(
          (await client.query<{ name: string }>('select name from secrets')).rows.map((row) => row.name),
        )
      : new Set<string>();
    return { tables, secrets };
  } finally {
    await client.end();
  }
}

function openPostgresPool(
  connectionString: string,
  max: number,
): PostgresPool & { connect(): Promise<NodePostgres.PoolClient> } {
  const pool = new (nodePostgres().Pool)({
    connectionString,
    max,
    // A query waits at most this long for a connection (a full pool, a server that does not answer)
    // and then fails, instead of hanging the request.
    connectionTimeoutMillis: 10_000,
    // Shown in pg_stat_activity unless the URL's application_name or PGAPPNAME says otherwise.
    fallback_application_name: 'gatehouse',
  });
  // An idle connection that breaks (a server restart, a failover, a proxy's timeout) is reported here;
  // without a listener the 'error' event would end the process. The pool has already dropped that
  // connection and the next query opens a new one; a query in flight gets its own error. The store has
  // no logger, so the event is only absorbed.
  pool.on('error', () => {});
  // The same for a connection in use: between two queries of a transaction it has no pool listener. The
  // query in flight, or the next one, fails on its own, and the pool drops the connection on release.
  pool.on('connect', (client) => client.on('error', () => {}));
  return {
    // Every failure to get a connection (refused, reset, timed out, turned away) is the database being
    // out of reach, which requests report as 503: told apart here, where it is known.
    connect: () =>
      pool.connect().catch((error: unknown) => {
        throw new DatabaseUnavailableError(error);
      }),
    end: () => pool.end(),
  };
}

/** Most statements a connection keeps prepared; the store's query shapes are far fewer. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite driver prepares every statement anew, which was a tenth of a protected request's CPU.
 * Statements are reusable, and the store issues a small, fixed set of SQL texts, so each is prepared once.
 */
function withStatementCache(database: SqliteDatabase.Database): SqliteConnection & { close(): void } {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    get inTransaction() {
      return database.inTransaction;
    },
    close: () => database.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (!statement) {
        // A bound on memory, should a caller ever generate SQL texts without end.
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
        statement = database.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

function openSqlite(file: string) {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const database = new SqliteDatabase(file);
  database.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before it is acknowledged, so nothing answered survives only in a cache.
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  // Another process (the CLI next to a running server) may hold the write lock for a moment.
  database.pragma('busy_timeout = 5000');
  // SQLite's own lower() folds only A-Z; user search must fold É as PostgreSQL's does.
  database.function('lower', { deterministic: true }, (value: unknown) =>
    typeof value === 'string' ? value.toLowerCase() : value,
  );
  return database;
}
