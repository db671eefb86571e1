import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { NewMail } from '../../mail/message.js';
import { openStore } from '../open-store.js';
import type { Store } from '../store.js';
import {
  T0,
  at,
  describeOnEveryDatabase,
  useContractStore,
  type OpenPostgres,
  type OpenTestStore,
  type PostgresTestStore,
} from '../../testing/store-contract.js';

const LEASE = { leaseSeconds: 600, limit: 10 };
const mail = (to: string, overrides: Partial<NewMail> = {}): NewMail => ({
  kind: 'test',
  to,
  userId: null,
  ...overrides,
});

/**
 * The behaviour every MailStore implementation shares. Each test gets a fresh, migrated store; it runs
 * against SQLite and PostgreSQL (see the end of this file).
 */
function describeMailStore(name: string, open: OpenTestStore, skip = false) {
  describe.skipIf(skip)(`MailStore contract: ${name}`, () => {
    const contract = useContractStore(open);
    let store: Store;
    beforeEach(() => {
      store = contract.store;
    });

    test('a queued message is claimed once while its lease runs, with its data and the attempt counted', async () => {
      const id = await store.enqueueMail(
        mail('alice@example.com', { kind: 'verify_email', userId: 7, data: { n: 1, ok: true } }),
        T0,
      );
      const [claimed, ...others] = await store.claimMail(at(1), LEASE);
      expect(others).toEqual([]);
      expect(claimed).toEqual({
        id,
        kind: 'verify_email',
        to: 'alice@example.com',
        userId: 7,
        data: { n: 1, ok: true },
        attempts: 1,
        createdAt: T0,
      });
      expect(await store.claimMail(at(2), LEASE)).toEqual([]);
      expect(await store.claimMail(at(600), LEASE)).toEqual([]);
      // The sender died: once the lease has run out, another claims it, as its second attempt.
      expect((await store.claimMail(at(602), LEASE)).map((m) => [m.id, m.attempts])).toEqual([[id, 2]]);
    });

    test('only due messages are claimed, oldest first, at most `limit`, or the one named', async () => {
      const first = await store.enqueueMail(mail('a@example.com'), at(0));
      const second = await store.enqueueMail(mail('b@example.com'), at(1));
      const later = await store.enqueueMail(mail('c@example.com'), at(100));
      expect(await store.claimMail(at(0), LEASE)).toHaveLength(1);
      await store.recordMailOutcome(
        { id: first, attempts: 1 },
        { status: 'retry', error: 'x', at: at(50) },
        at(0),
      );

      expect((await store.claimMail(at(10), { ...LEASE, id: later })).map((m) => m.id)).toEqual([]);
      expect((await store.claimMail(at(10), { ...LEASE, limit: 5 })).map((m) => m.id)).toEqual([second]);
      expect((await store.claimMail(at(200), { ...LEASE, id: later })).map((m) => m.id)).toEqual([later]);
      expect((await store.claimMail(at(200), LEASE)).map((m) => [m.id, m.attempts])).toEqual([[first, 2]]);
    });

    test('sent, skipped and failed end a message; a retry queues it again with its error', async () => {
      const ids = await Promise.all(
        ['s', 'k', 'f', 'r'].map((n) => store.enqueueMail(mail(`${n}@example.com`), T0)),
      );
      const [sent, skipped, failed, retried] = ids as [string, string, string, string];
      expect(await store.claimMail(at(1), LEASE)).toHaveLength(4);
      const claim = (id: string) => ({ id, attempts: 1 });
      expect(await store.recordMailOutcome(claim(sent), { status: 'sent', messageId: '<m1@x>' }, at(2))).toBe(
        true,
      );
      expect(
        await store.recordMailOutcome(
          claim(skipped),
          { status: 'skipped', reason: 'no such account' },
          at(2),
        ),
      ).toBe(true);
      expect(
        await store.recordMailOutcome(claim(failed), { status: 'failed', error: '550 no such user' }, at(2)),
      ).toBe(true);
      expect(
        await store.recordMailOutcome(
          claim(retried),
          { status: 'retry', error: '451 later', at: at(30) },
          at(2),
        ),
      ).toBe(true);

      expect(await store.findMail(sent)).toMatchObject({
        status: 'sent',
        attempts: 1,
        finishedAt: at(2),
        messageId: '<m1@x>',
        lastError: null,
      });
      expect(await store.findMail(skipped)).toMatchObject({
        status: 'skipped',
        lastError: 'no such account',
      });
      expect(await store.findMail(failed)).toMatchObject({ status: 'failed', lastError: '550 no such user' });
      expect(await store.findMail(retried)).toMatchObject({
        status: 'queued',
        attempts: 1,
        nextAttemptAt: at(30),
        finishedAt: null,
        lastError: '451 later',
      });
      expect(await store.findMail('00000000-0000-0000-0000-000000000000')).toBeUndefined();

      // The lease is released: due again at its retry time, not at the lease's end.
      expect(await store.claimMail(at(29), LEASE)).toEqual([]);
      expect((await store.claimMail(at(30), LEASE)).map((m) => [m.id, m.attempts])).toEqual([[retried, 2]]);
    });

    test('an outcome for a lost claim changes nothing', async () => {
      const id = await store.enqueueMail(mail('a@example.com'), T0);
      await store.claimMail(at(0), LEASE);
      // Its lease ran out; another sender claimed it (attempt 2) and sent it.
      await store.claimMail(at(601), LEASE);
      expect(
        await store.recordMailOutcome({ id, attempts: 1 }, { status: 'failed', error: 'late' }, at(602)),
      ).toBe(false);
      expect(
        await store.recordMailOutcome({ id, attempts: 2 }, { status: 'sent', messageId: 'm' }, at(602)),
      ).toBe(true);
      expect(
        await store.recordMailOutcome({ id, attempts: 2 }, { status: 'failed', error: 'again' }, at(603)),
      ).toBe(false);
      expect(await store.findMail(id)).toMatchObject({ status: 'sent', lastError: null });
    });

    test('the queue status: counts per status, the oldest queued, the latest errors', async () => {
      expect(await store.mailQueueStatus(5)).toEqual({
        counts: { queued: 0, sent: 0, skipped: 0, failed: 0 },
        oldestQueued: undefined,
        recentErrors: [],
      });
      const a = await store.enqueueMail(mail('a@example.com'), at(0));
      const b = await store.enqueueMail(mail('b@example.com'), at(1));
      const c = await store.enqueueMail(mail('c@example.com'), at(2));
      const d = await store.enqueueMail(mail('d@example.com'), at(3));
      await store.claimMail(at(10), LEASE);
      await store.recordMailOutcome({ id: a, attempts: 1 }, { status: 'failed', error: '550 a' }, at(11));
      await store.recordMailOutcome({ id: b, attempts: 1 }, { status: 'skipped', reason: 'gone' }, at(12));
      await store.recordMailOutcome(
        { id: c, attempts: 1 },
        { status: 'retry', error: '451 c', at: at(40) },
        at(13),
      );
      await store.recordMailOutcome({ id: d, attempts: 1 }, { status: 'sent', messageId: 'm' }, at(14));

      const status = await store.mailQueueStatus(5);
      expect(status.counts).toEqual({ queued: 1, sent: 1, skipped: 1, failed: 1 });
      expect(status.oldestQueued).toEqual(at(2));
      expect(status.recentErrors.map((r) => [r.id, r.status, r.lastError])).toEqual([
        [c, 'queued', '451 c'],
        [a, 'failed', '550 a'],
      ]);
      expect((await store.mailQueueStatus(1)).recentErrors.map((r) => r.id)).toEqual([c]);
    });

    test('deleteFinishedMail removes messages finished before the date, never a queued one', async () => {
      const old = await store.enqueueMail(mail('a@example.com'), at(0));
      const recent = await store.enqueueMail(mail('b@example.com'), at(0));
      const waiting = await store.enqueueMail(mail('c@example.com'), at(0));
      await store.claimMail(at(1), LEASE);
      await store.recordMailOutcome({ id: old, attempts: 1 }, { status: 'failed', error: 'x' }, at(10));
      await store.recordMailOutcome({ id: recent, attempts: 1 }, { status: 'sent', messageId: 'm' }, at(100));
      await store.recordMailOutcome(
        { id: waiting, attempts: 1 },
        { status: 'retry', error: 'x', at: at(5) },
        at(2),
      );

      expect(await store.deleteFinishedMail(at(50))).toBe(1);
      expect(await store.findMail(old)).toBeUndefined();
      expect(await store.findMail(recent)).toBeDefined();
      expect(await store.deleteFinishedMail(at(1000))).toBe(1);
      expect(await store.findMail(waiting)).toMatchObject({ status: 'queued' });
    });
  });
}

