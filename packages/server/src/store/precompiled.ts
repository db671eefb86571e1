import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './schema.js';

/** Stands for a parameter while a query is built; chosen so that no real value can ever equal it. */
const SLOT = '\u0000gatehouse-slot:';

/**
 * The connection under Kysely, for the hot queries to run on without Kysely's layers in between
 * (direct-connections.ts). `run` answers undefined when the query must go through Kysely after all.
 */
export interface DirectConnection {
  run<R>(
    executor: Kysely<Database>,
    sql: string,
    parameters: readonly unknown[],
  ): Promise<QueryResult<R>> | undefined;
}

export type Precompiled<P, R> = (executor: Kysely<Database>, values: P) => Promise<QueryResult<R>>;

/**
 * A query on a hot path, built and compiled by Kysely once instead of at every request. Building a query
 * (an immutable tree, frozen node by node) and compiling it to SQL cost more CPU than SQLite needs to run
 * it. `build` receives placeholders where the values go and must use each one as a bound value; each
 * call then runs the same SQL with the values put in their places, on the connection or transaction
 * given. (Kysely passes a compiled query's `queryId` to plugins only, and this store uses none.)
 *
 * With `direct`, the statement runs on the connection itself when that is safe (direct-connections.ts).
 */
export function precompile<P extends object, R>(
  names: readonly (keyof P & string)[],
  build: (slots: P) => Compilable<R>,
  direct?: DirectConnection,
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
    const ran = direct?.run<R>(executor, compiled.sql, parameters);
    if (ran) return ran;
    const query: CompiledQuery<R> = { ...compiled, parameters };
    return executor.executeQuery(query);
  };
}
