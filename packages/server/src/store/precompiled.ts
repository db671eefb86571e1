import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './schema.js';

/** Stands for a parameter while a query is built; chosen so that no real value can ever equal it. */
const SLOT = '\u0000gatehouse-slot:';

/**
 * A query on a hot path, built and compiled by Kysely once instead of at every request. Building a query
 * (an immutable tree, frozen node by node) and compiling it to SQL cost more CPU than SQLite needs to run
 * it. `build` receives placeholders where the values go and must use each one as a bound value; each
 * call then runs the same SQL with the values put in their places, on the connection or transaction
 * given. (Kysely passes a compiled query's `queryId` to plugins only, and this store uses none.)
 */
export function precompile<P extends object, R>(
  names: readonly (keyof P & string)[],
  build: (slots: P) => Compilable<R>,
): (executor: Kysely<Database>, values: P) => Promise<QueryResult<R>> {
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
    const query: CompiledQuery<R> = { ...compiled, parameters };
    return executor.executeQuery(query);
  };
}
