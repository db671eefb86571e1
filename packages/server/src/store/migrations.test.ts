import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { usePostgres } from '../testing/postgres.js';
import { migrationProvider, type Dialect } from './migrations.js';

interface Opened {
  db: Kysely<unknown>;
  migrator: Migrator;
  close(): Promise<void>;
}

const T = '2025-01-01T00:00:00.000Z';

/**
 * Migration 0003 on a database that already has users, sessions, tokens and audit entries: what was
 * there stays, with the same ids and references, and password_hash accepts null.
 */
function describeMigration0003(name: string, dialect: Dialect, open: () => Promise<Opened>, skip = false) {
  describe.skipIf(skip)(`migration 0003 on existing data: ${name}`, () => {
    test('sessions get amr ["pwd"] and auth_time = created_at; users keep ids, references and cascades', async () => {
      const { db, migrator, close } = await open();
      try {
        expect((await migrator.migrateTo('0002_signing_keys')).error).toBeUndefined();
        for (const [id, username] of [
          [1, 'alice'],
          [2, 'bob'],
          [3, 'carol'],
        ] as const) {
          await sql`insert into users (id, public_id, username, username_key, email, password_hash, created, updated)
            values (${id}, ${`pub-${id}`}, ${username}, ${username}, ${`${username}@example.com`}, ${`hash-${id}`}, ${T}, ${T})`.execute(
            db,
          );
        }
        if (dialect === 'postgres') {
          await sql`select setval(pg_get_serial_sequence('users', 'id'), 3)`.execute(db);
        }
        // The newest user is deleted before the migration: its id is never given again.
        await sql`delete from users where id = 3`.execute(db);
        await sql`insert into sessions (id, user_id, created_at, last_used_at, expires_at)
          values ('s1', 1, '2025-01-02T00:00:00.000Z', ${T}, '2026-01-01T00:00:00.000Z')`.execute(db);
        await sql`insert into refresh_tokens (jti, user_id, family_id, issued_at, expires_at)
          values ('j1', 1, 's1', ${T}, '2026-01-01T00:00:00.000Z')`.execute(db);
        await sql`insert into audit_log (at, actor_id, actor, action, target_id, target)
          values (${T}, 2, 'bob', 'user.update', 1, 'alice')`.execute(db);

        const { error, results } = await migrator.migrateToLatest();
        expect(error).toBeUndefined();
        expect(results?.map((r) => r.migrationName)).toContain('0003_session_methods');

        const { rows: sessions } = await sql<{ amr: string; auth_time: string }>`
          select amr, auth_time from sessions`.execute(db);
        expect(sessions).toEqual([{ amr: '["pwd"]', auth_time: '2025-01-02T00:00:00.000Z' }]);
        const { rows: users } = await sql<{ id: number; password_hash: string }>`
          select id, password_hash from users order by id`.execute(db);
        expect(users.map((u) => [Number(u.id), u.password_hash])).toEqual([
          [1, 'hash-1'],
          [2, 'hash-2'],
        ]);
        // An account without a password, given the next id: not the deleted user's.
        const { rows: inserted } = await sql<{ id: number }>`
          insert into users (public_id, username, username_key, email, password_hash, created, updated)
          values ('pub-new', 'dora', 'dora', null, null, ${T}, ${T}) returning id`.execute(db);
        expect(Number(inserted[0]?.id)).toBe(4);
        // Unique constraints survived the rebuild.
        await expect(
          sql`insert into users (public_id, username, username_key, created, updated)
            values ('pub-x', 'ALICE', 'alice', ${T}, ${T})`.execute(db),
        ).rejects.toThrow();
        // The references point at the new table: deleting alice cascades, bob's entry loses its actor.
        await sql`delete from users where id = 1`.execute(db);
        await sql`delete from users where id = 2`.execute(db);
        expect((await sql`select * from sessions`.execute(db)).rows).toEqual([]);
        expect((await sql`select * from refresh_tokens`.execute(db)).rows).toEqual([]);
        const { rows: audit } = await sql<{
          actor_id: number | null;
          target_id: number | null;
          actor: string;
        }>`
          select actor_id, target_id, actor from audit_log`.execute(db);
        expect(audit).toEqual([{ actor_id: null, target_id: null, actor: 'bob' }]);
        // A session for a user that does not exist is still refused: foreign keys are on again.
        await expect(
          sql`insert into sessions (id, user_id, created_at, last_used_at, expires_at)
            values ('s2', 999, ${T}, ${T}, ${T})`.execute(db),
        ).rejects.toThrow();
      } finally {
        await close();
      }
    });
  });
}

