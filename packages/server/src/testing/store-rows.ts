import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import { insertAudit } from '../store/audit/kysely-store.js';
import type { NewAuditEntry } from '../store/audit/store.js';
import { createKyselyStore } from '../store/kysely-store.js';
import { openDatabase } from '../store/open-store.js';
import type { Database } from '../store/schema.js';
import type { RefreshTokenRecord } from '../store/sessions/store.js';
import type { Store } from '../store/store.js';
import { toUser, USER_COLUMNS } from '../store/user-rows.js';
import type { User } from '../store/users/store.js';

/**
 * What tests read and write beside the store's interface, straight in its tables: lookups the server
 * never makes, and rows no code path writes on their own (an audit entry without its change, a second
 * live token in a session).
 */
export interface StoreRows {
  userById(id: number): Promise<User | undefined>;
  userByUsernameKey(usernameKey: string): Promise<User | undefined>;
  /** Another refresh token in an existing session, which then lasts as long as its newest token. */
  insertRefreshToken(token: RefreshTokenRecord): Promise<void>;
  insertAudit(entry: NewAuditEntry): Promise<void>;
  /** Any query, as the database returns its rows (for tables no interface reads: counters, the mail queue). */
  all(query: string): Promise<Record<string, unknown>[]>;
}

export function storeRows(db: Kysely<Database>): StoreRows {
  const users = () => db.selectFrom('users').select(USER_COLUMNS);
  return {
    async userById(id) {
      const row = await users().where('id', '=', id).executeTakeFirst();
      return row && toUser(row);
    },
    async userByUsernameKey(usernameKey) {
      const row = await users().where('username_key', '=', usernameKey).executeTakeFirst();
      return row && toUser(row);
    },
    async insertRefreshToken(token) {
      const expiresAt = token.expiresAt.toISOString();
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('refresh_tokens')
          .values({
            jti: token.jti,
            user_id: token.userId,
            family_id: token.familyId,
            issued_at: token.issuedAt.toISOString(),
            expires_at: expiresAt,
          })
          .execute();
        await trx
          .updateTable('sessions')
          .set({ expires_at: expiresAt })
          .where('id', '=', token.familyId)
          .where('expires_at', '<', expiresAt)
          .execute();
      });
    },
    insertAudit: (entry) => insertAudit(db, entry),
    all: async (query) => (await sql.raw<Record<string, unknown>>(query).execute(db)).rows,
  };
}

/** openStore, and the rows of the database it opened. */
export function openStoreWithRows(config: DatabaseConfig): { store: Store; rows: StoreRows } {
  const { db, direct } = openDatabase(config);
  return { store: createKyselyStore(db, direct), rows: storeRows(db) };
}
