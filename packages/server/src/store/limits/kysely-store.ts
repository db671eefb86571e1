import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { LimitStore } from './store.js';

/** Counters in the database, so that several server processes share them and a restart keeps them. */
export function kyselyLimits(db: Kysely<Database>): LimitStore {
  return {
    async recordLoginFailure(key, now, resetAfter, delayFor) {
      const stamp = now.toISOString();
      const forgetBefore = new Date(now.getTime() - resetAfter * 1000).toISOString();
      // The increment is one statement, so concurrent failures are all counted.
      const { failures } = await db
        .insertInto('login_failures')
        .values({ key, failures: 1, last_failure_at: stamp, blocked_until: stamp })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            failures: sql<number>`case when login_failures.last_failure_at > ${forgetBefore} then login_failures.failures + 1 else 1 end`,
            last_failure_at: stamp,
          }),
        )
        .returning('failures')
        .executeTakeFirstOrThrow();
      const blockedUntil = new Date(now.getTime() + delayFor(Number(failures)) * 1000).toISOString();
      await db
        .updateTable('login_failures')
        .set({ blocked_until: blockedUntil })
        .where('key', '=', key)
        .where('blocked_until', '<', blockedUntil)
        .execute();
    },

    async loginBlocks(keys, now) {
      if (keys.length === 0) return new Map();
      const rows = await db
        .selectFrom('login_failures')
        .select(['key', 'blocked_until'])
        .where('key', 'in', keys)
        .where('blocked_until', '>', now.toISOString())
        .execute();
      return new Map(rows.map((row) => [row.key, new Date(row.blocked_until)]));
    },

    async clearLoginFailures(key) {
      await db.deleteFrom('login_failures').where('key', '=', key).execute();
    },

    async deleteStaleLimits(before) {
      const stamp = before.toISOString();
      await db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom('login_failures')
          .where('last_failure_at', '<', stamp)
          .where('blocked_until', '<', stamp)
          .execute();
        await trx.deleteFrom('rate_limits').where('window_start', '<', stamp).execute();
      });
    },

    async hitRateLimit(key, limit, windowSeconds, now) {
      const stamp = now.toISOString();
      const windowOpen = new Date(now.getTime() - windowSeconds * 1000).toISOString();
      const current = sql<boolean>`rate_limits.window_start > ${windowOpen}`;
      const row = await db
        .insertInto('rate_limits')
        .values({ key, window_start: stamp, count: 1 })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            count: sql<number>`case when ${current} then rate_limits.count + 1 else 1 end`,
            window_start: sql<string>`case when ${current} then rate_limits.window_start else ${stamp} end`,
          }),
        )
        .returning(['count', 'window_start'])
        .executeTakeFirstOrThrow();
      if (Number(row.count) <= limit) return { allowed: true };
      const reopens = new Date(row.window_start).getTime() + windowSeconds * 1000;
      return { allowed: false, retryAfter: Math.max(1, Math.ceil((reopens - now.getTime()) / 1000)) };
    },
  };
}
