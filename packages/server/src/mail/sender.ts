import type { MailStore } from '../store/mail/store.js';
import { deliver, DEFAULT_RETRY, type DeliverDeps, type RetryPolicy } from './deliver.js';
import type { QueuedMail } from './message.js';

/** The sender's knobs; the defaults suit production, tests make them short. Not settings of the server. */
export interface SenderOptions {
  /** How often the queue is looked at without a wake-up: for retries and other processes' messages. */
  pollInterval?: number;
  retry?: Partial<RetryPolicy>;
  /** How long a claim keeps other senders off a message: far longer than one SMTP exchange may take. */
  leaseSeconds?: number;
}

export interface SenderLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface Sender {
  start(): void;
  /** Looks at the queue now (soon after the caller's work: never on its path). */
  wake(): void;
  /** Stops looking; resolves once the message being sent, if any, is done and recorded. */
  stop(): Promise<void>;
}

export const DEFAULT_POLL_INTERVAL = 5_000;
export const DEFAULT_LEASE_SECONDS = 600;

/**
 * The background loop that delivers the queue: it claims one due message at a time (so that several
 * server processes share the work and none sends a message another is sending), delivers it and
 * records how it went, until none is due; then it sleeps until woken or until the next poll.
 */
export function createSender(
  deps: Omit<DeliverDeps, 'retry'> & {
    store: Pick<MailStore, 'claimMail' | 'recordMailOutcome'>;
    log: SenderLog;
    options?: SenderOptions;
  },
): Sender {
  const { store, log, clock, options = {} } = deps;
  const pollInterval = options.pollInterval ?? DEFAULT_POLL_INTERVAL;
  const leaseSeconds = options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  const deliverDeps: DeliverDeps = { ...deps, retry: { ...DEFAULT_RETRY, ...options.retry } };
  let stopped = true;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  const schedule = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  const tick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = drain().finally(() => {
      running = undefined;
      if (stopped) return;
      schedule(again ? 0 : pollInterval);
      again = false;
    });
  };

  async function drain(): Promise<void> {
    while (!stopped) {
      let claimed: QueuedMail[];
      try {
        claimed = await store.claimMail(clock(), { leaseSeconds, limit: 1 });
      } catch (error) {
        log.error({ err: error }, 'mail: looking at the queue failed; trying again at the next poll');
        return;
      }
      const mail = claimed[0];
      if (mail === undefined) return;
      try {
        report(mail, await deliver(deliverDeps, mail));
      } catch (error) {
        // The outcome could not be recorded (the database went away): the lease runs out and it is tried again.
        log.error({ err: error, mail: mail.id, kind: mail.kind }, 'mail: recording a delivery failed');
        return;
      }
    }
  }

  function report(mail: QueuedMail, { outcome, delivery, recorded }: Awaited<ReturnType<typeof deliver>>) {
    // Never the body or a link; the recipient by its domain only.
    const details = { mail: mail.id, kind: mail.kind, domain: domainOf(mail.to), attempts: mail.attempts };
    const hide = (error: string) => error.split(mail.to).join(`…@${domainOf(mail.to)}`);
    if (!recorded) log.warn(details, 'mail: the claim was lost meanwhile (another sender has the message)');
    switch (outcome.status) {
      case 'sent':
        if (delivery?.file !== undefined)
          log.info({ ...details, file: delivery.file }, `mail written to ${delivery.file}`);
        else log.info({ ...details, messageId: outcome.messageId }, 'mail sent');
        return;
      case 'skipped':
        log.info({ ...details, reason: outcome.reason }, 'mail skipped');
        return;
      case 'retry':
        log.warn(
          { ...details, error: hide(outcome.error), retryAt: outcome.at.toISOString() },
          'mail not sent; will retry',
        );
        return;
      case 'failed':
        log.error({ ...details, error: hide(outcome.error) }, 'mail failed for good');
        return;
    }
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    wake() {
      if (stopped) return;
      if (running) again = true;
      else schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      deps.transport.close();
    },
  };
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}
