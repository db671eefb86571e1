import { sql, type ExpressionBuilder, type Kysely, type Updateable } from 'kysely';
import { insertAudit, withSessionsEnded } from '../audit/kysely-store.js';
import { insertMail } from '../mail/kysely-store.js';
import type { Database, UsersTable } from '../schema.js';
import { endSessions, userLock } from '../session-ends.js';
import { eachInTransaction, Rollback } from '../transactions.js';
import { toUser, USER_COLUMNS } from '../user-rows.js';
import type { CreateUserResult, UniqueField, User, UserChanges, UserStore } from './store.js';

export function kyselyUsers(db: Kysely<Database>): UserStore {
  const users = () => db.selectFrom('users').select(USER_COLUMNS);
  const lockUser = userLock(db);
  const inTransaction = eachInTransaction(db);

  return {
    async createUser(input, now, effects) {
      const stamp = now.toISOString();
      const conflicts = await findConflicts(db, input.usernameKey, input.email);
      if (conflicts.length > 0) return { ok: false, conflicts };
      const insert = async (executor: Kysely<Database>) => {
        const row = await executor
          .insertInto('users')
          .values({
            public_id: crypto.randomUUID(),
            username: input.username,
            username_key: input.usernameKey,
            email: input.email,
            first_name: input.firstName ?? '',
            last_name: input.lastName ?? '',
            profile_email: input.profileEmail ?? '',
            name: input.name ?? '',
            password_hash: input.passwordHash,
            email_verified: Number(input.email !== null && (input.emailVerified ?? false)),
            is_active: Number(input.isActive ?? true),
            is_staff: Number(input.isStaff ?? false),
            is_superuser: Number(input.isSuperuser ?? false),
            created: stamp,
            updated: stamp,
          })
          .returning(USER_COLUMNS)
          .executeTakeFirstOrThrow();
        const user = toUser(row);
        for (const mail of effects?.mail?.(user) ?? []) await insertMail(executor, mail, now);
        return user;
      };
      try {
        const user = effects?.mail === undefined ? await insert(db) : await db.transaction().execute(insert);
        return { ok: true, user };
      } catch (error) {
        // Lost a race with a concurrent registration: the unique index decided.
        const field = uniqueViolation(error);
        if (field) return { ok: false, conflicts: [field] } satisfies CreateUserResult;
        throw error;
      }
    },

    async findUserByPublicId(publicId) {
      const row = await users().where('public_id', '=', publicId).executeTakeFirst();
      return row && toUser(row);
    },

    async findUserById(id) {
      const row = await users().where('id', '=', id).executeTakeFirst();
      return row && toUser(row);
    },

    async findLoginCandidate({ usernameKey, email }) {
      const rows = await users()
        .select('password_hash')
        .where((eb) => eb.or([eb('email', '=', email), eb('username_key', '=', usernameKey)]))
        .limit(2)
        .execute();
      // One identifier naming two accounts (one's email, another's username, left by data from before
      // they were one namespace) signs neither in: guessing which would lock one of them out.
      if (rows.length !== 1 || !rows[0]) return undefined;
      return { user: toUser(rows[0]), passwordHash: rows[0].password_hash };
    },

    async findPasswordHash(userId) {
      const row = await db
        .selectFrom('users')
        .select('password_hash')
        .where('id', '=', userId)
        .executeTakeFirst();
      return row?.password_hash;
    },

    async updatePasswordHash(userId, passwordHash, now) {
      await db
        .updateTable('users')
        .set({ password_hash: passwordHash, updated: now.toISOString() })
        .where('id', '=', userId)
        .execute();
    },

    async changePassword({ userId, passwordHash, now, keepSession, audit, mail = [], verifiedEmail }) {
      return db.transaction().execute(async (trx) => {
        await lockUser(trx, userId);
        const stamp = now.toISOString();
        await trx
          .updateTable('users')
          .set((eb) => ({
            password_hash: passwordHash,
            updated: stamp,
            ...(verifiedEmail !== undefined && {
              email_verified: eb
                .case()
                .when('email', '=', verifiedEmail)
                .then(1)
                .else(eb.ref('email_verified'))
                .end(),
            }),
          }))
          .where('id', '=', userId)
          .execute();
        const ended = await endSessions(trx, userId, 'password_changed', stamp, keepSession);
        await insertAudit(trx, withSessionsEnded(audit, ended));
        for (const message of mail) await insertMail(trx, message, now);
        return ended;
      });
    },

    async updateUser(userId, changes, now, effects) {
      if (effects === undefined) return updateUserRow(db, userId, changes, now);
      return db.transaction().execute(async (trx) => {
        await lockUser(trx, userId);
        const user = await updateUserRow(trx, userId, changes, now);
        if (!user) return undefined;
        const ended =
          effects.endSessions === undefined
            ? 0
            : await endSessions(trx, userId, effects.endSessions, now.toISOString());
        for (const entry of effects.audit?.(ended) ?? []) await insertAudit(trx, entry);
        for (const message of effects.mail?.(user) ?? []) await insertMail(trx, message, now);
        return user;
      });
    },

    async recordLogin(userId, now, throttleSeconds = 0) {
      const threshold = new Date(now.getTime() - throttleSeconds * 1000).toISOString();
      const { numUpdatedRows } = await db
        .updateTable('users')
        .set({ last_login: now.toISOString() })
        .where('id', '=', userId)
        .where((eb) => eb.or([eb('last_login', 'is', null), eb('last_login', '<=', threshold)]))
        .executeTakeFirst();
      return numUpdatedRows > 0n;
    },

    async deleteUser(userId, audit) {
      if (audit === undefined) {
        const { numDeletedRows } = await db.deleteFrom('users').where('id', '=', userId).executeTakeFirst();
        return numDeletedRows > 0n;
      }
      return inTransaction(async (trx) => {
        // The entry first: its reference to the user is set to null by the deletion, its names stay.
        await insertAudit(trx, audit);
        const { numDeletedRows } = await trx.deleteFrom('users').where('id', '=', userId).executeTakeFirst();
        if (numDeletedRows === 0n) throw new Rollback(false);
        return true;
      });
    },

    async listUsers() {
      const rows = await users().orderBy('updated', 'desc').orderBy('id', 'desc').execute();
      return rows.map(toUser);
    },

    async queryUsers({ search, ordering = '-updated', offset, limit }) {
      const pattern = search ? `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
      const matches = (eb: ExpressionBuilder<Database, 'users'>) =>
        pattern === undefined
          ? sql<boolean>`1 = 1`
          : eb.or(
              ['username_key', 'email', 'first_name', 'last_name'].map(
                // The escape character as a parameter: a '\' literal would depend on PostgreSQL's
                // standard_conforming_strings (off: a backslash escapes the closing quote).
                (column) => sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape ${'\\'}`,
              ),
            );
      const direction = ordering === 'updated' ? 'asc' : 'desc';
      const [counted, rows] = await Promise.all([
        db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number | string>().as('count'))
          .where(matches)
          .executeTakeFirstOrThrow(),
        users()
          .where(matches)
          .orderBy('updated', direction)
          .orderBy('id', direction)
          .offset(offset)
          .limit(limit)
          .execute(),
      ]);
      return { count: Number(counted.count), items: rows.map(toUser) };
    },
  };
}

