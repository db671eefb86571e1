import type { Kysely } from 'kysely';
import { insertAudit } from '../../store/audit/kysely-store.js';
import type { Database } from '../../store/schema.js';
import { endSessions } from '../../store/session-ends.js';
import { toUser, USER_COLUMNS } from '../../store/user-rows.js';
import { addGroupMembers, insertGroup, insertRole } from '../roles/kysely-store.js';
import type { DjangoStore, ImportedGroup, ImportedUser } from './store.js';

export function kyselyDjango(db: Kysely<Database>): DjangoStore {
  return {
    async listImportTargets() {
      const rows = await db
        .selectFrom('users')
        .leftJoin('django_users', 'django_users.user_id', 'users.id')
        .select([
          'users.id',
          'users.public_id',
          'users.username',
          'users.username_key',
          'users.email',
          'users.first_name',
          'users.last_name',
          'users.profile_email',
          'users.password_hash',
          'users.is_active',
          'users.is_staff',
          'users.is_superuser',
          'users.last_login',
          'users.created',
          'django_users.django_id',
        ])
        .execute();
      return rows.map((row) => ({
        id: row.id,
        publicId: row.public_id,
        username: row.username,
        usernameKey: row.username_key,
        email: row.email,
        firstName: row.first_name,
        lastName: row.last_name,
        profileEmail: row.profile_email,
        passwordHash: row.password_hash,
        isActive: row.is_active === 1,
        isStaff: row.is_staff === 1,
        isSuperuser: row.is_superuser === 1,
        lastLogin: row.last_login === null ? null : new Date(row.last_login),
        created: new Date(row.created),
        djangoId: row.django_id === null ? null : Number(row.django_id),
      }));
    },

    async listGroupTargets() {
      const [roles, groups, imported] = await Promise.all([
        db.selectFrom('roles').select('name').execute(),
        db.selectFrom('user_groups').select('name').execute(),
        db
          .selectFrom('django_groups')
          .innerJoin('user_groups', 'user_groups.id', 'django_groups.group_id')
          .select(['django_groups.django_id', 'user_groups.name'])
          .execute(),
      ]);
      return {
        roles: new Set(roles.map((r) => r.name)),
        groups: new Set(groups.map((g) => g.name)),
        imported: new Map(imported.map((row) => [Number(row.django_id), row.name])),
      };
    },

    async applyDjangoImport(changes, now) {
      const stamp = now.toISOString();
      const fields = (user: Omit<ImportedUser, 'passwordHash' | 'djangoId'>) => ({
        public_id: user.publicId,
        username: user.username,
        username_key: user.usernameKey,
        email: user.email,
        first_name: user.firstName,
        last_name: user.lastName,
        profile_email: user.profileEmail,
        is_active: Number(user.isActive),
        is_staff: Number(user.isStaff),
        is_superuser: Number(user.isSuperuser),
        last_login: user.lastLogin?.toISOString() ?? null,
        created: user.created.toISOString(),
        updated: stamp,
      });
      await db.transaction().execute(async (trx) => {
        for (const { djangoId, passwordHash, ...user } of changes.create) {
          const { id } = await trx
            .insertInto('users')
            .values({ ...fields(user), name: '', password_hash: passwordHash })
            .returning('id')
            .executeTakeFirstOrThrow();
          await trx
            .insertInto('django_users')
            .values({ user_id: id, django_id: djangoId, imported_at: stamp })
            .execute();
        }
        for (const { userId, djangoId, passwordHash, ...user } of changes.update) {
          const before = await trx
            .selectFrom('users')
            .select('is_active')
            .where('id', '=', userId)
            .executeTakeFirstOrThrow();
          await trx
            .updateTable('users')
            .set({ ...fields(user), ...(passwordHash !== undefined && { password_hash: passwordHash }) })
            .where('id', '=', userId)
            .execute();
          // Deactivated on the old site since the last import: logged out here too.
          if (before.is_active === 1 && !user.isActive) await endSessions(trx, userId, 'deactivated', stamp);
          await trx
            .updateTable('django_users')
            .set({ django_id: djangoId, imported_at: stamp })
            .where('user_id', '=', userId)
            .execute();
        }
        for (const token of changes.tokens) {
          const blacklisted = token.blacklistedAt?.toISOString() ?? null;
          await trx
            .insertInto('django_tokens')
            .values({
              jti: token.jti,
              django_user_id: token.djangoUserId,
              expires_at: token.expiresAt.toISOString(),
              blacklisted_at: blacklisted,
            })
            .onConflict((oc) =>
              oc.column('jti').doUpdateSet((eb) => ({
                expires_at: eb.ref('excluded.expires_at'),
                // Never un-blacklisted: spent here, or blacklisted there, it stays refused.
                blacklisted_at: eb.fn.coalesce('django_tokens.blacklisted_at', 'excluded.blacklisted_at'),
              })),
            )
            .execute();
        }
        for (const group of changes.groups?.create ?? []) await createGroup(trx, group, now);
        for (const group of changes.groups?.update ?? []) await syncGroup(trx, group, now);
        await insertAudit(trx, changes.audit);
      });
    },

    async findDjangoUser(djangoId) {
      const row = await db
        .selectFrom('django_users')
        .innerJoin('users', 'users.id', 'django_users.user_id')
        .select([...USER_COLUMNS, 'django_users.sessions_ended_at'])
        .where('django_users.django_id', '=', djangoId)
        .executeTakeFirst();
      if (!row) return undefined;
      const ended = row.sessions_ended_at;
      return { user: toUser(row), sessionsEndedAt: ended === null ? null : new Date(ended) };
    },

    async isDjangoTokenBlacklisted(jti) {
      const row = await db
        .selectFrom('django_tokens')
        .select('blacklisted_at')
        .where('jti', '=', jti)
        .executeTakeFirst();
      return row !== undefined && row.blacklisted_at !== null;
    },

    async spendDjangoToken(token, now) {
      const stamp = now.toISOString();
      const row = await db
        .insertInto('django_tokens')
        .values({
          jti: token.jti,
          django_user_id: token.djangoUserId,
          expires_at: token.expiresAt.toISOString(),
          blacklisted_at: stamp,
        })
        .onConflict((oc) =>
          oc
            .column('jti')
            .doUpdateSet({ blacklisted_at: stamp })
            .where('django_tokens.blacklisted_at', 'is', null),
        )
        .returning('jti')
        .executeTakeFirst();
      return row !== undefined;
    },

    async djangoTokenHorizon() {
      const imports = await db
        .selectFrom('django_users')
        .select((eb) => eb.fn.max('imported_at').as('last'))
        .executeTakeFirst();
      const tokens = await db
        .selectFrom('django_tokens')
        .select((eb) => eb.fn.max('expires_at').as('newest'))
        .where('blacklisted_at', 'is', null)
        .executeTakeFirst();
      const date = (value: string | null | undefined) => (value ? new Date(value) : undefined);
      return { lastImport: date(imports?.last), newestToken: date(tokens?.newest) };
    },
  };
}

