import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Store } from './store.js';

export function kyselyAudit(db: Kysely<Database>): Pick<Store, 'recordAudit' | 'listAudit'> {
  return {
    async recordAudit(entry) {
      await db
        .insertInto('audit_log')
        .values({
          at: entry.at.toISOString(),
          actor_id: entry.actorId,
          actor: entry.actor,
          action: entry.action,
          target_id: entry.targetId,
          target: entry.target,
          detail: JSON.stringify(entry.detail),
          ip: entry.ip,
        })
        .execute();
    },

    async listAudit(offset, limit, targetId) {
      let counting = db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number | string>().as('count'));
      let listing = db.selectFrom('audit_log').selectAll();
      if (targetId !== undefined) {
        counting = counting.where('target_id', '=', targetId);
        listing = listing.where('target_id', '=', targetId);
      }
      const [counted, rows] = await Promise.all([
        counting.executeTakeFirstOrThrow(),
        listing.orderBy('id', 'desc').offset(offset).limit(limit).execute(),
      ]);
      return {
        count: Number(counted.count),
        items: rows.map((row) => ({
          id: Number(row.id),
          at: new Date(row.at),
          actorId: row.actor_id === null ? null : Number(row.actor_id),
          actor: row.actor,
          action: row.action,
          targetId: row.target_id === null ? null : Number(row.target_id),
          target: row.target,
          detail: JSON.parse(row.detail) as Record<string, unknown>,
          ip: row.ip,
        })),
      };
    },
  };
}