async function updateUserRow(
  db: Kysely<Database>,
  userId: number,
  changes: UserChanges,
  now: Date,
): Promise<User | undefined> {
  const set: Updateable<UsersTable> = { updated: now.toISOString() };
  if (changes.firstName !== undefined) set.first_name = changes.firstName;
  if (changes.lastName !== undefined) set.last_name = changes.lastName;
  if (changes.profileEmail !== undefined) set.profile_email = changes.profileEmail;
  if (changes.name !== undefined) set.name = changes.name;
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
}

/**
 * Usernames and emails are one namespace: a new address is taken when another account has it as its
 * email or as its username (a username with `@` is its account's own address: users-service.ts), so no
 * one registers an identifier that already signs someone else in.
 */
async function findConflicts(db: Kysely<Database>, usernameKey: string, email: string | null) {
  const rows = await db
    .selectFrom('users')
    .select(['username_key', 'email'])
    .where((eb) =>
      email === null
        ? eb.or([eb('username_key', '=', usernameKey), eb('email', '=', usernameKey)])
        : eb.or([
            eb('username_key', '=', usernameKey),
            eb('email', '=', usernameKey),
            eb('email', '=', email),
            eb('username_key', '=', email),
          ]),
    )
    .execute();
  const conflicts: UniqueField[] = [];
  // The new account's own username may be its own address (and so equal `email`): only others count.
  if (rows.some((r) => r.username_key === usernameKey || r.email === usernameKey)) conflicts.push('username');
  if (email !== null && rows.some((r) => r.email === email || r.username_key === email)) {
    conflicts.push('email');
  }
  return conflicts;
}

/**
 * Which unique index a failed insert hit. PostgreSQL: unique_violation (23505) naming the constraint,
 * `users_username_key_key` or `users_email_key`; SQLite: "UNIQUE constraint failed: users.username_key".
 */
export function uniqueViolation(error: unknown): UniqueField | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  let index: string;
  if (code === '23505') index = typeof constraint === 'string' ? constraint : '';
  else if (code === 'SQLITE_CONSTRAINT_UNIQUE') index = error.message;
  else return undefined;
  if (index.includes('username_key')) return 'username';
  if (index.includes('email')) return 'email';
  return undefined;
}
