import { sql, type ColumnDefinitionBuilder, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../../store/migrations.js';

/**
 * Roles, groups and their assignment (table.ts). Every assignment goes with what it assigns: deleting a
 * user, a role or a group deletes its rows here (on delete cascade). The indexes serve the one query of
 * a user's effective roles (by user) and the counts of a role's holders (by role).
 */
export function rolesMigration(dialect: Dialect): Migration {
  const generatedKey = (col: ColumnDefinitionBuilder) =>
    dialect === 'postgres'
      ? col.primaryKey().generatedByDefaultAsIdentity()
      : col.primaryKey().autoIncrement();
  return {
    async up(db: Kysely<unknown>) {
      for (const table of ['roles', 'user_groups']) {
        await db.schema
          .createTable(table)
          .addColumn('id', 'integer', generatedKey)
          .addColumn('name', 'text', (col) => col.notNull().unique())
          .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
          .addColumn('created', 'text', (col) => col.notNull())
          .addColumn('updated', 'text', (col) => col.notNull())
          .execute();
      }
      await db.schema
        .createTable('role_permissions')
        .addColumn('role_id', 'integer', (col) => col.notNull().references('roles.id').onDelete('cascade'))
        .addColumn('permission', 'text', (col) => col.notNull())
        .addPrimaryKeyConstraint('role_permissions_pkey', ['role_id', 'permission'])
        .execute();
      await db.schema
        .createTable('group_roles')
        .addColumn('group_id', 'integer', (col) =>
          col.notNull().references('user_groups.id').onDelete('cascade'),
        )
        .addColumn('role_id', 'integer', (col) => col.notNull().references('roles.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('group_roles_pkey', ['group_id', 'role_id'])
        .execute();
      await db.schema.createIndex('group_roles_role_idx').on('group_roles').column('role_id').execute();
      await db.schema
        .createTable('group_members')
        .addColumn('group_id', 'integer', (col) =>
          col.notNull().references('user_groups.id').onDelete('cascade'),
        )
        .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('group_members_pkey', ['group_id', 'user_id'])
        .execute();
      await db.schema.createIndex('group_members_user_idx').on('group_members').column('user_id').execute();
      await db.schema
        .createTable('user_roles')
        .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('role_id', 'integer', (col) => col.notNull().references('roles.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('user_roles_pkey', ['user_id', 'role_id'])
        .execute();
      await db.schema.createIndex('user_roles_role_idx').on('user_roles').column('role_id').execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of [
        'user_roles',
        'group_members',
        'group_roles',
        'role_permissions',
        'user_groups',
        'roles',
      ]) {
        await sql`drop table if exists ${sql.table(table)}`.execute(db);
      }
    },
  };
}
