import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { Pool } from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { usePostgres, type TestSchema } from '../testing/postgres.js';
import { postgresDirect, sqliteDirect } from './direct-connections.js';
import { precompile, type DirectConnection } from './precompiled.js';
import type { Database } from './schema.js';

/** The table the tests query, with its rows. */
async function createSecrets(db: Kysely<Database>, rows: { name: string; value: string; created: string }[]) {
  await db.schema
    .createTable('secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text')
    .addColumn('created', 'text')
    .execute();
  await db.insertInto('secrets').values(rows).execute();
}

/** The queries the tests precompile, run directly when `direct` is given. */
function secretQueries(db: Kysely<Database>, direct: DirectConnection | undefined) {
  return {
    read: precompile<{ name: string }, { value: string }>(
      ['name'],
      ({ name }) => db.selectFrom('secrets').select('value').where('name', '=', name),
      direct,
    ),
    rename: precompile<{ name: string; value: string }, unknown>(
      ['name', 'value'],
      ({ name, value }) => db.updateTable('secrets').set({ value }).where('name', '=', name),
      direct,
    ),
    insert: precompile<{ name: string }, unknown>(
      ['name'],
      ({ name }) => db.insertInto('secrets').values({ name, value: 'v', created: 'now' }),
      direct,
    ),
  };
}

describe.each([
  ['through Kysely', false],
  ['directly on the SQLite connection', true],
])('precompile, %s', (_name, withDirect) => {
  let db: Kysely<Database>;
  let direct: DirectConnection | undefined;
  beforeEach(async () => {
    const sqlite = new SqliteDatabase(':memory:');
    direct = withDirect ? sqliteDirect(sqlite) : undefined;
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    await createSecrets(db, [
      { name: 'a', value: 'one', created: '2026-01-01' },
      { name: 'b', value: 'two', created: '2026-01-02' },
    ]);
  });
  afterEach(() => db.destroy());

  it('runs the same SQL with each call’s values, fixed values kept where they were', async () => {
    const newer = precompile<{ name: string }, { value: string }>(
      ['name'],
      ({ name }) =>
        db.selectFrom('secrets').select('value').where('created', '>', '2026-01-01').where('name', '=', name),
      direct,
    );
    const { read } = secretQueries(db, direct);
    expect((await read(db, { name: 'a' })).rows).toEqual([{ value: 'one' }]);
    expect((await read(db, { name: 'b' })).rows).toEqual([{ value: 'two' }]);
    expect((await newer(db, { name: 'a' })).rows).toEqual([]);
    expect((await newer(db, { name: 'b' })).rows).toEqual([{ value: 'two' }]);
  });

  it('binds values as parameters, never as SQL', async () => {
    const { rows } = await secretQueries(db, direct).read(db, { name: "a' or '1'='1" });
    expect(rows).toEqual([]);
  });

  it('runs inside the transaction it is given', async () => {
    const { read, rename } = secretQueries(db, direct);
    await db
      .transaction()
      .execute(async (trx) => {
        await rename(trx, { name: 'a', value: 'changed' });
        expect((await read(trx, { name: 'a' })).rows).toEqual([{ value: 'changed' }]);
        throw new Error('roll back');
      })
      .catch(onlyRollback);
    expect((await read(db, { name: 'a' })).rows).toEqual([{ value: 'one' }]);
  });

  it('reports changed rows as Kysely does', async () => {
    const rename = precompile<{ value: string }, unknown>(
      ['value'],
      ({ value }) => db.updateTable('secrets').set({ value }),
      direct,
    );
    const result = await rename(db, { value: 'x' });
    expect(result.numAffectedRows).toBe(2n);
    expect(result.rows).toEqual([]);
  });

  it('never reads what another caller’s open transaction wrote and has not committed', async () => {
    const { read, rename } = secretQueries(db, direct);
    let written!: () => void;
    const wrote = new Promise<void>((resolve) => (written = resolve));
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const other = db
      .transaction()
      .execute(async (trx) => {
        await rename(trx, { name: 'a', value: 'uncommitted' });
        written();
        await finished;
        throw new Error('roll back');
      })
      .catch(onlyRollback);
    await wrote;
    // The read waits for the transaction (one SQLite connection), which then rolls back.
    const reading = read(db, { name: 'a' });
    finish();
    expect((await reading).rows).toEqual([{ value: 'one' }]);
    await other;
  });

  it('fails with a rejected promise, never a thrown error', async () => {
    const result = secretQueries(db, direct).insert(db, { name: 'a' });
    await expect(result).rejects.toThrow(/UNIQUE/);
  });

  it('refuses a query that does not bind every parameter', () => {
    expect(() =>
      precompile<{ name: string; unused: string }, unknown>(['name', 'unused'], ({ name }) =>
        db.selectFrom('secrets').select('value').where('name', '=', name),
      ),
    ).toThrow(/unused is not bound/);
  });
});