/** The schema as the database describes it: every table's columns, indexes and references, by name. */
async function schemaOf(db: Kysely<unknown>, dialect: Dialect): Promise<Record<string, unknown>> {
  const shape: Record<string, unknown> = {};
  if (dialect === 'sqlite') {
    const { rows: tables } = await sql<{ name: string }>`
      select name from sqlite_master
      where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%' order by name`.execute(
      db,
    );
    for (const { name } of tables) {
      const quoted = `'${name}'`;
      const pragma = async (what: string) =>
        (await sql.raw<Record<string, unknown>>(`pragma ${what}(${quoted})`).execute(db)).rows;
      const indexes = await pragma('index_list');
      shape[name] = {
        columns: await pragma('table_info'),
        foreignKeys: await pragma('foreign_key_list'),
        indexes: await Promise.all(
          indexes
            .sort((a, b) => String(a['name']).localeCompare(String(b['name'])))
            .map(async (index) => ({
              name: String(index['name']).startsWith('sqlite_autoindex_') ? 'autoindex' : index['name'],
              unique: index['unique'],
              columns: (
                await sql.raw<{ name: string }>(`pragma index_info('${String(index['name'])}')`).execute(db)
              ).rows.map((column) => column.name),
            })),
        ),
      };
    }
    return shape;
  }
  const { rows: columns } = await sql<Record<string, unknown> & { table_name: string }>`
    select table_name, column_name, ordinal_position, data_type, is_nullable, column_default, is_identity
    from information_schema.columns
    where table_schema = current_schema() and table_name not like 'kysely_%'
    order by table_name, ordinal_position`.execute(db);
  const { rows: indexes } = await sql<{ tablename: string; indexname: string; indexdef: string }>`
    select tablename, indexname, indexdef from pg_indexes
    where schemaname = current_schema() and tablename not like 'kysely_%' order by indexname`.execute(db);
  const { rows: constraints } = await sql<{ table_name: string; definition: string }>`
    select rel.relname as table_name, pg_get_constraintdef(con.oid) as definition
    from pg_constraint con join pg_class rel on rel.oid = con.conrelid
    join pg_namespace ns on ns.oid = rel.relnamespace
    where ns.nspname = current_schema() and rel.relname not like 'kysely_%'
    order by rel.relname, definition`.execute(db);
  for (const { table_name, ...column } of columns) {
    const table = (shape[table_name] ??= { columns: [], indexes: [], constraints: [] }) as Record<
      string,
      unknown[]
    >;
    table['columns']?.push(column);
  }
  for (const { tablename, indexname, indexdef } of indexes) {
    (shape[tablename] as Record<string, unknown[]>)['indexes']?.push({ indexname, indexdef });
  }
  for (const { table_name, definition } of constraints) {
    (shape[table_name] as Record<string, unknown[]>)['constraints']?.push(definition);
  }
  return shape;
}

/**
 * Every migration's `down`, in order from the newest to the first, on a database holding data: each
 * leaves the schema exactly as it was before its `up`, down to nothing; then every `up` applies again.
 */
