import type { Kysely } from 'kysely';
import { insertAudit, withSessionsEnded } from '../../store/audit/kysely-store.js';
import { insertMail } from '../../store/mail/kysely-store.js';
import type { Database } from '../../store/schema.js';
import { endSessions, userLock } from '../../store/session-ends.js';
import { toUser, USER_COLUMNS } from '../../store/user-rows.js';
import { uniqueViolation } from '../../store/users/kysely-store.js';
import type { EmailChangeOutcome, EmailChangeStore } from './store.js';

export function kyselyEmailChange(db: Kysely<Database>): EmailChangeStore {
  const lockUser = userLock(db);
  return {
    async isEmailTaken(email, exceptUserId) {
      let query = db
        .selectFrom('users')
        .select('id')
        .where((eb) => eb.or([eb('email', '=', email), eb('username_key', '=', email)]));
      if (exceptUserId !== undefined) query = query.where('id', '!=', exceptUserId);
      return (await query.executeTakeFirst()) !== undefined;
    },

    async recordEmailChangeRequest(audit, mail, now) {
      await db.transaction().execute(async (trx) => {
        await insertAudit(trx, audit);
        await insertMail(trx, mail, now);
      });
    },

    async changeEmail({ userId, from, to, now, audit, mail, endSessions: reason, revokeTokens = [] }) {
      const stamp = now.toISOString();
      try {
        return await db.transaction().execute(async (trx): Promise<EmailChangeOutcome> => {
          await lockUser(trx, userId);
          // The compare-and-set: a link minted for an address the account no longer has changes nothing.
          const row = await trx
            .updateTable('users')
            .set({ email: to, email_verified: 1, updated: stamp })
            .where('id', '=', userId)
            .where((eb) => (from === null ? eb('email', 'is', null) : eb('email', '=', from)))
            .returning(USER_COLUMNS)
            .executeTakeFirst();
          if (!row) return { ok: false, reason: 'stale' };
          const user = toUser(row);
          const ended = reason === undefined ? 0 : await endSessions(trx, userId, reason, stamp);
          if (revokeTokens.length > 0) {
            await trx
              .deleteFrom('one_time_tokens')
              .where('user_id', '=', userId)
              .where('purpose', 'in', [...revokeTokens])
              .execute();
          }
          await insertAudit(trx, reason === undefined ? audit : withSessionsEnded(audit, ended));
          for (const message of mail?.(user) ?? []) await insertMail(trx, message, now);
          return { ok: true, user, sessionsEnded: ended };
        });
      } catch (error) {
        // Another account took the address meanwhile: the unique index decided, nothing was written.
        if (uniqueViolation(error) === 'email') return { ok: false, reason: 'taken' };
        throw error;
      }
    },
  };
}