const IMPORTED = 'Imported from Django (gatehouse import django)';

/** The users the Django ids were imported as. */
async function importedUserIds(trx: Kysely<Database>, djangoIds: readonly number[]): Promise<number[]> {
  if (djangoIds.length === 0) return [];
  const rows = await trx
    .selectFrom('django_users')
    .select('user_id')
    .where('django_id', 'in', [...djangoIds])
    .execute();
  return rows.map((row) => row.user_id);
}

async function createGroup(trx: Kysely<Database>, group: ImportedGroup, now: Date): Promise<void> {
  const roleId = await insertRole(
    trx,
    { name: group.name, description: IMPORTED, permissions: group.permissions },
    now,
  );
  const created = await insertGroup(
    trx,
    { name: group.name, description: IMPORTED, roles: [group.name] },
    now,
  );
  // The plan saw both names free; taken meanwhile, the whole import fails and writes nothing.
  if (roleId === undefined || !created.ok)
    throw new Error(`role or group "${group.name}" was created meanwhile`);
  await trx
    .insertInto('django_groups')
    .values({ django_id: group.djangoId, group_id: created.id, role_id: roleId })
    .execute();
  await addGroupMembers(trx, created.id, await importedUserIds(trx, group.members));
}

/**
 * A group imported before: its role's permissions become the Django group's, and its imported members
 * those of the Django group (members added here, who were not imported, stay).
 */
async function syncGroup(trx: Kysely<Database>, group: ImportedGroup, now: Date): Promise<void> {
  const mapping = await trx
    .selectFrom('django_groups')
    .select(['group_id', 'role_id'])
    .where('django_id', '=', group.djangoId)
    .executeTakeFirstOrThrow();
  await trx.deleteFrom('role_permissions').where('role_id', '=', mapping.role_id).execute();
  if (group.permissions.length > 0) {
    await trx
      .insertInto('role_permissions')
      .values(group.permissions.map((permission) => ({ role_id: mapping.role_id, permission })))
      .execute();
  }
  await trx
    .insertInto('group_roles')
    .values({ group_id: mapping.group_id, role_id: mapping.role_id })
    .onConflict((oc) => oc.columns(['group_id', 'role_id']).doNothing())
    .execute();
  const members = await importedUserIds(trx, group.members);
  let leaving = trx
    .deleteFrom('group_members')
    .where('group_id', '=', mapping.group_id)
    .where('user_id', 'in', trx.selectFrom('django_users').select('user_id'));
  if (members.length > 0) leaving = leaving.where('user_id', 'not in', members);
  await leaving.execute();
  await addGroupMembers(trx, mapping.group_id, members);
  await trx
    .updateTable('roles')
    .set({ updated: now.toISOString() })
    .where('id', '=', mapping.role_id)
    .execute();
}
