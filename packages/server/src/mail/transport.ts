import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type Nodemailer from 'nodemailer';
import type { SendMailOptions, Transporter } from 'nodemailer';
import type { MailConfig } from '../config.js';
import { redactDatabaseUrl } from '../config.js';

/** A message ready to go: rendered, addressed. */
export interface OutgoingMail {
  /** The queue's id: the Message-ID is built on it, so a retry carries the same one. */
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string | undefined;
}

export interface Delivery {
  messageId: string;
  /** The .eml file it was written to (the file outbox only). */
  file?: string;
}

/** Where mail goes: an SMTP server (GATEHOUSE_SMTP_URL) or, without one, a folder of .eml files. */
export interface MailTransport {
  /** `smtp host:port` or `outbox <folder>`: for logs and the CLI, without credentials. */
  readonly description: string;
  send(mail: OutgoingMail): Promise<Delivery>;
  close(): void;
}

/**
 * nodemailer is loaded with the first message, not at start: it is about 12 MB of the process, which an
 * idle server (most of the time, mail is rare) need not hold.
 */
let loading: Promise<typeof Nodemailer> | undefined;
const nodemailer = async (): Promise<typeof Nodemailer> => {
  loading ??= import('nodemailer').then((module) => module.default);
  return loading;
};

/** A transporter made on first use; `close` before that closes nothing. */
function lazyTransporter(options: Parameters<(typeof Nodemailer)['createTransport']>[0]) {
  let made: Promise<Transporter> | undefined;
  let transporter: Transporter | undefined;
  return {
    async sendMail(message: SendMailOptions) {
      made ??= nodemailer().then((module) => (transporter = module.createTransport(options)));
      return (await made).sendMail(message);
    },
    close: () => transporter?.close(),
  };
}

/** Timeouts of one SMTP exchange: well inside a claim's lease (sender.ts), so no lease runs out mid-send. */
const SMTP_TIMEOUTS = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 };

export function createMailTransport(mail: Pick<MailConfig, 'smtpUrl' | 'from' | 'outboxDir'>): MailTransport {
  return mail.smtpUrl === undefined
    ? outboxTransport(mail.from, mail.outboxDir)
    : smtpTransport(mail.smtpUrl, mail.from);
}

/**
 * nodemailer's SMTP transport from the URL: `smtp://` upgrades with STARTTLS when the server offers it,
 * `smtps://` is TLS from the first byte; `user:password@` authenticates.
 */
function smtpTransport(url: string, from: string): MailTransport {
  const transporter = lazyTransporter({ url, ...SMTP_TIMEOUTS });
  return {
    description: `smtp ${smtpAddress(url)}`,
    async send(mail) {
      const info = await transporter.sendMail(message(mail, from));
      return { messageId: info.messageId };
    },
    close: () => transporter.close(),
  };
}

/**
 * The laptop's default, as Django's file-based email backend: each message, exactly as nodemailer would
 * send it (RFC 5322, CRLF lines), in a file of its own, written under a temporary name and renamed, so a
 * reader never sees half a message. The folder and files are the owner's only: they hold working links.
 */
function outboxTransport(from: string, dir: string): MailTransport {
  const transporter = lazyTransporter({ streamTransport: true, buffer: true, newline: 'windows' });
  return {
    description: `outbox ${dir}`,
    async send(mail) {
      const info = await transporter.sendMail(message(mail, from));
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      const stamp = new Date().toISOString().replace(/[-:.]/g, '');
      const file = path.join(dir, `${stamp}-${mail.id}.eml`);
      const temporary = path.join(dir, `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        await fs.writeFile(temporary, info.message, { mode: 0o600 });
        await fs.rename(temporary, file);
      } catch (error) {
        await fs.rm(temporary, { force: true });
        throw error;
      }
      return { messageId: info.messageId, file };
    },
    close: () => transporter.close(),
  };
}

function message(mail: OutgoingMail, from: string) {
  return {
    from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    ...(mail.html !== undefined && { html: mail.html }),
    messageId: `<${mail.id}@${domainOf(from)}>`,
  };
}

/**
 * Whether a send failed for good: the server refused the message or its recipient with a 5xx reply.
 * A 4xx reply, a connection, timeout or TLS failure, and refused credentials (a setting to fix, after
 * which the queue goes on) are transient: the message is tried again later.
 */
export function isPermanentFailure(error: unknown): boolean {
  const { responseCode, code } = (error ?? {}) as { responseCode?: unknown; code?: unknown };
  if (code === 'EAUTH' || code === 'ENOAUTH' || code === 'ETLS' || code === 'ECONNECTION') return false;
  return typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600;
}

/** A failure in one line for the queue and the logs: what the server said, never the message itself. */
export function describeFailure(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const line = `${typeof code === 'string' ? `${code}: ` : ''}${text}`.replace(/\s+/g, ' ').trim();
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}

/**
 * Whether the SMTP server answers, offers what the URL asks (TLS) and takes its credentials, within
 * `timeoutMs`: `gatehouse doctor`'s check. Resolves with the problem, or undefined.
 */
export async function verifySmtp(url: string, timeoutMs = 5000): Promise<string | undefined> {
  const transporter = (await nodemailer()).createTransport({
    url,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      transporter.verify(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${timeoutMs / 1000} s`)),
          timeoutMs + 1000,
        );
      }),
    ]);
    return undefined;
  } catch (error) {
    return describeFailure(error);
  } finally {
    clearTimeout(timer);
    transporter.close();
  }
}

/** host:port of an SMTP URL (the default port of its scheme when it names none), without credentials. */
export function smtpAddress(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === 'smtps:' ? '465' : '587');
  return `${parsed.hostname}:${port}`;
}

export function redactSmtpUrl(url: string): string {
  return redactDatabaseUrl(url);
}

function domainOf(from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  return address.slice(address.lastIndexOf('@') + 1) || 'localhost';
}
