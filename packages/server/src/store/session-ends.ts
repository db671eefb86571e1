import { PostgresAdapter, type Kysely } from 'kysely';
import { precompile } from './precompiled.js';
import type { Database } from './schema.js';

/**
 * PostgreSQL: locks the user row against deletion (FOR KEY SHARE: other rotations and updates of the
 * user's fields go on), before any of the user's sessions or tokens. A deletion locks the user row first,
 * then its cascade the sessions and tokens; a transaction that locked a token or session first and then
 * needed the user row (a new token's foreign key does) would deadlock with it. One lock order, user first.
 * SQLite needs none: a write transaction has the whole database, and a read first would lose its
 * snapshot to another process's write (SQLITE_BUSY) instead of waiting.
 */
export function userLock(db: Kysely<Database>): (trx: Kysely<Database>, userId: number) => Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return async () => {};
  const lock = precompile<{ userId: number }, unknown>(['userId'], ({ userId }) =>
    db.selectFrom('users').select('id').where('id', '=', userId).forKeyShare(),
  );
  return async (trx, userId) => {
    await lock(trx, { userId });
  };
}

/**
 * Ends every open session of a user but `except`, on `trx` (the caller's transaction); how many.
 *
 * Every path that ends all of a user's sessions comes here (password change and reset, log out
 * everywhere, an admin's deactivation or revocation, an email change undone, the end-all link), so this is
 * also where an imported user's cutoff for the old Django deployment's tokens is set: those have no
 * session here to end, and would otherwise outlive all of it (features/django/old-tokens.ts). Set even
 * when no session was open, and with `except` too (that is a Gatehouse session, never an old token).
 */
export async function endSessions(
  trx: Kysely<Database>,
  userId: number,
  reason: string,
  stamp: string,
  except?: string,
): Promise<number> {
  let query = trx
    .updateTable('sessions')
    .set({ revoked_at: stamp, revoke_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (except !== undefined) query = query.where('id', '!=', except);
  const { numUpdatedRows } = await query.executeTakeFirst();
  await trx
    .updateTable('django_users')
    .set({ sessions_ended_at: stamp })
    .where('user_id', '=', userId)
    .execute();
  return Number(numUpdatedRows);
}
