import type { NewMail } from '../../mail/message.js';

/**
 * The store slice of the mail queue. A change that causes mail queues it in its own transaction (the
 * `mail` effect of the user and session slices, through `insertMail`); `enqueueMail` is for a message
 * caused by nothing else (a test message, a password-reset request).
 */
export interface MailStore {
  /** Durable once it resolves; returns the message's id. */
  enqueueMail(mail: NewMail, now: Date): Promise<string>;
}
