import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { NewMail } from '../../mail/message.js';
import type { Database } from '../schema.js';
import type { MailStore } from './store.js';

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
  return {
    enqueueMail: (mail, now) => insertMail(db, mail, now),
  };
}
