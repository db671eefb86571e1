import type { Kysely } from 'kysely';
import { insertAudit } from '../../store/audit/kysely-store.js';
import type { Database } from '../../store/schema.js';
import { toUser, USER_COLUMNS } from '../../store/user-rows.js';
import type { EmailStore } from './store.js';

export function kyselyEmail(db: Kysely<Database>): EmailStore {
  const users = () => db.selectFrom('users').select(USER_COLUMNS);
  return {
    async findUserById(id) {
      const row = await users().where('id', '=', id).executeTakeFirst();
      return row && toUser(row);
    },

    async findUserByEmail(email) {
      const row = await users().where('email', '=', email).executeTakeFirst();
      return row && toUser(row);
    },

    async markEmailVerified(userId, email, now, audit) {
      return db.transaction().execute(async (trx) => {
        // Conditional on the address: a link to an address the account has since changed proves nothing.
        const row = await trx
          .updateTable('users')
          .set({ email_verified: 1, updated: now.toISOString() })
          .where('id', '=', userId)
          .where('email', '=', email)
          .where('email_verified', '=', 0)
          .returning(USER_COLUMNS)
          .executeTakeFirst();
        if (row) {
          await insertAudit(trx, audit);
          return toUser(row);
        }
        const current = await trx
          .selectFrom('users')
          .select(USER_COLUMNS)
          .where('id', '=', userId)
          .where('email', '=', email)
          .executeTakeFirst();
        return current && toUser(current);
      });
    },
  };
}
