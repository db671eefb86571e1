import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../../store/migrations.js';

/** The same SQL in every dialect: ISO-8601 text timestamps, as in the rest of the schema. */
export function oneTimeTokensMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('one_time_tokens')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('purpose', 'text', (col) => col.notNull())
        .addColumn('user_id', 'integer', (col) => col.references('users.id').onDelete('cascade'))
        .addColumn('token_hash', 'text', (col) => col.notNull().unique())
        .addColumn('data', 'text')
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('expires_at', 'text', (col) => col.notNull())
        .addColumn('used_at', 'text')
        .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (col) => col.notNull())
        .execute();
      // Codes are found, and earlier tokens revoked, by user and purpose; the sweep goes by expiry.
      await db.schema
        .createIndex('one_time_tokens_user_purpose_idx')
        .on('one_time_tokens')
        .columns(['user_id', 'purpose'])
        .execute();
      await db.schema
        .createIndex('one_time_tokens_expires_idx')
        .on('one_time_tokens')
        .column('expires_at')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table if exists one_time_tokens`.execute(db);
    },
  };
}
