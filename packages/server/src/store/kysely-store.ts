import type { Kysely } from 'kysely';
import { Migrator, sql, type Selectable, type Updateable } from 'kysely';
import { migrationProvider } from './migrations.js';
import type { Database, UsersTable } from './schema.js';
import type { CreateUserResult, RotateResult, Store, UniqueField, User } from './store.js';

const USER_COLUMNS = [
  'id',
  'public_id',
  'username',
  'email',
  'first_name',
  'last_name',
  'profile_email',
  'is_active',
  'is_staff',
  'is_superuser',
  'last_login',
  'created',
  'updated',
] as const;

type UserRow = Pick<Selectable<UsersTable>, (typeof USER_COLUMNS)[number]>;

/** Aborts a transaction with an expected outcome instead of an error. */
class Rollback<T> extends Error {
  constructor(readonly result: T) {
    super('rollback');
  }
}

/** The store over any Kysely dialect; all of Gatehouse's SQL lives in this file. */
export function createKyselyStore(db: Kysely<Database>): Store {
  const users = () => db.selectFrom('users').select(USER_COLUMNS);

  return {
    async createUser(input, now) {
      const stamp = now.toISOString();
      const conflicts = await findConflicts(db, input.usernameKey, input.email);
      if (conflicts.length > 0) return { ok: false, conflicts };
      try {
        const row = await db
          .insertInto('users')
          .values({
            public_id: crypto.randomUUID(),
            username: input.username,
            username_key: input.usernameKey,
            email: input.email,
            first_name: input.firstName ?? '',
            last_name: input.lastName ?? '',
            profile_email: input.profileEmail ?? '',
            password_hash: input.passwordHash,
            is_active: Number(input.isActive ?? true),
            is_staff: Number(input.isStaff ?? false),
            is_superuser: Number(input.isSuperuser ?? false),
            created: stamp,
            updated: stamp,
          })
          .returning(USER_COLUMNS)
          .executeTakeFirstOrThrow();
        return { ok: true, user: toUser(row) };
      } catch (error) {
        // Lost a race with a concurrent registration: the unique index decided.
        const field = uniqueViolation(error);
        if (field) return { ok: false, conflicts: [field] } satisfies CreateUserResult;
        throw error;
      }
    },

    async findUserById(id) {
      const row = await users().where('id', '=', id).executeTakeFirst();
      return row && toUser(row);
    },

    async findUserByUsernameKey(usernameKey) {
      const row = await users().where('username_key', '=', usernameKey).executeTakeFirst();
      return row && toUser(row);
    },

    async findLoginCandidate({ usernameKey, email }) {
      const row = await users()
        .select('password_hash')
        .where((eb) => eb.or([eb('email', '=', email), eb('username_key', '=', usernameKey)]))
        .orderBy(sql`case when email = ${email} then 0 else 1 end`)
        .limit(1)
        .executeTakeFirst();
      return row && { user: toUser(row), passwordHash: row.password_hash };
    },

    async updatePasswordHash(userId, passwordHash, now) {
      await db
        .updateTable('users')
        .set({ password_hash: passwordHash, updated: now.toISOString() })
        .where('id', '=', userId)
        .execute();
    },

    async updateUser(userId, changes, now) {
      const set: Updateable<UsersTable> = { updated: now.toISOString() };
      if (changes.firstName !== undefined) set.first_name = changes.firstName;
      if (changes.lastName !== undefined) set.last_name = changes.lastName;
      if (changes.profileEmail !== undefined) set.profile_email = changes.profileEmail;
      if (changes.isActive !== undefined) set.is_active = Number(changes.isActive);
      if (changes.isStaff !== undefined) set.is_staff = Number(changes.isStaff);
      if (changes.isSuperuser !== undefined) set.is_superuser = Number(changes.isSuperuser);
      const row = await db
        .updateTable('users')
        .set(set)
        .where('id', '=', userId)
        .returning(USER_COLUMNS)
        .executeTakeFirst();
      return row && toUser(row);
    },

    async recordLogin(userId, now) {
      await db.updateTable('users').set({ last_login: now.toISOString() }).where('id', '=', userId).execute();
    },

    async listUsers() {
      const rows = await users().orderBy('updated', 'desc').orderBy('id', 'desc').execute();
      return rows.map(toUser);
    },

    async recordRefreshToken(token) {
      await db
        .insertInto('refresh_tokens')
        .values({
          jti: token.jti,
          user_id: token.userId,
          family_id: token.familyId,
          issued_at: token.issuedAt.toISOString(),
          expires_at: token.expiresAt.toISOString(),
        })
        .execute();
    },

    async rotateRefreshToken({ jti, userId, now, child, revoke }) {
      try {
        return await db.transaction().execute(async (trx): Promise<RotateResult> => {
          // The write comes first: it takes the write lock at once, and the conditional update is the
          // compare-and-set that lets exactly one of several concurrent rotations win.
          let familyId: string;
          if (revoke) {
            const revoked = await trx
              .updateTable('refresh_tokens')
              .set({ revoked_at: now.toISOString(), replaced_by: child?.jti ?? null })
              .where('jti', '=', jti)
              .where('user_id', '=', userId)
              .where('revoked_at', 'is', null)
              .returning('family_id')
              .executeTakeFirst();
            if (!revoked) return { ok: false, reason: await tokenState(trx, jti, userId) };
            familyId = revoked.family_id;
          } else {
            const current = await trx
              .selectFrom('refresh_tokens')
              .select(['revoked_at', 'family_id'])
              .where('jti', '=', jti)
              .where('user_id', '=', userId)
              .executeTakeFirst();
            if (!current) return { ok: false, reason: 'unknown' };
            if (current.revoked_at !== null) return { ok: false, reason: 'revoked' };
            familyId = current.family_id;
          }
          const row = await trx
            .selectFrom('users')
            .select(USER_COLUMNS)
            .where('id', '=', userId)
            .executeTakeFirst();
          if (!row) throw new Rollback<RotateResult>({ ok: false, reason: 'user_missing' });
          if (!row.is_active) throw new Rollback<RotateResult>({ ok: false, reason: 'user_inactive' });
          if (child) {
            await trx
              .insertInto('refresh_tokens')
              .values({
                jti: child.jti,
                user_id: child.userId,
                family_id: familyId,
                issued_at: child.issuedAt.toISOString(),
                expires_at: child.expiresAt.toISOString(),
              })
              .execute();
          }
          return { ok: true, user: toUser(row) };
        });
      } catch (error) {
        if (error instanceof Rollback) return error.result as RotateResult;
        throw error;
      }
    },

    async revokeRefreshToken(jti, userId, now) {
      const { numUpdatedRows } = await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: now.toISOString() })
        .where('jti', '=', jti)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (numUpdatedRows > 0n) return 'revoked';
      return (await tokenState(db, jti, userId)) === 'revoked' ? 'already_revoked' : 'unknown';
    },

    async isRefreshTokenRevoked(jti) {
      const row = await db
        .selectFrom('refresh_tokens')
        .select('revoked_at')
        .where('jti', '=', jti)
        .executeTakeFirst();
      return row && row.revoked_at !== null;
    },

    async deleteExpiredRefreshTokens(now) {
      const { numDeletedRows } = await db
        .deleteFrom('refresh_tokens')
        .where('expires_at', '<=', now.toISOString())
        .executeTakeFirst();
      return Number(numDeletedRows);
    },

    async getOrCreateSecret(name, create, now) {
      const read = () => db.selectFrom('secrets').select('value').where('name', '=', name).executeTakeFirst();
      const existing = await read();
      if (existing) return existing.value;
      // Two first starts at once: the insert that loses does nothing, and both read the winner's value.
      await db
        .insertInto('secrets')
        .values({ name, value: create(), created: now.toISOString() })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      return (await read())?.value ?? '';
    },

    async migrate() {
      const migrator = new Migrator({ db, provider: migrationProvider });
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error;
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    },

    close: () => db.destroy(),
  };
}

