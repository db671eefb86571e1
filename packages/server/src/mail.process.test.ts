import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { freePort } from './testing/free-port.js';
import { startMailServer, type TestMailServer } from './testing/mail-server.js';
import { usePostgres } from './testing/postgres.js';
import { assertServerBuilt, killServers, startServer, waitReady } from './testing/server-process.js';

/**
 * The built server's mail path, as deployed: its sender, its built-in templates (copied beside the
 * bundle by the build), a relay that is down, a SIGKILL, and several instances over one database.
 */

let dir: string;
let smtp: TestMailServer | undefined;
const stores: Store[] = [];

beforeAll(assertServerBuilt);
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-mail-process-'));
});
afterEach(async () => {
  await killServers();
  for (const store of stores.splice(0)) await store.close();
  await smtp?.close();
  smtp = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});
afterAll(killServers);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await pause(100);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

test("messages queued while the SMTP server is down (a registration's among them) survive a SIGKILL and are delivered after the restart", async () => {
  const dbFile = path.join(dir, 'db.sqlite3');
  const smtpPort = await freePort();
  const env = {
    DATABASE_URL: `sqlite:${dbFile}`,
    GATEHOUSE_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    GATEHOUSE_SITE_NAME: 'Acme Login',
    GATEHOUSE_PUBLIC_URL: 'https://auth.acme.example',
  };
  const first = await waitReady(await startServer(env));
  const store = openStore({ kind: 'sqlite', path: dbFile });
  stores.push(store);
  // A registration acknowledged while the relay is down: its verification mail was queued with the account.
  const registered = await fetch(`${first.base}/api/users/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'carol', email: 'carol@example.com', password: 'tangerine-kayak-42' }),
  });
  expect(registered.status).toBe(201);
  const tried = await store.enqueueMail({ kind: 'test', to: 'first@example.com', userId: null }, new Date());
  // The server's next poll tries it: the relay refuses the connection, and it is queued for a retry.
  const failed = await until('the first attempt', async () => {
    const record = await store.findMail(tried);
    return record?.lastError ? record : undefined;
  });
  expect(failed).toMatchObject({
    status: 'queued',
    attempts: 1,
    lastError: expect.stringMatching(/ECONNREFUSED/),
  });

  first.child.kill('SIGKILL');
  expect((await first.closed).signal).toBe('SIGKILL');
  const waiting = await store.enqueueMail(
    { kind: 'test', to: 'second@example.com', userId: null },
    new Date(),
  );
  // The retries' back-off (30 s and more) has run out: not waited for here.
  const sqlite = new SqliteDatabase(dbFile);
  sqlite
    .prepare("update mail_outbox set next_attempt_at = ? where status = 'queued'")
    .run(new Date().toISOString());
  sqlite.close();

  smtp = await startMailServer({ port: smtpPort });
  const second = await waitReady(await startServer(env));
  const mails = smtp;
  await until('the three messages', async () => (mails.messages.length >= 3 ? true : undefined));
  await pause(500);
  expect(mails.messages.map((m) => m.envelope.to).sort()).toEqual([
    ['carol@example.com'],
    ['first@example.com'],
    ['second@example.com'],
  ]);
  // The registration's mail, composed after the restart: its link verifies the address.
  const verification = mails.messages.find((m) => m.envelope.to.includes('carol@example.com'));
  const link = /https:\/\/auth\.acme\.example\/verify-email#token=([A-Za-z0-9_-]{43})/.exec(
    verification?.text ?? '',
  );
  expect(link, verification?.text).not.toBeNull();
  const verified = await fetch(`${second.base}/api/auth/email/verify/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: link?.[1] }),
  });
  expect(verified.status).toBe(200);
  for (const mail of mails.messages.filter((m) => m !== verification)) {
    // The built-in template, as the built server found it.
    expect(mail.subject).toBe('Test message from Acme Login');
    expect(mail.text).toContain('This is a test message from Acme Login (https://auth.acme.example)');
    expect(mail.html).toContain('<a href="https://auth.acme.example">');
  }
  expect(await store.findMail(tried)).toMatchObject({ status: 'sent', attempts: 2 });
  expect(await store.findMail(waiting)).toMatchObject({ status: 'sent', attempts: 1 });
}, 60_000);

const postgres = await usePostgres('the mail process tests on PostgreSQL');

describe.skipIf(!postgres)('two server processes over one PostgreSQL database', () => {
  test('20 queued messages: each delivered exactly once', async () => {
    if (!postgres) throw new Error('PostgreSQL is not reachable');
    smtp = await startMailServer();
    const { url } = await postgres.createDatabase('gatehouse_mail');
    const env = { DATABASE_URL: url, GATEHOUSE_DATABASE_POOL_SIZE: '4', GATEHOUSE_SMTP_URL: smtp.url };
    const servers = await Promise.all([startServer(env), startServer(env)]);
    await Promise.all(servers.map(waitReady));
    const store = openStore({ kind: 'postgres', url, poolSize: 2 });
    stores.push(store);
    const recipients = Array.from({ length: 20 }, (_, i) => `user${String(i).padStart(2, '0')}@example.com`);
    const now = new Date();
    const ids = await Promise.all(
      recipients.map((to) => store.enqueueMail({ kind: 'test', to, userId: null }, now)),
    );

    const mails = smtp;
    await until('20 messages', async () => (mails.messages.length >= 20 ? true : undefined));
    // Long enough for a duplicate to arrive, were there one.
    await pause(1500);
    expect(mails.messages.map((m) => m.envelope.to.join()).sort()).toEqual(recipients);
    expect(new Set(mails.messages.map((m) => m.parsed.messageId)).size).toBe(20);
    for (const id of ids) expect(await store.findMail(id)).toMatchObject({ status: 'sent', attempts: 1 });
  }, 60_000);
});
