import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../../store/migrations.js';

/** Users moved from Django (gatehouse import django) and the old deployment's refresh tokens. */
export function djangoMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('django_users')
        .addColumn('user_id', 'integer', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('django_id', 'integer', (col) => col.notNull().unique())
        .addColumn('imported_at', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createTable('django_tokens')
        .addColumn('jti', 'text', (col) => col.primaryKey())
        .addColumn('django_user_id', 'integer', (col) => col.notNull())
        .addColumn('expires_at', 'text', (col) => col.notNull())
        .addColumn('blacklisted_at', 'text')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table if exists django_tokens`.execute(db);
      await sql`drop table if exists django_users`.execute(db);
    },
  };
}
