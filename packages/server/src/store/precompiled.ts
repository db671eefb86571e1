import type SqliteDatabase from 'better-sqlite3';
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './schema.js';

/** Stands for a parameter while a query is built; chosen so that no real value can ever equal it. */
const SLOT = '\u0000gatehouse-slot:';

/**
 * The SQLite connection under Kysely (better-sqlite3 is synchronous), for the hot queries to run on
 * directly: Kysely's asynchronous layers (its connection mutex, executor and promise chain) cost several
 * times what SQLite takes to answer them.
 */
export interface DirectSqlite {
  /** Whether a transaction is open on the connection (better-sqlite3's own flag). */
  readonly inTransaction: boolean;
  prepare(sql: string): SqliteDatabase.Statement;
}

export type Precompiled<P, R> = (executor: Kysely<Database>, values: P) => Promise<QueryResult<R>>;

/**
 * A query on a hot path, built and compiled by Kysely once instead of at every request. Building a query
 * (an immutable tree, frozen node by node) and compiling it to SQL cost more CPU than SQLite needs to run
 * it. `build` receives placeholders where the values go and must use each one as a bound value; each
 * call then runs the same SQL with the values put in their places, on the connection or transaction
 * given. (Kysely passes a compiled query's `queryId` to plugins only, and this store uses none.)
 *
 * With `direct` (SQLite), the statement runs on the connection itself, synchronously, when that is what
 * Kysely would do: inside the caller's own transaction, or when no transaction is open. While another
 * caller's transaction is open (between two of its awaits) the query goes through Kysely, which waits for
 * it to end: run directly, it would read that transaction's uncommitted writes.
 */
export function precompile<P extends object, R>(
  names: readonly (keyof P & string)[],
  build: (slots: P) => Compilable<R>,
  direct?: DirectSqlite,
): Precompiled<P, R> {
  const slots = Object.fromEntries(names.map((name) => [name, `${SLOT}${name}`])) as unknown as P;
  const compiled = build(slots).compile();
  const bindings = compiled.parameters.map((parameter) =>
    typeof parameter === 'string' && parameter.startsWith(SLOT)
      ? (parameter.slice(SLOT.length) as keyof P & string)
      : undefined,
  );
  for (const name of names) {
    // A slot Kysely inlined into the SQL, or one never used, would run with the wrong value.
    if (!bindings.includes(name))
      throw new Error(`precompile: parameter ${name} is not bound in ${compiled.sql}`);
  }
  const fixed = compiled.parameters;
  return (executor, values) => {
    const parameters = bindings.map((name, index) => (name === undefined ? fixed[index] : values[name]));
    if (direct && (executor.isTransaction || !direct.inTransaction)) {
      try {
        return Promise.resolve(runStatement<R>(direct.prepare(compiled.sql), parameters));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    const query: CompiledQuery<R> = { ...compiled, parameters };
    return executor.executeQuery(query);
  };
}

/** What Kysely's SQLite driver answers for a statement, so that callers cannot tell the two paths apart. */
function runStatement<R>(
  statement: SqliteDatabase.Statement,
  parameters: readonly unknown[],
): QueryResult<R> {
  if (statement.reader) return { rows: statement.all(parameters) as R[] };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}