const postgres = await usePostgres('the PostgreSQL direct-statement tests');
describe.skipIf(!postgres)('precompile, as named statements on PostgreSQL', () => {
  let schema: TestSchema;
  let pool: Pool;
  let db: Kysely<Database>;
  let direct: DirectConnection;
  beforeAll(async () => {
    if (!postgres) return;
    schema = await postgres.createSchema();
    // One connection: what the statements prepared on it shows.
    pool = new Pool({ connectionString: schema.url, max: 1 });
    pool.on('error', () => {});
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    direct = postgresDirect(() => pool.connect());
    await createSecrets(db, [{ name: 'a', value: 'one', created: '2026-01-01' }]);
  });
  afterAll(async () => {
    await db?.destroy();
    await schema?.drop();
  });

  it('is prepared once on the connection, under a name that is a digest of its SQL', async () => {
    const { read } = secretQueries(db, direct);
    expect((await read(db, { name: 'a' })).rows).toEqual([{ value: 'one' }]);
    expect((await read(db, { name: 'b' })).rows).toEqual([]);
    const { rows } = await pool.query<{ name: string; statement: string }>(
      'select name, statement from pg_prepared_statements',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.name).toMatch(/^gatehouse_[0-9a-f]{32}$/);
    expect(rows[0]?.statement).toContain('"secrets"');
    // A second precompiled copy of the same query shares the prepared statement.
    await secretQueries(db, direct).read(db, { name: 'a' });
    expect((await pool.query('select name from pg_prepared_statements')).rows).toHaveLength(1);
  });

  it('reports changed rows as Kysely does', async () => {
    const { rename } = secretQueries(db, direct);
    expect((await rename(db, { name: 'a', value: 'one' })).numAffectedRows).toBe(1n);
    expect((await rename(db, { name: 'nobody', value: 'x' })).numAffectedRows).toBe(0n);
  });

  it('in a transaction, runs on the transaction’s own connection', async () => {
    const { read, rename } = secretQueries(db, direct);
    // With one pooled connection, a statement sent to another connection would wait for ever.
    await db
      .transaction()
      .execute(async (trx) => {
        await rename(trx, { name: 'a', value: 'uncommitted' });
        expect((await read(trx, { name: 'a' })).rows).toEqual([{ value: 'uncommitted' }]);
        throw new Error('roll back');
      })
      .catch(onlyRollback);
    expect((await read(db, { name: 'a' })).rows).toEqual([{ value: 'one' }]);
  });

  it('fails with the database’s error, and gives its connection back', async () => {
    const { insert, read } = secretQueries(db, direct);
    await expect(insert(db, { name: 'a' })).rejects.toThrow(/duplicate key/);
    expect((await read(db, { name: 'a' })).rows).toEqual([{ value: 'one' }]);
  });
});

/** The transactions above end by throwing `roll back`; any other error (a failed expect) fails the test. */
function onlyRollback(error: unknown): void {
  if (!(error instanceof Error && error.message === 'roll back')) throw error;
}
