import { createRequire } from 'node:module';
import SqliteDatabase from 'better-sqlite3';
import type * as NodePostgres from 'pg';

/**
 * A Django database, read and never written: SQLite opened read-only, PostgreSQL in a READ ONLY
 * transaction (rolled back at the end), so the old site may keep running on it during the move.
 */
export interface DjangoSource {
  tableExists(name: string): Promise<boolean>;
  /** All rows of `text` (a SELECT; `$1`… parameters). */
  rows(text: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export class SourceError extends Error {}

const requireFromHere = createRequire(import.meta.url);

/** `from`: a SQLite file (optionally `sqlite:<path>`) or a postgres:// URL. */
export async function openDjangoSource(from: string): Promise<DjangoSource> {
  return /^postgres(ql)?:\/\//.test(from) ? openPostgres(from) : openSqlite(from.replace(/^sqlite:/, ''));
}

function openSqlite(file: string): DjangoSource {
  let db: SqliteDatabase.Database;
  try {
    db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new SourceError(`cannot open the Django database ${file}: ${(error as Error).message}`);
  }
  return {
    tableExists: async (name) =>
      db.prepare(`select 1 from sqlite_master where type = 'table' and name = ?`).get(name) !== undefined,
    // SQLite's placeholders are `?`; the queries here are written with `$n` for both.
    rows: async (text, values = []) =>
      db.prepare(text.replace(/\$\d+/g, '?')).all(...values) as Record<string, unknown>[],
    close: async () => {
      db.close();
    },
  };
}

async function openPostgres(url: string): Promise<DjangoSource> {
  const pg = requireFromHere('pg') as typeof NodePostgres;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('start transaction read only');
  } catch (error) {
    await client.end().catch(() => {});
    throw new SourceError(`cannot read the Django database: ${(error as Error).message}`);
  }
  return {
    async tableExists(name) {
      const { rows } = await client.query(
        `select 1 from information_schema.tables
         where table_name = $1 and table_schema = any (current_schemas(false))`,
        [name],
      );
      return rows.length > 0;
    },
    rows: async (text, values = []) => (await client.query(text, values)).rows as Record<string, unknown>[],
    async close() {
      await client.query('rollback').catch(() => {});
      await client.end();
    },
  };
}

/** A table name given on the command line, quoted for SQL once it is known to be a plain identifier. */
export function quotedTable(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new SourceError(`not a table name: "${name}"`);
  return `"${name}"`;
}

/** Django's datetimes: a Date from node-postgres; text in SQLite, UTC when USE_TZ (the default). */
export function djangoDate(value: unknown): Date | null {
  if (value === null || value === undefined || value === '') return null;
  if (value instanceof Date) return value;
  const text = String(value);
  const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Django's booleans: true/false from PostgreSQL, 1/0 from SQLite. */
export function djangoBool(value: unknown, absent: boolean): boolean {
  if (value === null || value === undefined) return absent;
  return value === true || value === 1 || value === '1' || value === 't';
}

/** A UUIDField: 32 hex digits in SQLite, a uuid in PostgreSQL; the dashed form clients were shown. */
export function djangoUuid(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const hex = value.replaceAll('-', '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
