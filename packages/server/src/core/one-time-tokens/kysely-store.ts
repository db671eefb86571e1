import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { OneTimeTokenRecord, OneTimeTokenRefusal, OneTimeTokenStore } from './store.js';
import type { OneTimeTokensTable } from './table.js';

type Row = Selectable<OneTimeTokensTable>;

export function kyselyOneTimeTokens(db: Kysely<Database>): OneTimeTokenStore {
  return {
    async insertOneTimeToken(token) {
      const row = await db
        .insertInto('one_time_tokens')
        .values({
          id: randomUUID(),
          purpose: token.purpose,
          user_id: token.userId,
          token_hash: token.tokenHash,
          data: token.data === null ? null : JSON.stringify(token.data),
          created_at: token.createdAt.toISOString(),
          expires_at: token.expiresAt.toISOString(),
          max_attempts: token.maxAttempts,
        })
        .onConflict((oc) => oc.column('token_hash').doNothing())
        .returningAll()
        .executeTakeFirst();
      return row && toRecord(row);
    },

    async findOneTimeToken(purpose, tokenHash, now) {
      const stamp = now.toISOString();
      const row = await db
        .selectFrom('one_time_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      if (!row) return { ok: false, reason: 'unknown' };
      const live =
        row.purpose === purpose &&
        row.used_at === null &&
        row.expires_at > stamp &&
        row.attempts < row.max_attempts;
      return live ? { ok: true, token: toRecord(row) } : { ok: false, reason: refusal(row, stamp, purpose) };
    },

    async consumeOneTimeToken(purpose, tokenHash, now) {
      const stamp = now.toISOString();
      // Single use as a compare-and-set: of concurrent consumes, the database lets one update the row.
      const used = await db
        .updateTable('one_time_tokens')
        .set({ used_at: stamp })
        .where('token_hash', '=', tokenHash)
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .where('expires_at', '>', stamp)
        .whereRef('attempts', '<', 'max_attempts')
        .returningAll()
        .executeTakeFirst();
      if (used) return { ok: true, token: toRecord(used) };
      const row = await db
        .selectFrom('one_time_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return { ok: false, reason: row ? refusal(row, stamp, purpose) : 'unknown' };
    },

    async recordOneTimeTokenAttempt(purpose, userId, tokenHash, now) {
      const stamp = now.toISOString();
      const live = await db
        .updateTable('one_time_tokens')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          used_at: eb.case().when('token_hash', '=', tokenHash).then(stamp).else(null).end(),
        }))
        .where('user_id', '=', userId)
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .where('expires_at', '>', stamp)
        .whereRef('attempts', '<', 'max_attempts')
        .returningAll()
        .execute();
      const used = live.find((row) => row.used_at === stamp && row.token_hash === tokenHash);
      if (used) return { ok: true, token: toRecord(used) };
      if (live.length > 0) {
        const attemptsLeft = Math.max(...live.map((row) => row.max_attempts - row.attempts));
        return { ok: false, reason: 'wrong_secret', attemptsLeft };
      }
      const newest = await db
        .selectFrom('one_time_tokens')
        .selectAll()
        .where('user_id', '=', userId)
        .where('purpose', '=', purpose)
        .orderBy('created_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      return { ok: false, reason: newest ? refusal(newest, stamp, purpose) : 'unknown' };
    },

    async spendOneTimeTokenAttempt(purpose, tokenHash, now) {
      const stamp = now.toISOString();
      const row = await db
        .updateTable('one_time_tokens')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('token_hash', '=', tokenHash)
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .where('expires_at', '>', stamp)
        .whereRef('attempts', '<', 'max_attempts')
        .returning(['attempts', 'max_attempts'])
        .executeTakeFirst();
      return row && { attemptsLeft: Number(row.max_attempts) - Number(row.attempts) };
    },

    async revokeOneTimeTokens(userId, purpose) {
      const result = await db
        .deleteFrom('one_time_tokens')
        .where('user_id', '=', userId)
        .where('purpose', '=', purpose)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async deleteExpiredOneTimeTokens(now) {
      const result = await db
        .deleteFrom('one_time_tokens')
        .where('expires_at', '<=', now.toISOString())
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

/** Why a token that exists was refused; the purpose first, so nothing else is told about another's token. */
function refusal(row: Row, stamp: string, purpose: string): OneTimeTokenRefusal {
  if (row.purpose !== purpose) return 'wrong_purpose';
  if (row.used_at !== null) return 'used';
  if (row.expires_at <= stamp) return 'expired';
  return 'too_many_attempts';
}

function toRecord(row: Row): OneTimeTokenRecord {
  return {
    id: row.id,
    purpose: row.purpose,
    userId: row.user_id,
    tokenHash: row.token_hash,
    data: row.data === null ? null : (JSON.parse(row.data) as Record<string, unknown>),
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    usedAt: row.used_at === null ? null : new Date(row.used_at),
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
  };
}
