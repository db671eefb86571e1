import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../migrations.js';

/** `users.email_verified`, and the mail queue; the same SQL in every dialect. */
export function mailMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('users')
        .addColumn('email_verified', 'integer', (col) => col.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable('mail_outbox')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('recipient', 'text', (col) => col.notNull())
        .addColumn('user_id', 'integer')
        .addColumn('data', 'text', (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('next_attempt_at', 'text', (col) => col.notNull())
        .addColumn('locked_until', 'text')
        .addColumn('finished_at', 'text')
        .addColumn('last_error', 'text')
        .addColumn('message_id', 'text')
        .execute();
      // Senders look for due queued rows; the sweep and `gatehouse mail status` go by status.
      await db.schema
        .createIndex('mail_outbox_due_idx')
        .on('mail_outbox')
        .columns(['status', 'next_attempt_at'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table if exists mail_outbox`.execute(db);
      await db.schema.alterTable('users').dropColumn('email_verified').execute();
    },
  };
}
