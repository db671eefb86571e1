import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Kysely } from 'kysely';
import { createKyselyStore } from '../store/kysely-store.js';
import { openDatabase } from '../store/open-store.js';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/store.js';
import {
  createLoginThrottle,
  IN_FLIGHT_PER_ACCOUNT,
  IN_FLIGHT_PER_IP,
  type LoginAttempt,
  type LoginThrottle,
} from './login-throttle.js';

/**
 * The in-flight caps: logins held open (their hashing not finished) take a slot of their client IP and
 * one of their account until they settle. Held here by attempts that wait on the test, so nothing is timed.
 */
describe('logins in flight', () => {
  let store: Store;
  let db: Kysely<Database>;
  let throttle: LoginThrottle;
  const now = new Date('2026-01-01T00:00:00Z');
  beforeEach(async () => {
    const opened = openDatabase({ kind: 'sqlite', path: ':memory:' });
    db = opened.db;
    store = createKyselyStore(db, opened.direct);
    await store.migrate();
    throttle = createLoginThrottle(store, () => now);
  });
  afterEach(() => store.close());

  /** Starts `count` attempts that hold their slots until `release` is called. */
  async function hold(count: number, bucket: (i: number) => string, ip: (i: number) => string) {
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started: Promise<void>[] = [];
    const settled: Promise<LoginAttempt>[] = [];
    for (let i = 0; i < count; i++) {
      let began = () => {};
      started.push(new Promise<void>((resolve) => (began = resolve)));
      settled.push(
        throttle.attempt(bucket(i), ip(i), async (reserved) => {
          began();
          await gate;
          return reserved;
        }),
      );
    }
    await Promise.all(started);
    return { release, settled: Promise.all(settled) };
  }
  const tryOnce = (bucket: string, ip: string) => throttle.attempt(bucket, ip, async (reserved) => reserved);
  const rows = async (key: string) =>
    (await db.selectFrom('login_failures').select('key').where('key', '=', key).execute()).length;

  test(`${IN_FLIGHT_PER_IP} in flight from one client IP: the next is refused at once, before any write`, async () => {
    const held = await hold(
      IN_FLIGHT_PER_IP,
      (i) => `account:${i + 1}`,
      () => '203.0.113.7',
    );
    expect(await tryOnce('account:999', '203.0.113.7')).toEqual({
      ok: false,
      blocked: 'busy',
      retryAfter: 1,
    });
    expect(await rows('account:999')).toBe(0);
    // An IPv6 client's /64 is one client.
    const v6 = await hold(
      IN_FLIGHT_PER_IP,
      (i) => `account:${i + 100}`,
      (i) => `2001:db8:0:1::${i + 1}`,
    );
    expect(await tryOnce('account:998', '2001:db8:0:1::ffff')).toMatchObject({ blocked: 'busy' });
    // Another client is not held up, nor is this one once its logins settle.
    expect(await tryOnce('account:997', '198.51.100.20')).toEqual({ ok: true });
    held.release();
    v6.release();
    await held.settled;
    await v6.settled;
    expect(await tryOnce('account:999', '203.0.113.7')).toEqual({ ok: true });
  });

  test(`${IN_FLIGHT_PER_ACCOUNT} in flight for one account, from any addresses: the next is refused at once`, async () => {
    const held = await hold(
      IN_FLIGHT_PER_ACCOUNT,
      () => 'account:1',
      (i) => `192.0.2.${i + 1}`,
    );
    const failuresBefore = await db.selectFrom('login_failures').selectAll().execute();
    expect(await tryOnce('account:1', '198.51.100.20')).toEqual({
      ok: false,
      blocked: 'busy',
      retryAfter: 1,
    });
    expect(await db.selectFrom('login_failures').selectAll().execute()).toEqual(failuresBefore);
    // Another account from that address goes ahead.
    expect(await tryOnce('account:2', '198.51.100.20')).toEqual({ ok: true });
    held.release();
    const outcomes = await held.settled;
    expect(outcomes.some((outcome) => !outcome.ok && outcome.blocked === 'busy')).toBe(false);
    expect(await tryOnce('account:1', '198.51.100.20')).not.toMatchObject({ blocked: 'busy' });
  });
});
