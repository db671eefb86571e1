import { createHash } from 'node:crypto';
import type SqliteDatabase from 'better-sqlite3';
import type { QueryResult } from 'kysely';
import type { PoolClient } from 'pg';
import type { DirectConnection } from './precompiled.js';

/** better-sqlite3's connection, as open-store.ts wraps it (each statement prepared once). */
export interface SqliteConnection {
  /** Whether a transaction is open on the connection (better-sqlite3's own flag). */
  readonly inTransaction: boolean;
  prepare(sql: string): SqliteDatabase.Statement;
}

/**
 * SQLite: better-sqlite3 is synchronous, and Kysely's asynchronous layers around it (its connection mutex,
 * executor and promise chain) cost several times what SQLite takes to answer a hot query. The statement
 * runs on the connection itself when that is what Kysely would do: inside the caller's own transaction,
 * or when no transaction is open. While another caller's transaction is open (between two of its awaits)
 * the query goes through Kysely, which waits for it to end: run directly, it would read that transaction's
 * uncommitted writes.
 */
export function sqliteDirect(connection: SqliteConnection): DirectConnection {
  return {
    run<R>(executor: { readonly isTransaction: boolean }, sql: string, parameters: readonly unknown[]) {
      if (!executor.isTransaction && connection.inTransaction) return undefined;
      try {
        return Promise.resolve(runSqlite<R>(connection.prepare(sql), parameters));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
  };
}

/** What Kysely's SQLite driver answers for a statement, so that callers cannot tell the two paths apart. */
function runSqlite<R>(statement: SqliteDatabase.Statement, parameters: readonly unknown[]): QueryResult<R> {
  if (statement.reader) return { rows: statement.all(parameters) as R[] };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

/**
 * PostgreSQL: Kysely's driver sends every query unnamed, so the server parses and plans it each time. A
 * hot query is sent here as a named prepared statement instead, parsed and planned once per connection
 * (node-postgres remembers which connections have it). Its name is a digest of its SQL, so one name never
 * stands for two statements. A query of a transaction goes through Kysely, to the transaction's own
 * connection.
 */
export function postgresDirect(connect: () => Promise<PoolClient>): DirectConnection {
  const names = new Map<string, string>();
  return {
    run<R>(executor: { readonly isTransaction: boolean }, sql: string, parameters: readonly unknown[]) {
      if (executor.isTransaction) return undefined;
      let name = names.get(sql);
      if (name === undefined) {
        name = `gatehouse_${createHash('sha256').update(sql).digest('hex').slice(0, 32)}`;
        names.set(sql, name);
      }
      return runNamed<R>(connect, name, sql, parameters);
    },
  };
}

const AFFECTING = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/** What Kysely's PostgreSQL driver answers for a query. */
async function runNamed<R>(
  connect: () => Promise<PoolClient>,
  name: string,
  text: string,
  parameters: readonly unknown[],
): Promise<QueryResult<R>> {
  const client = await connect();
  try {
    const { command, rowCount, rows } = await client.query<R & object>({
      name,
      text,
      values: [...parameters],
    });
    return { ...(AFFECTING.has(command) && { numAffectedRows: BigInt(rowCount ?? 0) }), rows };
  } finally {
    client.release();
  }
}
