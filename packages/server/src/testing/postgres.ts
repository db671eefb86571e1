import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { afterAll, describe, test } from 'vitest';
import { redactDatabaseUrl } from '../config.js';
import { onCi } from './ci.js';

/**
 * The PostgreSQL server tests use: GATEHOUSE_TEST_POSTGRES_URL, else the one GATEHOUSE_TEST_DATABASE_URL
 * runs the HTTP tests on, else the local server CI has. Tests never touch the database the URL names:
 * they make databases of their own on that server and drop them when done.
 */
export const POSTGRES_TEST_URL =
  process.env['GATEHOUSE_TEST_POSTGRES_URL']?.trim() ||
  postgresOnly(process.env['GATEHOUSE_TEST_DATABASE_URL']) ||
  'postgres://postgres@127.0.0.1:5432/test';

/** GATEHOUSE_TEST_DATABASE_URL=postgres://…: the HTTP tests run on PostgreSQL rather than in-memory SQLite. */
export const HTTP_TESTS_ON_POSTGRES = postgresOnly(process.env['GATEHOUSE_TEST_DATABASE_URL']) !== undefined;

export interface TestDatabase {
  name: string;
  url: string;
}

export interface TestSchema {
  name: string;
  /** Connections through this URL use the schema (search_path) and are named after it (application_name). */
  url: string;
  /**
   * Deletes every row but those of Kysely's migration bookkeeping and restarts the identity columns: a
   * migrated schema ready for the next test, in a fraction of the time a new one takes to migrate.
   */
  empty(): Promise<void>;
  drop(): Promise<void>;
}

export interface TestPostgres {
  /**
   * A statement on the database the URL names (the server's, for this run's purposes): creating,
   * altering and dropping databases, pg_stat_activity.
   */
  query<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  /** A new, empty database, dropped (its connections ended) after this test file. */
  createDatabase(prefix?: string): Promise<TestDatabase>;
  /**
   * A new, empty schema, dropped by `drop()` or after this test file. The schemas of a test file are in a
   * database of its own, so that schemas other test files drop meanwhile never meet Kysely's migrator
   * listing this one's (without the right to create databases, in the URL's own database).
   */
  createSchema(): Promise<TestSchema>;
}

/**
 * PostgreSQL for the tests of `what`, to be called at a test file's top level (or a module it imports).
 * Unreachable: undefined, and the tests are to be skipped, saying so; on CI (CI=true) a failing test is
 * registered instead, since CI must never pass without them.
 */
export async function usePostgres(what: string): Promise<TestPostgres | undefined> {
  const postgres = await connectTestPostgres(POSTGRES_TEST_URL);
  if ('reason' in postgres) {
    const message =
      `PostgreSQL not reachable at ${redactDatabaseUrl(POSTGRES_TEST_URL)}: ${what} are skipped ` +
      `(start PostgreSQL, or set GATEHOUSE_TEST_POSTGRES_URL, to run them) [${postgres.reason}]`;
    if (onCi()) {
      describe(what, () => {
        test('PostgreSQL is reachable (on CI these tests must run, not be skipped)', () => {
          throw new Error(message.replace('are skipped', 'cannot run'));
        });
      });
    } else {
      console.warn(message);
    }
    return undefined;
  }
  return postgres;
}

/** Like usePostgres, for tests that were asked to run on PostgreSQL: unreachable, they fail. */
export async function requirePostgres(what: string): Promise<TestPostgres> {
  const postgres = await connectTestPostgres(POSTGRES_TEST_URL);
  if ('reason' in postgres) {
    throw new Error(
      `PostgreSQL not reachable at ${redactDatabaseUrl(POSTGRES_TEST_URL)} for ${what} [${postgres.reason}]`,
    );
  }
  return postgres;
}

/** The URL with `search_path` set to `schema` (through libpq's `options`) and its connections named so. */
export function schemaUrl(url: string, schema: string): string {
  const result = new URL(url);
  const options = result.searchParams.get('options');
  result.searchParams.set('options', `${options ? `${options} ` : ''}-c search_path=${schema}`);
  result.searchParams.set('application_name', schema);
  return result.toString();
}

async function connectTestPostgres(url: string): Promise<TestPostgres | { reason: string }> {
  const server = new Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 3000 });
  server.on('error', () => {});
  try {
    await server.query('select 1');
  } catch (error) {
    await server.end();
    return { reason: error instanceof Error ? error.message || error.name : String(error) };
  }
  const created: string[] = [];
  const schemas = new Set<string>();
  let files: Promise<{ database: TestDatabase; pool: Pool }> | undefined;
  afterAll(async () => {
    if (files) {
      const { pool } = await files;
      for (const schema of schemas) await pool.query(`drop schema if exists ${schema} cascade`);
      await pool.end();
    }
    for (const name of created) await server.query(`drop database if exists ${name} with (force)`);
    await server.end();
  });

  const createDatabase = async (prefix = 'gatehouse_test') => {
    const name = `${prefix}_${randomBytes(5).toString('hex')}`;
    await server.query(`create database ${name}`);
    created.push(name);
    const database = new URL(url);
    database.pathname = `/${name}`;
    return { name, url: database.toString() };
  };
  const fileDatabase = async () => {
    const database = await createDatabase().catch((error: unknown) => {
      // insufficient_privilege: no CREATEDB; parallel test files may then disturb each other.
      if ((error as { code?: unknown }).code !== '42501') throw error;
      return { name: new URL(url).pathname.slice(1), url };
    });
    const pool = new Pool({ connectionString: database.url, max: 2 });
    pool.on('error', () => {});
    return { database, pool };
  };

  return {
    query: async <T>(text: string, values?: unknown[]) => (await server.query(text, values)).rows as T[],
    createDatabase,
    async createSchema() {
      files ??= fileDatabase();
      const { database, pool } = await files;
      // Unique across test files too: it names the connections in pg_stat_activity.
      const name = `gatehouse_${randomBytes(5).toString('hex')}`;
      await pool.query(`create schema ${name}`);
      schemas.add(name);
      return {
        name,
        url: schemaUrl(database.url, name),
        async empty() {
          const { rows } = await pool.query<{ name: string; identity: string | null }>(
            `select c.relname as name, a.attname as identity from pg_class c
               join pg_namespace n on n.oid = c.relnamespace
               left join pg_attribute a on a.attrelid = c.oid and a.attidentity <> ''
             where n.nspname = $1 and c.relkind = 'r' and c.relname not like 'kysely\\_%'`,
            [name],
          );
          await pool.query(
            rows
              .map(
                (row) =>
                  `delete from ${name}.${row.name};` +
                  (row.identity
                    ? `alter table ${name}.${row.name} alter column ${row.identity} restart;`
                    : ''),
              )
              .join(''),
          );
        },
        async drop() {
          await pool.query(`drop schema if exists ${name} cascade`);
          schemas.delete(name);
        },
      };
    },
  };
}

function postgresOnly(url: string | undefined): string | undefined {
  const trimmed = url?.trim();
  return trimmed && /^postgres(ql)?:\/\//.test(trimmed) ? trimmed : undefined;
}
