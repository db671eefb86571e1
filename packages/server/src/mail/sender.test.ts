import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Core, Feature } from '../core/core.js';
import { FEATURES } from '../features/features.js';
import { firstLink, startMailServer, type TestMailServer } from '../testing/mail-server.js';
import { createTestContext, type TestContext, type TestContextOptions } from '../testing/test-app.js';
import type { NewMail } from './message.js';

const LINK = 'https://auth.example.com/reset-password#token=s3cret-token-value';

/** A kind of the test's own: its composer mints a link (as the flows' do), or skips, or throws. */
function linkFeature(seen: { core?: Core }): Feature {
  return async (_app, core) => {
    seen.core = core;
    core.mail.define('linky', async (mail) => ({
      variables: { link: LINK, name: String(mail.data['name']) },
    }));
    core.mail.define('gone', async () => ({ skip: 'no such account any more' }));
  };
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-mail-test-'));
  dirs.push(dir);
  return dir;
}

/** GATEHOUSE_MAIL_TEMPLATES with the `linky` kind's files. */
function linkyTemplates(): string {
  const dir = tempDir();
  fs.writeFileSync(
    path.join(dir, 'linky.txt'),
    'Subject: Reset for {{name}} at {{site_name}}\n\nOpen {{link}}\n',
  );
  fs.writeFileSync(path.join(dir, 'linky.html'), '<p>Hi {{name}}, <a href="{{link}}">reset</a></p>\n');
  fs.writeFileSync(path.join(dir, 'gone.txt'), 'Subject: Never sent\n\nNever sent\n');
  return dir;
}

