import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import type { MailData, QueuedMail } from '../mail/message.js';
import { insertAudit } from '../store/audit/kysely-store.js';
import type { NewAuditEntry } from '../store/audit/store.js';
import { createKyselyStore } from '../store/kysely-store.js';
import { openDatabase } from '../store/open-store.js';
import type { Database } from '../store/schema.js';
import type { RefreshTokenRecord } from '../store/sessions/store.js';
import type { Store } from '../store/store.js';
import { toUser, USER_COLUMNS } from '../store/user-rows.js';
import type { User } from '../store/users/store.js';

/** An audit entry of no one about nothing, for a store call that wants one beside what a test checks. */
export function testAuditEntry(at: Date, overrides: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return {
    at,
    actorId: null,
    actor: '',
    action: 'test',
    targetId: null,
    target: '',
    detail: {},
    ip: '',
    ...overrides,
  };
}

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
  /** Sets an account's address as it is, as an email change leaves it (unverified). */
  setEmail(usernameKey: string, email: string | null): Promise<void>;
  /** The mail queue, oldest first: each message as a sender would claim it, and its status. */
  outbox(): Promise<(QueuedMail & { status: string })[]>;
  /** `work` in one transaction of the store's database, as a caller of a slice's executor functions does (an importer). */
  transaction<T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
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
    transaction: (work) => db.transaction().execute(work),
    all: async (query) => (await sql.raw<Record<string, unknown>>(query).execute(db)).rows,
    async setEmail(usernameKey, email) {
      await db
        .updateTable('users')
        .set({ email, email_verified: 0 })
        .where('username_key', '=', usernameKey)
        .execute();
    },
    async outbox() {
      const rows = await db
        .selectFrom('mail_outbox')
        .selectAll()
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map((row) => ({
        id: row.id,
        kind: row.kind,
        to: row.recipient,
        userId: row.user_id === null ? null : Number(row.user_id),
        data: JSON.parse(row.data) as MailData,
        attempts: Number(row.attempts),
        createdAt: new Date(row.created_at),
        status: row.status,
      }));
    },
  };
}

/** openStore, and the rows of the database it opened. */
export function openStoreWithRows(config: DatabaseConfig): { store: Store; rows: StoreRows } {
  const { db, direct } = openDatabase(config);
  return { store: createKyselyStore(db, direct), rows: storeRows(db) };
}
