import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../migrations.js';

/** Second factors and passkeys (table.ts says what each holds). The same SQL in every dialect. */
export function factorsMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('totp_factors')
        .addColumn('user_id', 'integer', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('secret', 'text', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('confirmed_at', 'text')
        .addColumn('last_used_step', 'bigint')
        .execute();

      await db.schema
        .createTable('recovery_codes')
        .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('code_hash', 'text', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('used_at', 'text')
        .addPrimaryKeyConstraint('recovery_codes_pkey', ['user_id', 'code_hash'])
        .execute();

      await db.schema
        .createTable('passkeys')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('credential_id', 'text', (col) => col.notNull().unique())
        .addColumn('public_key', 'text', (col) => col.notNull())
        .addColumn('sign_count', 'bigint', (col) => col.notNull().defaultTo(0))
        .addColumn('transports', 'text', (col) => col.notNull().defaultTo('[]'))
        .addColumn('device_type', 'text', (col) => col.notNull())
        .addColumn('backed_up', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('aaguid', 'text', (col) => col.notNull().defaultTo(''))
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('last_used_at', 'text')
        .execute();
      await db.schema.createIndex('passkeys_user_idx').on('passkeys').column('user_id').execute();

      await db.schema
        .createTable('webauthn_user_handles')
        .addColumn('user_id', 'integer', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('handle', 'text', (col) => col.notNull().unique())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['webauthn_user_handles', 'passkeys', 'recovery_codes', 'totp_factors']) {
        await sql`drop table if exists ${sql.table(table)}`.execute(db);
      }
    },
  };
}
