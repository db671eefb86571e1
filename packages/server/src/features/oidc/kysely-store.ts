import { randomUUID } from 'node:crypto';
import { PostgresAdapter, type Kysely, type Selectable } from 'kysely';
import { insertAudit } from '../../store/audit/kysely-store.js';
import { insertMail } from '../../store/mail/kysely-store.js';
import type { Database } from '../../store/schema.js';
import { toUser, USER_COLUMNS } from '../../store/user-rows.js';
import { uniqueViolation } from '../../store/users/kysely-store.js';
import type { CreateAccountWithIdentityOutcome, Identity, IdentityStore, NewIdentity } from './store.js';
import type { IdentitiesTable } from './table.js';

/** Thrown inside a transaction to roll it back with a refusal. */
class Refusal extends Error {
  constructor(readonly reason: 'username' | 'email' | 'identity') {
    super(reason);
  }
}

/** PostgreSQL's unique_violation on the (issuer, subject) key, or SQLite's. */
function identityConflict(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  if (code === '23505') return constraint === 'identities_issuer_subject_key';
  return code === 'SQLITE_CONSTRAINT_UNIQUE' && error.message.includes('identities.');
}

/**
 * A password that can sign in: Django's unusable ones (`!…`, set_unusable_password, kept as they are by
 * the import; and the empty string) never match, so they are no way to sign in.
 */
const usablePassword = (hash: string | null | undefined) =>
  hash !== null && hash !== undefined && hash !== '' && !hash.startsWith('!');

