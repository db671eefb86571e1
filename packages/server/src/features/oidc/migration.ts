import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../../store/migrations.js';

/**
 * `identities`: an account's identity at a provider, (issuer, subject), unique across every account, so
 * one identity signs one account in; never matched by email. `oidc_callbacks`: what a flow's callback
 * answered, kept for the flow's lifetime, so a second arrival of the same callback (a reload, a double
 * click) is answered the same way rather than with an error or a second session.
 */
export function identitiesMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('identities')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('provider', 'text', (col) => col.notNull())
        .addColumn('issuer', 'text', (col) => col.notNull())
        .addColumn('subject', 'text', (col) => col.notNull())
        .addColumn('email', 'text')
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('last_used_at', 'text')
        .addUniqueConstraint('identities_issuer_subject_key', ['issuer', 'subject'])
        .execute();
      await db.schema.createIndex('identities_user_idx').on('identities').column('user_id').execute();

      await db.schema
        .createTable('oidc_callbacks')
        .addColumn('state_hash', 'text', (col) => col.primaryKey())
        .addColumn('binding_hash', 'text', (col) => col.notNull())
        // Null while the first arrival is being answered; then where it sent the browser (no secret in it).
        .addColumn('location', 'text')
        .addColumn('expires_at', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex('oidc_callbacks_expires_idx')
        .on('oidc_callbacks')
        .column('expires_at')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table if exists oidc_callbacks`.execute(db);
      await sql`drop table if exists identities`.execute(db);
    },
  };
}
