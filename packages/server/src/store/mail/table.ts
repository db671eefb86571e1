import type { ColumnType } from 'kysely';

/**
 * The mail queue: one row per message a change caused, written in that change's transaction, sent in
 * the background (mail/sender.ts). A row holds no secret: a link's token is minted when the message is
 * sent, so a copy of the database gives no working link.
 */
export interface MailOutboxTable {
  id: string;
  /** What the message is (mail/message.ts MailKind): its template and the composer that fills it. */
  kind: string;
  /** The address it goes to. */
  recipient: string;
  /** The account it is about; null for a test message. Kept (not a foreign key) when the account goes. */
  user_id: number | null;
  /** JSON: what the template needs that is no secret. */
  data: string;
  /** `queued` (waiting or being sent), `sent`, `skipped` (nothing to send, e.g. no such account), `failed`. */
  status: string;
  attempts: ColumnType<number, number | undefined, number>;
  created_at: string;
  /** When it may be (re)tried. */
  next_attempt_at: string;
  /** A sender's claim: no other sender takes the row before then. */
  locked_until: string | null;
  /** When it was sent, skipped or given up. */
  finished_at: string | null;
  last_error: string | null;
  /** The SMTP server's Message-ID, or the .eml file's name. */
  message_id: string | null;
}
