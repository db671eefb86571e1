/**
 * The kinds of message Gatehouse sends, and any a feature adds; each has a template (mail/templates/)
 * and a composer that fills it when the message is sent.
 */
export type MailKind =
  | 'test'
  | 'verify_email'
  | 'password_reset'
  | 'email_change_confirm'
  | 'email_changed'
  | 'password_changed'
  | 'password_reset_done'
  | 'refresh_reuse'
  | 'mfa_changed'
  | 'identity_linked'
  | (string & {});

/** A value a queued message may carry: plain facts, never a secret. */
export type MailData = Record<string, string | number | boolean | null>;

/**
 * A message as it is queued, in the transaction of the change that causes it. It carries no secret: a
 * link's token is minted by the composer when the message is sent (and minted again on a retry,
 * replacing the first), so the queue never holds a working link.
 */
export interface NewMail {
  kind: MailKind;
  /** The address it goes to. */
  to: string;
  /** The account it is about; null for a test message. */
  userId: number | null;
  data?: MailData;
}

/** A queued message, as a sender claims it. */
export interface QueuedMail {
  id: string;
  kind: MailKind;
  to: string;
  userId: number | null;
  data: MailData;
  /** Tries so far, this one included. */
  attempts: number;
  createdAt: Date;
}
