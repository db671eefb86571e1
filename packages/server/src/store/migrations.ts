import { randomBytes } from 'node:crypto';
import {
  sql,
  type ColumnDefinitionBuilder,
  type Kysely,
  type Migration,
  type MigrationProvider,
} from 'kysely';
import { factorsMigration } from './factors/migration.js';
import { mailMigration } from './mail/migration.js';
import { oneTimeTokensMigration } from '../core/one-time-tokens/migration.js';
import { rolesMigration } from '../features/roles/migration.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * Versioned migrations, compiled into the package (no files to find at run time). Names sort in the order
 * they apply; an applied migration is never edited, a change is a new one.
 *
 * One schema for every dialect: timestamps are ISO-8601 text and booleans 0/1 integers everywhere (see
 * schema.ts). Only what SQL cannot say the same way differs, in the helpers below.
 */
export function migrationsFor(dialect: Dialect): Record<string, Migration> {
  /**
   * A generated integer key. SQLite: `integer primary key autoincrement` (the rowid; never reuses an
   * id). PostgreSQL: an identity column; `by default` still lets an import give explicit ids.
   */
  const generatedKey = (col: ColumnDefinitionBuilder) =>
    dialect === 'postgres'
      ? col.primaryKey().generatedByDefaultAsIdentity()
      : col.primaryKey().autoIncrement();
  /** PostgreSQL's integer is 32 bits; a log that only grows gets 64 (read back as a string, Number()-ed). */
  const counterType = dialect === 'postgres' ? 'bigint' : 'integer';

  return {
    '0001_initial': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('users')
          .addColumn('id', 'integer', generatedKey)
          .addColumn('public_id', 'text', (col) => col.notNull().unique())
          .addColumn('username', 'text', (col) => col.notNull())
          .addColumn('username_key', 'text', (col) => col.notNull().unique())
          .addColumn('email', 'text', (col) => col.unique())
          .addColumn('first_name', 'text', (col) => col.notNull().defaultTo(''))
          .addColumn('last_name', 'text', (col) => col.notNull().defaultTo(''))
          .addColumn('profile_email', 'text', (col) => col.notNull().defaultTo(''))
          .addColumn('name', 'text', (col) => col.notNull().defaultTo(''))
          .addColumn('password_hash', 'text', (col) => col.notNull())
          .addColumn('is_active', 'integer', (col) => col.notNull().defaultTo(1))
          .addColumn('is_staff', 'integer', (col) => col.notNull().defaultTo(0))
          .addColumn('is_superuser', 'integer', (col) => col.notNull().defaultTo(0))
          .addColumn('last_login', 'text')
          .addColumn('created', 'text', (col) => col.notNull())
          .addColumn('updated', 'text', (col) => col.notNull())
          .execute();
        await db.schema.createIndex('users_updated_idx').on('users').column('updated').execute();

        await db.schema
          .createTable('sessions')
          .addColumn('id', 'text', (col) => col.primaryKey())
          .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
          .addColumn('created_at', 'text', (col) => col.notNull())
          .addColumn('last_used_at', 'text', (col) => col.notNull())
          .addColumn('expires_at', 'text', (col) => col.notNull())
          .addColumn('revoked_at', 'text')
          .addColumn('revoke_reason', 'text')
          .addColumn('user_agent', 'text', (col) => col.notNull().defaultTo(''))
          .addColumn('ip', 'text', (col) => col.notNull().defaultTo(''))
          .execute();
        await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();

        await db.schema
          .createTable('refresh_tokens')
          .addColumn('jti', 'text', (col) => col.primaryKey())
          .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
          .addColumn('family_id', 'text', (col) =>
            col.notNull().references('sessions.id').onDelete('cascade'),
          )
          .addColumn('issued_at', 'text', (col) => col.notNull())
          .addColumn('expires_at', 'text', (col) => col.notNull())
          .addColumn('revoked_at', 'text')
          .addColumn('replaced_by', 'text')
          .execute();
        await db.schema
          .createIndex('refresh_tokens_user_idx')
          .on('refresh_tokens')
          .column('user_id')
          .execute();
        await db.schema
          .createIndex('refresh_tokens_family_idx')
          .on('refresh_tokens')
          .column('family_id')
          .execute();
        await db.schema
          .createIndex('refresh_tokens_expires_idx')
          .on('refresh_tokens')
          .column('expires_at')
          .execute();

        await db.schema
          .createTable('audit_log')
          .addColumn('id', counterType, generatedKey)
          .addColumn('at', 'text', (col) => col.notNull())
          .addColumn('actor_id', 'integer', (col) => col.references('users.id').onDelete('set null'))
          .addColumn('actor', 'text', (col) => col.notNull())
          .addColumn('action', 'text', (col) => col.notNull())
          .addColumn('target_id', 'integer', (col) => col.references('users.id').onDelete('set null'))
          .addColumn('target', 'text', (col) => col.notNull().defaultTo(''))
          .addColumn('detail', 'text', (col) => col.notNull().defaultTo('{}'))
          .addColumn('ip', 'text', (col) => col.notNull().defaultTo(''))
          .execute();
        await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute();

        // Counters shared by every server process: failed logins (growing delays) and rate limits.
        await db.schema
          .createTable('login_failures')
          .addColumn('key', 'text', (col) => col.primaryKey())
          .addColumn('failures', 'integer', (col) => col.notNull())
          .addColumn('last_failure_at', 'text', (col) => col.notNull())
          .addColumn('blocked_until', 'text', (col) => col.notNull())
          .execute();
        await db.schema
          .createTable('rate_limits')
          .addColumn('key', 'text', (col) => col.primaryKey())
          .addColumn('window_start', 'text', (col) => col.notNull())
          .addColumn('count', 'integer', (col) => col.notNull())
          .execute();

        await db.schema
          .createTable('secrets')
          .addColumn('name', 'text', (col) => col.primaryKey())
          .addColumn('value', 'text', (col) => col.notNull())
          .addColumn('created', 'text', (col) => col.notNull())
          .execute();
      },
      async down(db: Kysely<unknown>) {
        for (const table of [
          'secrets',
          'rate_limits',
          'login_failures',
          'audit_log',
          'refresh_tokens',
          'sessions',
          'users',
        ]) {
          await sql`drop table if exists ${sql.table(table)}`.execute(db);
        }
      },
    },

    '0002_signing_keys': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('signing_keys')
          .addColumn('id', 'integer', generatedKey)
          .addColumn('kid', 'text', (col) => col.notNull().unique())
          .addColumn('algorithm', 'text', (col) => col.notNull())
          .addColumn('public_key', 'text')
          .addColumn('private_key', 'text', (col) => col.notNull())
          .addColumn('status', 'text', (col) => col.notNull().defaultTo('active'))
          .addColumn('created_at', 'text', (col) => col.notNull())
          .addColumn('retired_at', 'text')
          .execute();
        // The secret 0001 generated on first start becomes the first key, so that the tokens signed with it
        // (they carry no kid) stay valid. It is kept in the clear: with a key-encryption key, the first start
        // asks for `gatehouse keys seal` (a key in the clear may have been planted).
        const { rows } = await sql<{ value: string; created: string }>`
          select value, created from secrets where name = ${LEGACY_SECRET}`.execute(db);
        const legacy = rows[0];
        if (legacy) {
          const kid = randomBytes(12).toString('base64url');
          const sealed = `plaintext:${Buffer.from(legacy.value, 'utf8').toString('base64url')}`;
          await sql`insert into signing_keys (kid, algorithm, public_key, private_key, status, created_at)
            values (${kid}, 'HMAC', null, ${sealed}, 'active', ${legacy.created})`.execute(db);
          await sql`delete from secrets where name = ${LEGACY_SECRET}`.execute(db);
        }
      },
      async down(db: Kysely<unknown>) {
        // The key the up made of the legacy secret goes back to `secrets`, so that a server from before 0002
        // still verifies the tokens signed with it: the first HMAC key still in the clear and not retired (a
        // retired key is not brought back to life), when its bytes are the text the up encoded.
        const { rows } = await sql<{ private_key: string; created_at: string }>`
          select private_key, created_at from signing_keys
          where algorithm = 'HMAC' and status = 'active' and private_key like 'plaintext:%'
          order by id limit 1`.execute(db);
        const first = rows[0];
        if (first) {
          const secret = Buffer.from(first.private_key.slice('plaintext:'.length), 'base64url');
          const value = secret.toString('utf8');
          if (Buffer.from(value, 'utf8').equals(secret)) {
            await sql`insert into secrets (name, value, created) values (${LEGACY_SECRET}, ${value}, ${first.created_at})
              on conflict (name) do nothing`.execute(db);
          }
        }
        await sql`drop table if exists signing_keys`.execute(db);
      },
    },

    // Sign-in methods as features: a session records how its user proved who they are (RFC 8176 `amr`
    // values, JSON) and when; an account created by a social login or a passkey has no password.
    '0003_session_methods': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .alterTable('sessions')
          .addColumn('amr', 'text', (col) => col.notNull().defaultTo('["pwd"]'))
          .execute();
        await db.schema.alterTable('sessions').addColumn('auth_time', 'text').execute();
        // Every session so far began with a password, at its creation.
        await sql`update sessions set auth_time = created_at`.execute(db);
        if (dialect === 'postgres') {
          await sql`alter table users alter column password_hash drop not null`.execute(db);
        } else {
          await rebuildSqliteUsers(db, 'password_hash text');
        }
      },
      async down(db: Kysely<unknown>) {
        // Before 0003 every account had a password: one without cannot go back, and is not guessed at.
        const { rows } = await sql<{ count: number | string }>`
          select count(*) as count from users where password_hash is null`.execute(db);
        const passwordless = Number(rows[0]?.count ?? 0);
        if (passwordless > 0) {
          throw new Error(
            `0003 down: ${passwordless} account(s) have no password (signed up by a social login or a ` +
              'passkey), which the schema before 0003 cannot hold: set them a password or delete them first',
          );
        }
        if (dialect === 'postgres') {
          await sql`alter table users alter column password_hash set not null`.execute(db);
        } else {
          await rebuildSqliteUsers(db, 'password_hash text not null');
        }
        await db.schema.alterTable('sessions').dropColumn('auth_time').execute();
        await db.schema.alterTable('sessions').dropColumn('amr').execute();
      },
    },

    // One table for every short-lived secret a flow needs (core/one-time-tokens).
    '0004_one_time_tokens': oneTimeTokensMigration(dialect),

    // The account lifecycle by email: whether an address was proved, and the queue of mails to send.
    '0005_email': mailMigration(dialect),

    // Whether a session was opened in browser mode: the rotation grace period is for those only.
    '0006_session_browser': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .alterTable('sessions')
          .addColumn('browser', 'integer', (col) => col.notNull().defaultTo(0))
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.alterTable('sessions').dropColumn('browser').execute();
      },
    },

    // Second factors and passkeys: TOTP, recovery codes, WebAuthn credentials and user handles.
    '0007_factors': factorsMigration(dialect),

    // Roles, permissions and groups (features/roles).
    '0008_roles': rolesMigration(dialect),
  };
}

