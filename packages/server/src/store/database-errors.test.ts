import { describe, expect, test } from 'vitest';
import { DatabaseUnavailableError, isTransientDatabaseError } from './database-errors.js';

/** An error as node-postgres (a server's ErrorResponse, a socket's error) or better-sqlite3 makes it. */
const withCode = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('isTransientDatabaseError', () => {
  test.each([
    ['admin_shutdown (pg_terminate_backend, a fast shutdown)', withCode('57P01')],
    ['crash_shutdown', withCode('57P02')],
    ['cannot_connect_now (starting up, shutting down)', withCode('57P03')],
    ['too_many_connections', withCode('53300')],
    ['connection_exception', withCode('08000')],
    ['connection_failure', withCode('08006')],
    ['sqlclient_unable_to_establish_sqlconnection', withCode('08001')],
    ['serialization_failure', withCode('40001')],
    ['deadlock_detected', withCode('40P01')],
    ['ECONNREFUSED', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['ECONNRESET', withCode('ECONNRESET', 'read ECONNRESET')],
    ['ETIMEDOUT', withCode('ETIMEDOUT')],
    ['EPIPE', withCode('EPIPE', 'write EPIPE')],
    ['a connection that ended', new Error('Connection terminated unexpectedly')],
    ['a connection ended by a timeout', new Error('Connection terminated due to connection timeout')],
    [
      'a client whose connection broke',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
    ['a full pool past its connection timeout', new Error('timeout exceeded when trying to connect')],
    ['any failure to get a connection', new DatabaseUnavailableError(withCode('28P01'))],
    ['SQLite busy past its busy timeout', withCode('SQLITE_BUSY', 'database is locked')],
    ['SQLite busy (an extended code)', withCode('SQLITE_BUSY_SNAPSHOT')],
    [
      'every address of a host refusing (AggregateError)',
      Object.assign(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], ''), {
        code: 'ECONNREFUSED',
      }),
    ],
    [
      'an AggregateError without a code of its own',
      new AggregateError([new Error('x'), withCode('ETIMEDOUT')], ''),
    ],
    ['a cause that is transient', new Error('query failed', { cause: withCode('57P01') })],
  ])('transient: %s', (_name, error) => {
    expect(isTransientDatabaseError(error)).toBe(true);
  });

  test.each([
    ['unique_violation', withCode('23505')],
    ['undefined_table', withCode('42P01')],
    ['syntax_error', withCode('42601')],
    ['invalid_text_representation', withCode('22P02')],
    ['SQLite constraint', withCode('SQLITE_CONSTRAINT_UNIQUE')],
    ['SQLite error', withCode('SQLITE_ERROR')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a string', 'Connection terminated unexpectedly'],
    ['undefined', undefined],
    ['a code that only looks like class 08', withCode('E08001')],
  ])('not transient: %s', (_name, error) => {
    expect(isTransientDatabaseError(error)).toBe(false);
  });

  test('a cycle of causes ends', () => {
    const error = new Error('a');
    const other = new Error('b', { cause: error });
    Object.assign(error, { cause: other });
    expect(isTransientDatabaseError(error)).toBe(false);
  });
});
