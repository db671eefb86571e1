import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { AuditStore, NewAuditEntry } from './store.js';

/**
 * Writes an audit entry on `db`, which may be the transaction of the change it records: the change and
 * its entry commit together or not at all.
 */
export async function insertAudit(db: Kysely<Database>, entry: NewAuditEntry): Promise<void> {
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
}

/** `detail` with the count of sessions a change ended. */
export function withSessionsEnded(entry: NewAuditEntry, ended: number): NewAuditEntry {
  return { ...entry, detail: { ...entry.detail, sessions_ended: ended } };
}

export function kyselyAudit(db: Kysely<Database>): AuditStore {
  return {
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
