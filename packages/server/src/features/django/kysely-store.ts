import type { Kysely } from 'kysely';
import { insertAudit } from '../../store/audit/kysely-store.js';
import type { Database } from '../../store/schema.js';
import { endSessions } from '../../store/session-ends.js';
import { toUser, USER_COLUMNS } from '../../store/user-rows.js';
import type { DjangoStore, ImportedUser } from './store.js';

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
        await insertAudit(trx, changes.audit);
      });
    },

    async findDjangoUser(djangoId) {
      const row = await db
        .selectFrom('django_users')
        .innerJoin('users', 'users.id', 'django_users.user_id')
        .select(USER_COLUMNS)
        .where('django_users.django_id', '=', djangoId)
        .executeTakeFirst();
      return row && toUser(row);
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