async function findConflicts(db: Kysely<Database>, usernameKey: string, email: string | null) {
  const rows = await db
    .selectFrom('users')
    .select(['username_key', 'email'])
    .where((eb) =>
      email === null
        ? eb('username_key', '=', usernameKey)
        : eb.or([eb('username_key', '=', usernameKey), eb('email', '=', email)]),
    )
    .execute();
  const conflicts: UniqueField[] = [];
  if (rows.some((r) => r.username_key === usernameKey)) conflicts.push('username');
  if (email !== null && rows.some((r) => r.email === email)) conflicts.push('email');
  return conflicts;
}

async function tokenState(db: Kysely<Database>, jti: string, userId: number): Promise<'unknown' | 'revoked'> {
  const row = await db
    .selectFrom('refresh_tokens')
    .select('revoked_at')
    .where('jti', '=', jti)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.revoked_at ? 'revoked' : 'unknown';
}

/** Which unique index a failed insert hit (SQLite's message or PostgreSQL's constraint name). */
function uniqueViolation(error: unknown): UniqueField | undefined {
  if (!(error instanceof Error)) return undefined;
  const text = `${error.message} ${(error as { constraint?: string }).constraint ?? ''}`;
  if (!/UNIQUE|unique|duplicate/.test(text)) return undefined;
  if (text.includes('username_key')) return 'username';
  if (text.includes('email')) return 'email';
  return undefined;
}

function toUser(row: UserRow): User {
  return {
    id: Number(row.id),
    publicId: row.public_id,
    username: row.username,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    profileEmail: row.profile_email,
    isActive: Boolean(row.is_active),
    isStaff: Boolean(row.is_staff),
    isSuperuser: Boolean(row.is_superuser),
    lastLogin: row.last_login === null ? null : new Date(row.last_login),
    created: new Date(row.created),
    updated: new Date(row.updated),
  };
}
