import { randomUUID } from 'node:crypto';
import { PostgresAdapter, sql, type Kysely, type Selectable } from 'kysely';
import type { MailData, NewMail, QueuedMail } from '../../mail/message.js';
import type { Database } from '../schema.js';
import type { MailRecord, MailStatus, MailStore } from './store.js';
import type { MailOutboxTable } from './table.js';

type Row = Selectable<MailOutboxTable>;

const STATUSES: readonly MailStatus[] = ['queued', 'sent', 'skipped', 'failed'];

/**
 * Queues a message. Called with the transaction of the change that causes it (a password change, an
 * email change, a refresh token's reuse), so the change and its mail commit together or not at all.
 */
export async function insertMail(db: Kysely<Database>, mail: NewMail, now: Date): Promise<string> {
  const id = randomUUID();
  const stamp = now.toISOString();
  await db
    .insertInto('mail_outbox')
    .values({
      id,
      kind: mail.kind,
      recipient: mail.to,
      user_id: mail.userId,
      data: JSON.stringify(mail.data ?? {}),
      status: 'queued',
      created_at: stamp,
      next_attempt_at: stamp,
    })
    .execute();
  return id;
}

export function kyselyMail(db: Kysely<Database>): MailStore {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return {
    enqueueMail: (mail, now) => insertMail(db, mail, now),

    async claimMail(now, { leaseSeconds, limit, id }) {
      const stamp = now.toISOString();
      let due = db
        .selectFrom('mail_outbox')
        .select('id')
        .where('status', '=', 'queued')
        .where('next_attempt_at', '<=', stamp)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', stamp)]))
        .orderBy('next_attempt_at')
        .limit(limit);
      if (id !== undefined) due = due.where('id', '=', id);
      // One statement: on PostgreSQL the rows another sender is claiming right now are skipped (their
      // lock), and a row it claimed meanwhile fails the re-check of its lease; SQLite runs it alone.
      if (postgres) due = due.forUpdate().skipLocked();
      const rows = await db
        .updateTable('mail_outbox')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          locked_until: new Date(now.getTime() + leaseSeconds * 1000).toISOString(),
        }))
        .where('id', 'in', due)
        .returningAll()
        .execute();
      return rows.map(toQueued).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    },

    async recordMailOutcome(claim, outcome, now) {
      const stamp = now.toISOString();
      const changes =
        outcome.status === 'sent'
          ? { status: 'sent', finished_at: stamp, message_id: outcome.messageId }
          : outcome.status === 'skipped'
            ? { status: 'skipped', finished_at: stamp, last_error: outcome.reason }
            : outcome.status === 'failed'
              ? { status: 'failed', finished_at: stamp, last_error: outcome.error }
              : { next_attempt_at: outcome.at.toISOString(), last_error: outcome.error };
      const result = await db
        .updateTable('mail_outbox')
        .set({ ...changes, locked_until: null })
        .where('id', '=', claim.id)
        .where('status', '=', 'queued')
        .where('attempts', '=', claim.attempts)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async findMail(id) {
      const row = await db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRecord(row);
    },

    async mailQueueStatus(recentErrors) {
      const [counts, oldest, errors] = await Promise.all([
        db
          .selectFrom('mail_outbox')
          .select(['status', (eb) => eb.fn.countAll<number | string>().as('n')])
          .groupBy('status')
          .execute(),
        db
          .selectFrom('mail_outbox')
          .select((eb) => eb.fn.min('created_at').as('oldest'))
          .where('status', '=', 'queued')
          .executeTakeFirst(),
        db
          .selectFrom('mail_outbox')
          .selectAll()
          .where('last_error', 'is not', null)
          .where('status', '<>', 'skipped')
          .orderBy(sql`coalesce(finished_at, next_attempt_at)`, 'desc')
          .limit(recentErrors)
          .execute(),
      ]);
      const byStatus = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<
        MailStatus,
        number
      >;
      for (const row of counts) byStatus[row.status as MailStatus] = Number(row.n);
      return {
        counts: byStatus,
        oldestQueued: oldest?.oldest ? new Date(oldest.oldest) : undefined,
        recentErrors: errors.map(toRecord),
      };
    },

    async deleteFinishedMail(before) {
      const result = await db
        .deleteFrom('mail_outbox')
        .where('status', 'in', ['sent', 'skipped', 'failed'])
        .where('finished_at', '<', before.toISOString())
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function toQueued(row: Row): QueuedMail {
  return {
    id: row.id,
    kind: row.kind,
    to: row.recipient,
    userId: row.user_id === null ? null : Number(row.user_id),
    data: JSON.parse(row.data) as MailData,
    attempts: Number(row.attempts),
    createdAt: new Date(row.created_at),
  };
}

function toRecord(row: Row): MailRecord {
  return {
    id: row.id,
    kind: row.kind,
    to: row.recipient,
    status: row.status as MailStatus,
    attempts: Number(row.attempts),
    createdAt: new Date(row.created_at),
    nextAttemptAt: new Date(row.next_attempt_at),
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
    lastError: row.last_error,
    messageId: row.message_id,
  };
}