function describeDownAndUp(name: string, dialect: Dialect, open: () => Promise<Opened>, skip = false) {
  describe.skipIf(skip)(`every down, then every up again: ${name}`, () => {
    test('each down restores the schema before its up; after the last, no table is left', async () => {
      const { db, migrator, close } = await open();
      try {
        const names = (await migrator.getMigrations()).map((migration) => migration.name);
        const before: Record<string, unknown>[] = [await schemaOf(db, dialect)];
        for (const migration of names) {
          const { error, results } = await migrator.migrateUp();
          expect(error, migration).toBeUndefined();
          expect(results?.map((result) => result.migrationName)).toEqual([migration]);
          before.push(await schemaOf(db, dialect));
        }
        expect(Object.keys(before[0] ?? {})).toEqual([]);

        // Data in the tables the downs change.
        await sql`insert into users (public_id, username, username_key, email, password_hash, email_verified, created, updated)
          values ('pub-1', 'alice', 'alice', 'alice@example.com', 'hash-1', 1, ${T}, ${T})`.execute(db);
        const { rows } = await sql<{ id: number }>`select id from users`.execute(db);
        const userId = Number(rows[0]?.id);
        await sql`insert into sessions (id, user_id, created_at, last_used_at, expires_at, amr, auth_time)
          values ('s1', ${userId}, ${T}, ${T}, '2026-01-01T00:00:00.000Z', '["pwd"]', ${T})`.execute(db);
        await sql`insert into refresh_tokens (jti, user_id, family_id, issued_at, expires_at)
          values ('j1', ${userId}, 's1', ${T}, '2026-01-01T00:00:00.000Z')`.execute(db);
        await sql`insert into mail_outbox (id, kind, recipient, user_id, data, status, created_at, next_attempt_at)
          values ('m1', 'verification', 'alice@example.com', ${userId}, '{}', 'queued', ${T}, ${T})`.execute(
          db,
        );

        for (let index = names.length - 1; index >= 0; index--) {
          const migration = names[index] as string;
          const { error, results } = await migrator.migrateDown();
          expect(error, `${migration} down`).toBeUndefined();
          expect(results?.map((result) => [result.migrationName, result.direction, result.status])).toEqual([
            [migration, 'Down', 'Success'],
          ]);
          expect(await schemaOf(db, dialect), `after ${migration} down`).toEqual(before[index]);
        }
        expect(
          (await migrator.getMigrations()).every((migration) => migration.executedAt === undefined),
        ).toBe(true);

        const again = await migrator.migrateToLatest();
        expect(again.error).toBeUndefined();
        expect(again.results?.map((result) => result.migrationName)).toEqual(names);
        expect(await schemaOf(db, dialect)).toEqual(before.at(-1));
      } finally {
        await close();
      }
    });

    test('0003 down refuses while an account has no password (the schema before it cannot hold one)', async () => {
      const { db, migrator, close } = await open();
      try {
        expect((await migrator.migrateToLatest()).error).toBeUndefined();
        await sql`insert into users (public_id, username, username_key, password_hash, created, updated)
          values ('pub-1', 'passkey-only', 'passkey-only', null, ${T}, ${T})`.execute(db);
        const { error } = await migrator.migrateTo('0002_signing_keys');
        expect(String(error)).toContain(
          '0003 down: 1 account(s) have no password (signed up by a social login or a passkey)',
        );
        const applied = (await migrator.getMigrations()).filter((migration) => migration.executedAt);
        expect(applied.map((migration) => migration.name)).toContain('0003_session_methods');
        const { rows } = await sql<{ password_hash: string | null }>`
          select password_hash from users`.execute(db);
        expect(rows).toEqual([{ password_hash: null }]);
      } finally {
        await close();
      }
    });
  });
}

/**
 * Migration 0002 moves the secret 0001's server generated into signing_keys; its down puts it back, so a
 * server from before 0002 still verifies the tokens signed with it.
 */