function describeMailStoreOnPostgres(open: OpenPostgres, skip = false) {
  describe.skipIf(skip)('PostgreSQL mail store: several senders', () => {
    const opened: (PostgresTestStore | Store)[] = [];
    afterEach(async () => {
      for (const db of opened.splice(0).reverse()) await db.close();
    });

    test('two stores claiming concurrently never get the same message', async () => {
      const db = await open(5);
      opened.push(db);
      await db.store.migrate();
      const other = openStore({ kind: 'postgres', url: db.url, poolSize: 5 });
      opened.push(other);
      const ids = new Set<string>();
      for (let i = 0; i < 40; i++) ids.add(await db.store.enqueueMail(mail(`user${i}@example.com`), T0));

      const claims = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? db.store : other).claimMail(at(1), { ...LEASE, limit: 3 }),
        ),
      );
      const claimed = claims.flat().map((m) => m.id);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.length).toBe(30);
      expect(claimed.every((id) => ids.has(id))).toBe(true);
      expect(claims.flat().every((m) => m.attempts === 1)).toBe(true);
      // Every message was claimed by one store only, the rest are still there to claim.
      expect(await other.claimMail(at(1), { ...LEASE, limit: 40 })).toHaveLength(10);
    });
  });
}

await describeOnEveryDatabase('MailStore', {
  contract: describeMailStore,
  postgresOnly: describeMailStoreOnPostgres,
});
