import type { MailOutcome, MailStore } from '../store/mail/store.js';
import type { Composer } from './mailer.js';
import type { MailKind, QueuedMail } from './message.js';
import { TemplateError, type MailTemplates } from './templates.js';
import { describeFailure, isPermanentFailure, type Delivery, type MailTransport } from './transport.js';

/** When a message that failed for now is tried again, and when it is given up. */
export interface RetryPolicy {
  /** Milliseconds to wait after failed attempt number `attempt` (1, 2, …). */
  backoff(attempt: number): number;
  maxAttempts: number;
  /** Milliseconds after it was queued past which a message is no longer tried. */
  giveUpAfter: number;
}

/** 30 s, doubling to at most an hour, each ±20 % so that messages queued together spread out; about a day in all. */
export const DEFAULT_RETRY: RetryPolicy = {
  backoff: (attempt) => Math.min(30_000 * 2 ** (attempt - 1), 3_600_000) * (0.8 + Math.random() * 0.4),
  maxAttempts: 30,
  giveUpAfter: 86_400_000,
};

export interface DeliverDeps {
  store: Pick<MailStore, 'recordMailOutcome'>;
  composerFor(kind: MailKind): Composer | undefined;
  templates: MailTemplates;
  transport: MailTransport;
  /** site_name and public_url, given to every template. */
  site: { siteName: string; publicUrl: string };
  clock: () => Date;
  retry: RetryPolicy;
}

export interface Delivered {
  outcome: MailOutcome;
  delivery?: Delivery;
  /** False when the claim was lost meanwhile (another sender has the message now). */
  recorded: boolean;
}

/**
 * One attempt at a claimed message: its composer fills it (minting its links now, never when queued),
 * its template renders it, the transport sends it; the outcome is recorded and the lease released.
 */
export async function deliver(deps: DeliverDeps, mail: QueuedMail): Promise<Delivered> {
  const { outcome, delivery } = await attempt(deps, mail);
  const recorded = await deps.store.recordMailOutcome(mail, outcome, deps.clock());
  return { outcome, ...(delivery && { delivery }), recorded };
}

async function attempt(deps: DeliverDeps, mail: QueuedMail): Promise<Omit<Delivered, 'recorded'>> {
  const composer = deps.composerFor(mail.kind);
  if (composer === undefined) {
    return { outcome: { status: 'failed', error: `no composer for the kind ${mail.kind}` } };
  }
  let composed;
  try {
    composed = await composer(mail);
  } catch (error) {
    // The database behind a composer may be away for a moment: as transient as a refused connection.
    return { outcome: retryOrGiveUp(deps, mail, `composing failed: ${describeFailure(error)}`) };
  }
  if ('skip' in composed) return { outcome: { status: 'skipped', reason: composed.skip } };
  let rendered;
  try {
    rendered = deps.templates.render(mail.kind, {
      ...composed.variables,
      site_name: deps.site.siteName,
      public_url: deps.site.publicUrl,
    });
  } catch (error) {
    if (error instanceof TemplateError) return { outcome: { status: 'failed', error: error.message } };
    throw error;
  }
  try {
    const delivery = await deps.transport.send({ id: mail.id, to: mail.to, ...rendered });
    return { outcome: { status: 'sent', messageId: delivery.messageId }, delivery };
  } catch (error) {
    const described = describeFailure(error);
    if (isPermanentFailure(error)) return { outcome: { status: 'failed', error: described } };
    return { outcome: retryOrGiveUp(deps, mail, described) };
  }
}

function retryOrGiveUp(deps: DeliverDeps, mail: QueuedMail, error: string): MailOutcome {
  const now = deps.clock().getTime();
  const at = now + Math.max(0, deps.retry.backoff(mail.attempts));
  if (mail.attempts >= deps.retry.maxAttempts || at - mail.createdAt.getTime() > deps.retry.giveUpAfter) {
    return { status: 'failed', error: `gave up after ${mail.attempts} attempts: ${error}` };
  }
  return { status: 'retry', error, at: new Date(at) };
}