export function kyselyIdentities(db: Kysely<Database>): IdentityStore {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  /**
   * PostgreSQL: two unlinks of one user's identities (or an unlink and a password change) take turns on
   * the user's row, so the later one counts what the earlier one left: two concurrent unlinks of the last
   * two identities cannot both pass. FOR NO KEY UPDATE conflicts with itself and with an UPDATE of the
   * row, not with the FOR KEY SHARE of a session's or token's foreign key. SQLite has one writer.
   */
  const lockUser = async (trx: Kysely<Database>, userId: number) => {
    if (postgres)
      await trx.selectFrom('users').select('id').where('id', '=', userId).forNoKeyUpdate().execute();
  };
  const identities = (executor: Kysely<Database> = db) => executor.selectFrom('identities').selectAll();
  const row = (userId: number, identity: NewIdentity) => ({
    id: randomUUID(),
    user_id: userId,
    provider: identity.provider,
    issuer: identity.issuer,
    subject: identity.subject,
    email: identity.email,
    created_at: identity.createdAt.toISOString(),
    last_used_at: identity.createdAt.toISOString(),
  });

  return {
    async findIdentity(issuer, subject) {
      const found = await identities()
        .where('issuer', '=', issuer)
        .where('subject', '=', subject)
        .executeTakeFirst();
      return found && toIdentity(found);
    },

    async listIdentities(userId) {
      const rows = await identities()
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toIdentity);
    },

    async linkIdentity(userId, identity, { audit, mail = [], now }) {
      try {
        return await db.transaction().execute(async (trx) => {
          const inserted = await trx
            .insertInto('identities')
            .values(row(userId, identity))
            .returningAll()
            .executeTakeFirstOrThrow();
          await insertAudit(trx, audit);
          for (const message of mail) await insertMail(trx, message, now);
          return { ok: true as const, identity: toIdentity(inserted) };
        });
      } catch (error) {
        if (!identityConflict(error)) throw error;
        const owner = await identities()
          .where('issuer', '=', identity.issuer)
          .where('subject', '=', identity.subject)
          .executeTakeFirst();
        return { ok: false, reason: 'in_use', userId: owner?.user_id ?? 0 };
      }
    },

    async createAccountWithIdentity(user, identity, { audit, now }) {
      const stamp = now.toISOString();
      try {
        return await db.transaction().execute(async (trx): Promise<CreateAccountWithIdentityOutcome> => {
          // One namespace: the address may be neither another account's email nor its username.
          if (user.email !== null) {
            const taken = await trx
              .selectFrom('users')
              .select('id')
              .where((eb) => eb.or([eb('email', '=', user.email), eb('username_key', '=', user.email)]))
              .executeTakeFirst();
            if (taken) throw new Refusal('email');
          }
          const nameTaken = await trx
            .selectFrom('users')
            .select('id')
            .where((eb) =>
              eb.or([eb('username_key', '=', user.usernameKey), eb('email', '=', user.usernameKey)]),
            )
            .executeTakeFirst();
          if (nameTaken) throw new Refusal('username');
          const created = toUser(
            await trx
              .insertInto('users')
              .values({
                public_id: randomUUID(),
                username: user.username,
                username_key: user.usernameKey,
                email: user.email,
                first_name: user.firstName ?? '',
                last_name: user.lastName ?? '',
                profile_email: user.profileEmail ?? '',
                name: user.name ?? '',
                password_hash: user.passwordHash,
                email_verified: Number(user.email !== null && (user.emailVerified ?? false)),
                is_active: 1,
                is_staff: 0,
                is_superuser: 0,
                created: stamp,
                updated: stamp,
              })
              .returning(USER_COLUMNS)
              .executeTakeFirstOrThrow(),
          );
          const inserted = await trx
            .insertInto('identities')
            .values(row(created.id, identity))
            .returningAll()
            .executeTakeFirstOrThrow();
          await insertAudit(trx, audit(created));
          return { ok: true, user: created, identity: toIdentity(inserted) };
        });
      } catch (error) {
        if (error instanceof Refusal) return { ok: false, reason: error.reason };
        if (identityConflict(error)) return { ok: false, reason: 'identity' };
        // Lost a race with a concurrent registration: the unique index decided.
        const field = uniqueViolation(error);
        if (field) return { ok: false, reason: field };
        throw error;
      }
    },

    async recordIdentityUse(id, email, now) {
      await db
        .updateTable('identities')
        .set({ email, last_used_at: now.toISOString() })
        .where('id', '=', id)
        .execute();
    },

    async unlinkIdentity(userId, id, effects) {
      return db.transaction().execute(async (trx) => {
        // The user's row first, before any of the rows counted below (one lock order, user first).
        await lockUser(trx, userId);
        const found = await identities(trx)
          .where('id', '=', id)
          .where('user_id', '=', userId)
          .executeTakeFirst();
        if (!found) return { ok: false, reason: 'not_found' } as const;
        // Decided here, in the transaction that deletes, from the account's rows as they are now.
        const password = await trx
          .selectFrom('users')
          .select('password_hash')
          .where('id', '=', userId)
          .executeTakeFirst();
        const passkey = await trx
          .selectFrom('passkeys')
          .select('id')
          .where('user_id', '=', userId)
          .executeTakeFirst();
        const other = await trx
          .selectFrom('identities')
          .select('id')
          .where('user_id', '=', userId)
          .where('id', '!=', id)
          .executeTakeFirst();
        if (!usablePassword(password?.password_hash) && !passkey && !other) {
          return { ok: false, reason: 'last_method' } as const;
        }
        const deleted = await trx
          .deleteFrom('identities')
          .where('id', '=', id)
          .where('user_id', '=', userId)
          .executeTakeFirst();
        if (deleted.numDeletedRows === 0n) return { ok: false, reason: 'not_found' } as const;
        const identity = toIdentity(found);
        const { audit, mail = [], now } = effects(identity);
        await insertAudit(trx, audit);
        for (const message of mail) await insertMail(trx, message, now);
        return { ok: true, identity } as const;
      });
    },

    async claimOidcCallback(stateHash, bindingHash, expiresAt, now) {
      await db.deleteFrom('oidc_callbacks').where('expires_at', '<=', now.toISOString()).execute();
      const inserted = await db
        .insertInto('oidc_callbacks')
        .values({
          state_hash: stateHash,
          binding_hash: bindingHash,
          location: null,
          expires_at: expiresAt.toISOString(),
        })
        .onConflict((conflict) => conflict.column('state_hash').doNothing())
        .returning('state_hash')
        .executeTakeFirst();
      return inserted !== undefined;
    },

    async settleOidcCallback(stateHash, location) {
      await db.updateTable('oidc_callbacks').set({ location }).where('state_hash', '=', stateHash).execute();
    },

    async findOidcCallback(stateHash, now) {
      const found = await db
        .selectFrom('oidc_callbacks')
        .select(['binding_hash', 'location'])
        .where('state_hash', '=', stateHash)
        .where('expires_at', '>', now.toISOString())
        .executeTakeFirst();
      return found && { bindingHash: found.binding_hash, location: found.location };
    },
  };
}

function toIdentity(row: Selectable<IdentitiesTable>): Identity {
  return {
    id: row.id,
    userId: row.user_id,
    provider: row.provider,
    issuer: row.issuer,
    subject: row.subject,
    email: row.email,
    createdAt: new Date(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
  };
}
