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

    async reserveLoginAttempt(key, now, resetAfter, delays) {
      if (delays.length === 0) throw new Error('reserveLoginAttempt: no delays');
      const stamp = now.toISOString();
      const forgetBefore = new Date(now.getTime() - resetAfter * 1000).toISOString();
      const failures = sql<number>`case when login_failures.last_failure_at > ${forgetBefore} then login_failures.failures + 1 else 1 end`;
      // The block each count reaches, as timestamps computed here (the same SQL in both dialects): one
      // WHEN per change of delay, so the statement stays short whatever the policy.
      const until = (seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString();
      const steps: { upTo: number; until: string }[] = [];
      delays.forEach((seconds, index) => {
        const last = steps.at(-1);
        if (last && last.until === until(seconds)) last.upTo = index + 1;
        else steps.push({ upTo: index + 1, until: until(seconds) });
      });
      const otherwise = until(delays.at(-1) ?? 0);
      const blockedUntil = sql<string>`case ${sql.join(
        steps.map((step) => sql`when ${failures} <= ${step.upTo} then ${step.until}`),
        sql` `,
      )} else ${otherwise} end`;
      // Insert-or-update guarded by the block: a row comes back only when the attempt was allowed (a
      // blocked key matches the WHERE of neither dialect's upsert, so nothing is written for it).
      const reserved = await db
        .insertInto('login_failures')
        .values({ key, failures: 1, last_failure_at: stamp, blocked_until: until(delays[0] ?? 0) })
        .onConflict((oc) =>
          oc
            .column('key')
            .doUpdateSet({ failures, last_failure_at: stamp, blocked_until: blockedUntil })
            .where('login_failures.blocked_until', '<=', stamp),
        )
        .returning('failures')
        .executeTakeFirst();
      if (reserved) return { allowed: true };
      const row = await db
        .selectFrom('login_failures')
        .select('blocked_until')
        .where('key', '=', key)
        .executeTakeFirst();
      // Cleared between the two statements: the next attempt will find the key free.
      return { allowed: false, blockedUntil: new Date(row?.blocked_until ?? stamp) };
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