describe('the mail sender', () => {
  let smtp: TestMailServer;
  let ctx: TestContext | undefined;
  let logs: string[];
  const seen: { core?: Core } = {};

  beforeEach(async () => {
    smtp = await startMailServer();
    logs = [];
  });
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
    await smtp.close();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function open(
    env: Record<string, string> = {},
    mail: TestContextOptions['mail'] = { smtpUrl: smtp.url },
  ) {
    const stream = new PassThrough();
    stream.setEncoding('utf8').on('data', (chunk: string) => logs.push(...chunk.split('\n').filter(Boolean)));
    ctx = await createTestContext(
      { GATEHOUSE_MAIL_TEMPLATES: linkyTemplates(), GATEHOUSE_SITE_NAME: 'Acme Login', ...env },
      { features: [...FEATURES, linkFeature(seen)], mail, logger: { level: 'info', stream } },
    );
    await ctx.app.ready();
    return ctx;
  }
  const core = () => {
    if (!seen.core) throw new Error('no core');
    return seen.core;
  };
  const queue = async (mail: Partial<NewMail> = {}) => {
    if (!ctx) throw new Error('no context');
    const id = await ctx.store.enqueueMail(
      { kind: 'linky', to: 'alice@example.com', userId: null, data: { name: 'Alice' }, ...mail },
      ctx.clock(),
    );
    core().mail.wake();
    return id;
  };
  const settled = async (id: string) => {
    for (let i = 0; i < 200; i++) {
      const record = await ctx?.store.findMail(id);
      if (record && record.status !== 'queued') return record;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`message ${id} still queued`);
  };
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  test('a queued message is delivered once, with its headers and both bodies; the log has no link', async () => {
    // No poll in the test's time: the wake-up delivers it.
    await open(
      { GATEHOUSE_MAIL_FROM: 'Acme <no-reply@acme.example>' },
      { smtpUrl: smtp.url, sender: { pollInterval: 60_000 } },
    );
    const id = await queue();
    const mail = await smtp.waitForMessage();
    expect(mail.envelope).toEqual({ from: 'no-reply@acme.example', to: ['alice@example.com'] });
    expect(mail.parsed.from?.value).toEqual([{ name: 'Acme', address: 'no-reply@acme.example' }]);
    expect(mail.parsed.to && !Array.isArray(mail.parsed.to) && mail.parsed.to.text).toBe('alice@example.com');
    expect(mail.parsed.messageId).toBe(`<${id}@acme.example>`);
    expect(mail.subject).toBe('Reset for Alice at Acme Login');
    expect(mail.text).toBe(`Open ${LINK}\n`);
    expect(firstLink(mail.text)).toBe(LINK);
    expect(mail.html).toContain(`<a href="${LINK}">reset</a>`);

    expect(await settled(id)).toMatchObject({
      status: 'sent',
      attempts: 1,
      messageId: `<${id}@acme.example>`,
    });
    await pause(300);
    expect(smtp.messages).toHaveLength(1);
    const sent = logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((l) => l['msg'] === 'mail sent');
    expect(sent).toMatchObject({ level: 30, mail: id, kind: 'linky', domain: 'example.com' });
    expect(logs.join('\n')).not.toContain('s3cret');
    expect(logs.join('\n')).not.toContain('alice@');
  });

  test('SMTP refusing with 4xx, then accepting: delivered exactly once, the attempts recorded', async () => {
    await open();
    smtp.refuseNext(2, 451);
    const id = await queue();
    await smtp.waitForMessage();
    expect(await settled(id)).toMatchObject({
      status: 'sent',
      attempts: 3,
      lastError: expect.stringContaining('451'),
    });
    await pause(300);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.refused()).toBe(2);
    expect(logs.join('\n')).toContain('will retry');
    expect(logs.join('\n')).not.toContain('alice@example.com');
  });

  test('a 4xx refusal waits for its back-off before the next try', async () => {
    await open({}, { smtpUrl: smtp.url, sender: { pollInterval: 50, retry: { backoff: () => 3600_000 } } });
    smtp.refuseNext(1, 421);
    const id = await queue();
    for (let i = 0; i < 100 && smtp.refused() === 0; i++) await pause(20);
    await pause(300);
    const record = await ctx?.store.findMail(id);
    expect(record).toMatchObject({
      status: 'queued',
      attempts: 1,
      lastError: expect.stringContaining('421'),
    });
    expect(record?.nextAttemptAt.getTime()).toBe((ctx?.clock().getTime() ?? 0) + 3600_000);
    ctx?.clock.advance(3600);
    core().mail.wake();
    await smtp.waitForMessage();
    expect(await settled(id)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  test('a 5xx refusal fails the message for good: recorded, not retried', async () => {
    await open();
    smtp.refuseNext(5, 550);
    const id = await queue();
    const record = await settled(id);
    expect(record).toMatchObject({ status: 'failed', attempts: 1 });
    expect(record.lastError).toMatch(/550 Mailbox unavailable/);
    await pause(300);
    expect(smtp.refused()).toBe(1);
    expect(smtp.messages).toHaveLength(0);
    expect(logs.join('\n')).toContain('mail failed for good');
  });

  test('an SMTP server that is down: retried, then given up after the last attempt', async () => {
    const down = smtp.url;
    await smtp.close();
    await open({}, { smtpUrl: down, sender: { retry: { backoff: () => 0, maxAttempts: 3 } } });
    const id = await queue();
    const record = await settled(id);
    expect(record).toMatchObject({ status: 'failed', attempts: 3 });
    expect(record.lastError).toMatch(/^gave up after 3 attempts: .*ECONNREFUSED/);
    smtp = await startMailServer();
  });

  test('an unknown kind fails at once; a composer that skips is recorded as skipped', async () => {
    await open();
    const unknown = await queue({ kind: 'no_such_kind' });
    const gone = await queue({ kind: 'gone' });
    expect(await settled(unknown)).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'no composer for the kind no_such_kind',
    });
    expect(await settled(gone)).toMatchObject({ status: 'skipped', lastError: 'no such account any more' });
    expect(smtp.messages).toHaveLength(0);
  });

  test('the built-in test message, from its built-in template', async () => {
    await open({ GATEHOUSE_PUBLIC_URL: 'https://auth.acme.example' });
    await queue({ kind: 'test', data: {} });
    const mail = await smtp.waitForMessage();
    expect(mail.subject).toBe('Test message from Acme Login');
    expect(mail.text).toContain('This is a test message from Acme Login (https://auth.acme.example)');
    expect(mail.html).toContain('<a href="https://auth.acme.example">');
  });

  test('no SMTP URL: an .eml file in the outbox folder that a mail reader opens, and a log line naming it', async () => {
    const outbox = path.join(tempDir(), 'outbox');
    await open({ GATEHOUSE_MAIL_OUTBOX_DIR: outbox }, {});
    const id = await queue();
    await settled(id);
    const files = fs.readdirSync(outbox);
    expect(files).toEqual([expect.stringMatching(new RegExp(`^\\d{8}T\\d{9}Z-${id}\\.eml$`))]);
    const file = path.join(outbox, files[0] as string);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const raw = fs.readFileSync(file);
    expect(raw.toString('latin1')).toContain('\r\n');
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe('Reset for Alice at Acme Login');
    expect(parsed.text).toBe(`Open ${LINK}\n`);
    expect(parsed.html).toContain(`href="${LINK}"`);
    expect(await ctx?.store.findMail(id)).toMatchObject({ status: 'sent', messageId: parsed.messageId });

    const lines = logs.filter((line) => line.includes(file));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: 30,
      file,
      kind: 'linky',
      domain: 'example.com',
    });
    expect(logs.join('\n')).not.toContain('s3cret');
    expect(smtp.messages).toHaveLength(0);
  });

  test('a template override that does not parse stops the app from starting', async () => {
    const templates = tempDir();
    fs.writeFileSync(path.join(templates, 'test.txt'), 'Subject: Hi {{site_name}\n\nbody\n');
    await expect(
      createTestContext({ GATEHOUSE_MAIL_TEMPLATES: templates }, { mail: { smtpUrl: smtp.url } }),
    ).rejects.toThrow(/test\.txt: a malformed placeholder near line 1/);
  });

  test('closing the app waits for the message being sent, and records it', async () => {
    await open();
    smtp.delay(700);
    const id = await queue();
    await smtp.waitForMessage();
    // The relay has the message and has not answered yet.
    expect(await ctx?.store.findMail(id)).toMatchObject({ status: 'queued', attempts: 1 });
    await ctx?.app.close();
    expect(await ctx?.store.findMail(id)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  test('a kind defined without a template stops the app from starting', async () => {
    const orphan: Feature = async (_app, core) => core.mail.define('orphan', async () => ({ variables: {} }));
    const context = await createTestContext(
      {},
      { features: [...FEATURES, orphan], mail: { smtpUrl: smtp.url } },
    );
    await expect(context.app.ready()).rejects.toThrow('no mail template for orphan.txt');
    await context.close();
  });

  test('closing the app stops the sender: what is queued afterwards waits', async () => {
    await open();
    const first = await queue();
    await settled(first);
    await ctx?.app.close();
    const id = await ctx?.store.enqueueMail(
      { kind: 'linky', to: 'bob@example.com', userId: null, data: { name: 'Bob' } },
      new Date(),
    );
    core().mail.wake();
    await pause(300);
    expect(await ctx?.store.findMail(id as string)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(smtp.messages).toHaveLength(1);
  });
});
