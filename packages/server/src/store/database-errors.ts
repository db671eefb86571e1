/**
 * No connection to the database could be had: the server is down, restarting or refusing connections,
 * or the pool waited too long for one. Whatever the cause, the same request may succeed shortly.
 */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`database unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * PostgreSQL SQLSTATEs of a server going away or turning work away for now: admin_shutdown,
 * crash_shutdown, cannot_connect_now (starting or stopping), too_many_connections; and a transaction
 * aborted by a conflict (serialization_failure, deadlock_detected), which succeeds when tried again.
 * Class 08, connection exceptions, is matched as a class.
 */
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01']);
const CONNECTION_EXCEPTION = /^08[0-9A-Z]{3}$/;
const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
/** node-postgres's own errors for a connection that broke or could not be had in time. */
const CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /^Client has encountered a connection error and is not queryable$/,
  /^timeout exceeded when trying to connect$/,
];

/**
 * Whether a store call failed because the database is (for now) out of reach rather than because of a
 * bug: such a request is answered 503 with Retry-After, never 500. SQLite: SQLITE_BUSY, another process
 * held the write lock past the busy timeout. Causes and AggregateErrors (a refused connection to each of
 * a host's addresses) are looked into.
 */
export function isTransientDatabaseError(error: unknown, depth = 0): boolean {
  // A bound, should causes ever form a cycle.
  if (!(error instanceof Error) || depth > 8) return false;
  if (error instanceof DatabaseUnavailableError) return true;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string') {
    if (TRANSIENT_SQLSTATES.has(code) || CONNECTION_EXCEPTION.test(code) || NETWORK_ERRORS.has(code)) {
      return true;
    }
    if (code.startsWith('SQLITE_BUSY')) return true;
  }
  if (CONNECTION_MESSAGES.some((message) => message.test(error.message))) return true;
  const inner =
    error instanceof AggregateError ? [...(error.errors as unknown[]), error.cause] : [error.cause];
  return inner.some((cause) => isTransientDatabaseError(cause, depth + 1));
}