function describeMigration0002(name: string, open: () => Promise<Opened>, skip = false) {
  describe.skipIf(skip)(`migration 0002 and its down on the legacy secret: ${name}`, () => {
    const legacy = 'kX9_legacy-secret-from-0001-0123456789abcdef';

    test('up moves the secret into signing_keys; down restores the secrets row as it was', async () => {
      const { db, migrator, close } = await open();
      try {
        expect((await migrator.migrateTo('0001_initial')).error).toBeUndefined();
        await sql`insert into secrets (name, value, created) values ('jwt_signing_key', ${legacy}, ${T})`.execute(
          db,
        );

        expect((await migrator.migrateTo('0002_signing_keys')).error).toBeUndefined();
        const { rows: keys } = await sql<{
          algorithm: string;
          private_key: string;
          status: string;
          created_at: string;
        }>`
          select algorithm, private_key, status, created_at from signing_keys`.execute(db);
        expect(keys).toEqual([
          {
            algorithm: 'HMAC',
            private_key: `plaintext:${Buffer.from(legacy).toString('base64url')}`,
            status: 'active',
            created_at: T,
          },
        ]);
        expect((await sql`select * from secrets`.execute(db)).rows).toEqual([]);

        // A key added later, after the moved one: the down restores the moved one.
        await sql`insert into signing_keys (kid, algorithm, public_key, private_key, status, created_at)
          values ('later', 'HMAC', null, ${`plaintext:${Buffer.from('a later key').toString('base64url')}`}, 'active', '2025-06-01T00:00:00.000Z')`.execute(
          db,
        );
        const { error } = await migrator.migrateDown();
        expect(error).toBeUndefined();
        const { rows: secrets } = await sql`select name, value, created from secrets`.execute(db);
        expect(secrets).toEqual([{ name: 'jwt_signing_key', value: legacy, created: T }]);

        // And up again moves it once more.
        expect((await migrator.migrateTo('0002_signing_keys')).error).toBeUndefined();
        const { rows: again } = await sql<{
          private_key: string;
        }>`select private_key from signing_keys`.execute(db);
        expect(again).toEqual([{ private_key: `plaintext:${Buffer.from(legacy).toString('base64url')}` }]);
      } finally {
        await close();
      }
    });

    test('down brings no retired key back to life', async () => {
      const { db, migrator, close } = await open();
      try {
        expect((await migrator.migrateTo('0001_initial')).error).toBeUndefined();
        await sql`insert into secrets (name, value, created) values ('jwt_signing_key', ${legacy}, ${T})`.execute(
          db,
        );
        expect((await migrator.migrateTo('0002_signing_keys')).error).toBeUndefined();
        await sql`update signing_keys set status = 'retired', retired_at = ${T}`.execute(db);
        expect((await migrator.migrateDown()).error).toBeUndefined();
        expect((await sql`select * from secrets`.execute(db)).rows).toEqual([]);
      } finally {
        await close();
      }
    });
  });
}

const directories: string[] = [];
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

async function openSqlite(): Promise<Opened> {
  const directory = mkdtempSync(path.join(tmpdir(), 'gatehouse-migrations-'));
  directories.push(directory);
  const database = new SqliteDatabase(path.join(directory, 'db.sqlite3'));
  database.pragma('foreign_keys = ON');
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
  return {
    db,
    migrator: new Migrator({ db, provider: migrationProvider('sqlite') }),
    close: () => db.destroy(),
  };
}
describeMigration0003('SQLite (a file)', 'sqlite', openSqlite);
describeDownAndUp('SQLite (a file)', 'sqlite', openSqlite);
describeMigration0002('SQLite (a file)', openSqlite);

const postgres = await usePostgres('the migration tests');
async function openPostgres(): Promise<Opened> {
  if (!postgres) throw new Error('unreachable: skipped without PostgreSQL');
  const schema = await postgres.createSchema();
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: schema.url, max: 1 }) }),
  });
  return {
    db,
    migrator: new Migrator({
      db,
      provider: migrationProvider('postgres'),
      migrationTableSchema: schema.name,
    }),
    close: async () => {
      await db.destroy();
      await schema.drop();
    },
  };
}
describeMigration0003('PostgreSQL', 'postgres', openPostgres, postgres === undefined);
describeDownAndUp('PostgreSQL', 'postgres', openPostgres, postgres === undefined);
describeMigration0002('PostgreSQL', openPostgres, postgres === undefined);
