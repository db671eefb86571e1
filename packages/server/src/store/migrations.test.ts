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

const directories: string[] = [];
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

describeMigration0003('SQLite (a file)', 'sqlite', async () => {
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
});

const postgres = await usePostgres('the migration tests');
describeMigration0003(
  'PostgreSQL',
  'postgres',
  async () => {
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
  },
  postgres === undefined,
);
