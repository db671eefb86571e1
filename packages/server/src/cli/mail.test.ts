import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { startMailServer, type TestMailServer } from '../testing/mail-server.js';
import { HELP, runCli } from './run.js';

let dir: string;
let smtp: TestMailServer;
const stores: Store[] = [];

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-mail-'));
  smtp = await startMailServer();
});
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  await smtp.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function cli(argv: string[], env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const code = await runCli(argv, {
    env: {
      DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite3')}`,
      GATEHOUSE_MAIL_OUTBOX_DIR: path.join(dir, 'outbox'),
      GATEHOUSE_SITE_NAME: 'Acme',
      ...env,
    },
    stdin: Readable.from([]),
    stdout,
    stderr,
  });
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: out, stderr: err };
}

function store(): Store {
  const opened = openStore({ kind: 'sqlite', path: path.join(dir, 'db.sqlite3') });
  stores.push(opened);
  return opened;
}

describe('gatehouse mail test', () => {
  test('sends a test message through the SMTP server now and says so', async () => {
    const run = await cli(['mail', 'test', 'ops@example.com'], { GATEHOUSE_SMTP_URL: smtp.url });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(
        `^Sent to ops@example\\.com through smtp 127\\.0\\.0\\.1:${smtp.port} \\(Message-ID <[0-9a-f-]{36}@localhost>\\)\\.\\n$`,
      ),
    );
    const mail = await smtp.waitForMessage(() => true, 1000);
    expect(mail.envelope.to).toEqual(['ops@example.com']);
    expect(mail.subject).toBe('Test message from Acme');
    expect(mail.html).toContain('gatehouse mail test');
    const status = await store().mailQueueStatus(5);
    expect(status.counts).toEqual({ queued: 0, sent: 1, skipped: 0, failed: 0 });
  });

  test('a refusal is reported, recorded as failed (not left for retries), and exits 1', async () => {
    smtp.refuseNext(1, 451);
    const run = await cli(['mail', 'test', 'ops@example.com'], { GATEHOUSE_SMTP_URL: smtp.url });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^Not sent \(smtp 127\.0\.0\.1:\d+\): gave up after 1 attempts: EENVELOPE: .*451 Try again later/,
    );
    expect((await store().mailQueueStatus(5)).counts).toEqual({ queued: 0, sent: 0, skipped: 0, failed: 1 });

    await smtp.close();
    const down = await cli(['mail', 'test', 'ops@example.com'], { GATEHOUSE_SMTP_URL: smtp.url });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/ECONNREFUSED/);
    smtp = await startMailServer();
  });

  test('without an SMTP URL it writes the outbox file and names it', async () => {
    const run = await cli(['mail', 'test', 'ops@example.com']);
    expect(run.code).toBe(0);
    const file = /^Written to (\S+\.eml) \(no GATEHOUSE_SMTP_URL/.exec(run.stdout)?.[1];
    expect(file).toBeDefined();
    expect(path.dirname(file as string)).toBe(path.join(dir, 'outbox'));
    expect((await simpleParser(fs.readFileSync(file as string))).subject).toBe('Test message from Acme');
  });

  test('needs exactly one address', async () => {
    expect(await cli(['mail', 'test'])).toEqual({
      code: 2,
      stdout: '',
      stderr: `gatehouse: mail test needs one address (gatehouse mail test you@example.com)\n\n${HELP}\n`,
    });
    expect((await cli(['mail', 'test', 'not-an-address'])).stderr).toBe(
      'not-an-address: not an email address\n',
    );
  });

  test('a template override that does not parse is reported', async () => {
    const templates = path.join(dir, 'templates');
    fs.mkdirSync(templates);
    fs.writeFileSync(path.join(templates, 'test.txt'), 'no subject line\n');
    const run = await cli(['mail', 'test', 'ops@example.com'], { GATEHOUSE_MAIL_TEMPLATES: templates });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/test\.txt: expected "Subject: …" on the first line/);
  });
});

describe('gatehouse mail status', () => {
  test('the queue: where mail goes, counts per status, the oldest waiting, the last errors', async () => {
    expect((await cli(['mail', 'status'], { GATEHOUSE_SMTP_URL: smtp.url })).stdout).toBe(
      [
        `Transport: smtp 127.0.0.1:${smtp.port}`,
        'Queued: 0',
        'Sent: 0',
        'Skipped: 0',
        'Failed: 0',
        'No errors recorded.',
        '',
      ].join('\n'),
    );
    smtp.refuseNext(1, 550);
    await cli(['mail', 'test', 'ops@example.com'], { GATEHOUSE_SMTP_URL: smtp.url });
    await cli(['mail', 'test', 'ops@example.com'], { GATEHOUSE_SMTP_URL: smtp.url });
    const db = store();
    const queuedAt = new Date(Date.now() - 3 * 60_000);
    const reset = await db.enqueueMail(
      { kind: 'password_reset', to: 'alice@example.com', userId: 1 },
      queuedAt,
    );
    await db.claimMail(queuedAt, { leaseSeconds: 60, limit: 1, id: reset });
    const retryAt = new Date(Date.now() + 3_600_000);
    await db.recordMailOutcome(
      { id: reset, attempts: 1 },
      { status: 'retry', error: 'ECONNECTION: Connection closed', at: retryAt },
      queuedAt,
    );

    const run = await cli(['mail', 'status']);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.slice(0, 6)).toEqual([
      `Transport: outbox ${path.join(dir, 'outbox')}`,
      `Queued: 1 (the oldest since ${queuedAt.toISOString()}, 3m ago)`,
      'Sent: 1',
      'Skipped: 0',
      'Failed: 1',
      'Last errors (newest first):',
    ]);
    expect(lines[6]).toBe(
      `  password_reset to …@example.com: queued, next try at ${retryAt.toISOString()} after 1 attempt: ECONNECTION: Connection closed`,
    );
    expect(lines[7]).toMatch(
      /^ {2}test to …@example\.com: failed at \S+Z after 1 attempt: EENVELOPE: .*550 Mailbox unavailable/,
    );
    expect(lines).toHaveLength(9);
  });
});

describe('flushexpiredtokens', () => {
  test('also deletes mail finished over 30 days ago', async () => {
    const db = store();
    await db.migrate();
    const old = new Date(Date.now() - 31 * 86_400_000);
    const ids = [
      await db.enqueueMail({ kind: 'test', to: 'a@example.com', userId: null }, old),
      await db.enqueueMail({ kind: 'test', to: 'b@example.com', userId: null }, old),
    ];
    await db.claimMail(old, { leaseSeconds: 60, limit: 5 });
    await db.recordMailOutcome(
      { id: ids[0] as string, attempts: 1 },
      { status: 'sent', messageId: 'm' },
      old,
    );
    await db.recordMailOutcome(
      { id: ids[1] as string, attempts: 1 },
      { status: 'sent', messageId: 'm' },
      new Date(),
    );
    expect((await cli(['flushexpiredtokens'])).stdout).toBe(
      'Removed 0 expired refresh tokens.\nRemoved 1 finished mail message over 30 days old.\n',
    );
    expect(await db.findMail(ids[0] as string)).toBeUndefined();
    expect(await db.findMail(ids[1] as string)).toBeDefined();
  });
});
