import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import { createKyselyStore } from './kysely-store.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

/** Opens (creating if needed) the configured database. Migrations are the caller's choice. */
export function openStore(config: DatabaseConfig): Store {
  return createKyselyStore(
    new Kysely<Database>({ dialect: new SqliteDialect({ database: openSqlite(config.path) }) }),
  );
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
