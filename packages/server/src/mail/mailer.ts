import type { MailStore } from '../store/mail/store.js';
import type { MailKind, NewMail, QueuedMail } from './message.js';
import type { SendLimiter } from './send-limits.js';

/** What a composer gives the template: `{{name}}` values (HTML-escaped in the HTML body). */
export type TemplateVariables = Record<string, string>;

/**
 * How a kind of message is filled when it is sent: the links it mints (one-time tokens, issued here and
 * not when queued, so the queue holds no secret), the user's current name. `skip`: nothing to send (no
 * such account any more, an address that changed meanwhile), recorded as such.
 */
export type Composer = (mail: QueuedMail) => Promise<{ variables: TemplateVariables } | { skip: string }>;

/** The core's side of mail: features define their kinds and queue messages; the sender delivers them. */
export interface Mailer {
  /** Called by a feature when its plugin loads, once per kind. */
  define(kind: MailKind, composer: Composer): void;
  composerFor(kind: MailKind): Composer | undefined;
  /** Every kind defined so far. */
  kinds(): MailKind[];
  /** Queues a message caused by nothing else in the database (durable when it resolves) and wakes the sender. */
  enqueue(mail: NewMail): Promise<void>;
  /** Tells the sender there is mail: after a store method queued some in its transaction. */
  wake(): void;
  /** The sender's hook for `wake`. */
  onWake(listener: () => void): void;
  /**
   * Whether a route may send one more mail to `address` for a client at `ip` (GATEHOUSE_MAIL_LIMIT_PER_*).
   * Refused: the route answers exactly as if it had sent it, and queues nothing.
   */
  allowSend: SendLimiter;
}

export function createMailer({
  store,
  clock,
  allowSend,
}: {
  store: MailStore;
  clock: () => Date;
  allowSend: SendLimiter;
}): Mailer {
  // `gatehouse mail test`'s message: nothing to fill but what every template has.
  const composers = new Map<string, Composer>([['test', async () => ({ variables: {} })]]);
  const listeners: (() => void)[] = [];
  const wake = () => {
    for (const listener of listeners) listener();
  };
  return {
    define(kind, composer) {
      if (composers.has(kind)) throw new Error(`mail: the kind ${kind} is defined twice`);
      composers.set(kind, composer);
    },
    composerFor: (kind) => composers.get(kind),
    kinds: () => [...composers.keys()],
    async enqueue(mail) {
      await store.enqueueMail(mail, clock());
      wake();
    },
    wake,
    onWake(listener) {
      listeners.push(listener);
    },
    allowSend,
  };
}
