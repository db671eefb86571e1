import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../../store/migrations.js';

/** Users and groups moved from Django (gatehouse import django), and the old deployment's refresh tokens. */
export function djangoMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('django_users')
        .addColumn('user_id', 'integer', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('django_id', 'integer', (col) => col.notNull().unique())
        .addColumn('imported_at', 'text', (col) => col.notNull())
        // When all of the user's sessions last ended here (store/session-ends.ts): the old tokens' cutoff.
        .addColumn('sessions_ended_at', 'text')
        .execute();
      await db.schema
        .createTable('django_tokens')
        .addColumn('jti', 'text', (col) => col.primaryKey())
        .addColumn('django_user_id', 'integer', (col) => col.notNull())
        .addColumn('expires_at', 'text', (col) => col.notNull())
        .addColumn('blacklisted_at', 'text')
        .execute();
      // A Django group became a Gatehouse group holding one role of the same name (0008_roles' tables).
      await db.schema
        .createTable('django_groups')
        .addColumn('django_id', 'integer', (col) => col.primaryKey())
        .addColumn('group_id', 'integer', (col) =>
          col.notNull().references('user_groups.id').onDelete('cascade'),
        )
        .addColumn('role_id', 'integer', (col) => col.notNull().references('roles.id').onDelete('cascade'))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table if exists django_groups`.execute(db);
      await sql`drop table if exists django_tokens`.execute(db);
      await sql`drop table if exists django_users`.execute(db);
    },
  };
}
