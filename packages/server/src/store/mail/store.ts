import type { NewMail, QueuedMail } from '../../mail/message.js';

/** What became of one attempt at a claimed message. */
export type MailOutcome =
  /** `messageId`: the SMTP server's Message-ID, or the outbox file's name. */
  | { status: 'sent'; messageId: string }
  /** Nothing to send (no such account any more, an address that changed meanwhile). */
  | { status: 'skipped'; reason: string }
  /** Given up: a permanent refusal, an unknown kind, or too many tries. */
  | { status: 'failed'; error: string }
  /** A transient failure: queued again, due at `at`. */
  | { status: 'retry'; error: string; at: Date };

export type MailStatus = 'queued' | 'sent' | 'skipped' | 'failed';

/** A message as `gatehouse mail status` and `mail test` see it. */
export interface MailRecord {
  id: string;
  kind: string;
  to: string;
  status: MailStatus;
  attempts: number;
  createdAt: Date;
  nextAttemptAt: Date;
  finishedAt: Date | null;
  lastError: string | null;
  messageId: string | null;
}

export interface MailQueueStatus {
  /** Messages per status (every status present, 0 when none). */
  counts: Record<MailStatus, number>;
  /** When the oldest message still queued was queued; undefined when none is. */
  oldestQueued: Date | undefined;
  /** The most recent errors (of messages failed, or queued for a retry, or sent after one), newest first. */
  recentErrors: MailRecord[];
}

/**
 * The store slice of the mail queue. A change that causes mail queues it in its own transaction (the
 * `mail` effect of the user and session slices, through `insertMail`); `enqueueMail` is for a message
 * caused by nothing else (a test message, a password-reset request). Senders claim due messages with a
 * lease, so that of several senders (several server processes) one sends each message, and a sender that
 * dies mid-send leaves the message to another once its lease runs out.
 */
export interface MailStore {
  /** Durable once it resolves; returns the message's id. */
  enqueueMail(mail: NewMail, now: Date): Promise<string>;
  /**
   * Claims up to `limit` due messages (queued, next attempt reached, no live lease), oldest due first,
   * until `now + leaseSeconds`, counting the attempt. Concurrent claims never return the same message
   * while its lease runs. `id`: that message only.
   */
  claimMail(now: Date, options: { leaseSeconds: number; limit: number; id?: string }): Promise<QueuedMail[]>;
  /**
   * Records how a claimed attempt ended and releases the lease. False when the claim was lost (its lease
   * ran out and another sender claimed the message again, or it was finished meanwhile): nothing changed.
   */
  recordMailOutcome(
    claim: Pick<QueuedMail, 'id' | 'attempts'>,
    outcome: MailOutcome,
    now: Date,
  ): Promise<boolean>;
  findMail(id: string): Promise<MailRecord | undefined>;
  mailQueueStatus(recentErrors: number): Promise<MailQueueStatus>;
  /** Deletes messages sent, skipped or failed before `before`; returns how many. */
  deleteFinishedMail(before: Date): Promise<number>;
}