/**
 * SQLite cannot drop or add a NOT NULL constraint: the users table is rebuilt (SQLite's documented procedure,
 * "Making Other Kinds Of Table Schema Changes"), with foreign keys off so that dropping the old table
 * neither cascades into sessions nor fails; the other tables' references name `users` and so point at
 * the new table once it is renamed. Kysely runs SQLite migrations outside a transaction: this one opens
 * its own, so a crash half-way leaves the old table as it was.
 */
async function rebuildSqliteUsers(
  db: Kysely<unknown>,
  passwordHash: 'password_hash text' | 'password_hash text not null',
): Promise<void> {
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await sql`begin immediate`.execute(db);
    try {
      await sql`create table users_new (
        id integer primary key autoincrement,
        public_id text not null unique,
        username text not null,
        username_key text not null unique,
        email text unique,
        first_name text not null default '',
        last_name text not null default '',
        profile_email text not null default '',
        name text not null default '',
        ${sql.raw(passwordHash)},
        is_active integer not null default 1,
        is_staff integer not null default 0,
        is_superuser integer not null default 0,
        last_login text,
        created text not null,
        updated text not null
      )`.execute(db);
      await sql`insert into users_new (id, public_id, username, username_key, email, first_name, last_name,
          profile_email, name, password_hash, is_active, is_staff, is_superuser, last_login, created, updated)
        select id, public_id, username, username_key, email, first_name, last_name,
          profile_email, name, password_hash, is_active, is_staff, is_superuser, last_login, created, updated
        from users`.execute(db);
      // AUTOINCREMENT never reuses an id, not even that of a user deleted before the rebuild.
      await sql`delete from sqlite_sequence where name = 'users_new'`.execute(db);
      await sql`insert into sqlite_sequence (name, seq)
        select 'users_new', seq from sqlite_sequence where name = 'users'`.execute(db);
      await sql`drop table users`.execute(db);
      await sql`alter table users_new rename to users`.execute(db);
      await sql`create index users_updated_idx on users (updated)`.execute(db);
      const { rows } = await sql`pragma foreign_key_check`.execute(db);
      if (rows.length > 0)
        throw new Error(`0003: foreign keys broken by the users rebuild: ${JSON.stringify(rows)}`);
      await sql`commit`.execute(db);
    } catch (error) {
      await sql`rollback`.execute(db);
      throw error;
    }
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}

/** Where 0001-era Gatehouse kept its generated HMAC secret. */
const LEGACY_SECRET = 'jwt_signing_key';

export function migrationProvider(dialect: Dialect): MigrationProvider {
  const migrations = migrationsFor(dialect);
  return { getMigrations: async () => migrations };
}
