import type { MailConfig } from '../config.js';
import { deliver } from '../mail/deliver.js';
import { createMailer } from '../mail/mailer.js';
import { domainOf } from '../mail/sender.js';
import { loadTemplates, TemplateError } from '../mail/templates.js';
import { createMailTransport } from '../mail/transport.js';
import type { MailStore } from '../store/mail/store.js';
import { CommandError, writeLine, type CliIo } from './io.js';

export interface MailCommandContext {
  io: CliIo;
  store: MailStore;
  mail: MailConfig;
  clock: () => Date;
}

/** How long `mail test` waits for a running server that claimed its message first. */
const WAIT_FOR_SERVER_MS = 60_000;
/** Finished messages older than this go at `gatehouse flushexpiredtokens`. */
export const FINISHED_MAIL_RETENTION_DAYS = 30;

/**
 * `gatehouse mail test <address>`: queues a test message and delivers it at once, through the same path
 * as the server (template, transport, the queue's record), then says where it went or why not; a
 * failure is final (not left to the server's retries) and exits 1.
 */
export async function mailTest(ctx: MailCommandContext, address: string): Promise<void> {
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(address)) throw new CommandError(`${address}: not an email address`);
  const { io, store, mail: config, clock } = ctx;
  let templates;
  try {
    templates = loadTemplates(config.templatesDir);
  } catch (error) {
    if (error instanceof TemplateError) throw new CommandError(error.message);
    throw error;
  }
  const transport = createMailTransport(config);
  try {
    const id = await store.enqueueMail({ kind: 'test', to: address, userId: null }, clock());
    const [claimed] = await store.claimMail(clock(), { leaseSeconds: 600, limit: 1, id });
    if (claimed === undefined) {
      // A running server took it first: its outcome is the answer.
      writeLine(io.stdout, `Queued ${id}; a running server is sending it.`);
      return await waitForServer(ctx, id);
    }
    const mailer = createMailer({ store, clock, allowSend: async () => true });
    const { outcome, delivery } = await deliver(
      {
        store,
        composerFor: mailer.composerFor,
        templates,
        transport,
        site: config,
        clock,
        retry: { backoff: () => 0, maxAttempts: 1, giveUpAfter: 0 },
      },
      claimed,
    );
    if (outcome.status !== 'sent') {
      throw new CommandError(
        `Not sent (${transport.description}): ${'error' in outcome ? outcome.error : outcome.status}`,
      );
    }
    writeLine(
      io.stdout,
      delivery?.file !== undefined
        ? `Written to ${delivery.file} (no GATEHOUSE_SMTP_URL: mail goes to the outbox folder, nobody receives it).`
        : `Sent to ${address} through ${transport.description} (Message-ID ${outcome.messageId}).`,
    );
  } finally {
    transport.close();
  }
}

async function waitForServer({ io, store }: MailCommandContext, id: string): Promise<void> {
  const deadline = Date.now() + WAIT_FOR_SERVER_MS;
  while (Date.now() < deadline) {
    const record = await store.findMail(id);
    if (record?.status === 'sent') {
      writeLine(io.stdout, `Sent by the server (Message-ID ${record.messageId ?? '-'}).`);
      return;
    }
    if (record && record.status !== 'queued') {
      throw new CommandError(`Not sent: ${record.status}: ${record.lastError ?? ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const record = await store.findMail(id);
  throw new CommandError(
    `Not sent yet after ${WAIT_FOR_SERVER_MS / 1000} s (${record?.attempts ?? 0} attempts): ${record?.lastError ?? 'no error recorded'}; gatehouse mail status shows the queue`,
  );
}

/** `gatehouse mail status`: where mail goes, the messages per status, the oldest waiting, the last errors. */
export async function mailStatus({ io, store, mail: config, clock }: MailCommandContext): Promise<void> {
  const status = await store.mailQueueStatus(10);
  writeLine(io.stdout, `Transport: ${createMailTransport(config).description}`);
  const { counts, oldestQueued } = status;
  const waiting =
    oldestQueued === undefined
      ? ''
      : ` (the oldest since ${oldestQueued.toISOString()}, ${ago(clock().getTime() - oldestQueued.getTime())} ago)`;
  writeLine(io.stdout, `Queued: ${counts.queued}${waiting}`);
  writeLine(io.stdout, `Sent: ${counts.sent}`);
  writeLine(io.stdout, `Skipped: ${counts.skipped}`);
  writeLine(io.stdout, `Failed: ${counts.failed}`);
  if (status.recentErrors.length === 0) {
    writeLine(io.stdout, 'No errors recorded.');
    return;
  }
  writeLine(io.stdout, 'Last errors (newest first):');
  for (const record of status.recentErrors) {
    const state =
      record.status === 'queued'
        ? `queued, next try at ${record.nextAttemptAt.toISOString()}`
        : `${record.status} at ${(record.finishedAt ?? record.nextAttemptAt).toISOString()}`;
    const attempts = `${record.attempts} attempt${record.attempts === 1 ? '' : 's'}`;
    writeLine(
      io.stdout,
      `  ${record.kind} to …@${domainOf(record.to)}: ${state} after ${attempts}: ${record.lastError ?? ''}`,
    );
  }
}

function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}
