import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createKyselyStore } from '../store/kysely-store.js';
import { openDatabase } from '../store/open-store.js';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { createSendLimiter } from './send-limits.js';

describe('send limits', () => {
  let store: Store;
  let db: Kysely<Database>;
  let now: Date;
  beforeEach(async () => {
    const opened = openDatabase({ kind: 'sqlite', path: ':memory:' });
    db = opened.db;
    store = createKyselyStore(db, opened.direct);
    await store.migrate();
    now = new Date('2026-01-01T00:00:00Z');
  });
  afterEach(async () => {
    await store.close();
  });
  const limiter = () =>
    createSendLimiter({
      store,
      clock: () => now,
      perAddress: [
        { count: 1, seconds: 60 },
        { count: 3, seconds: 3600 },
      ],
      perIp: [{ count: 5, seconds: 60 }],
    });

  test('one mail a minute and three an hour to an address, whatever its case; a refused one counts too', async () => {
    const allow = limiter();
    expect(await allow('alice@example.com', '192.0.2.1')).toBe(true);
    expect(await allow('ALICE@example.com', '192.0.2.2')).toBe(false);
    now = new Date(now.getTime() + 61_000);
    expect(await allow('alice@example.com', '192.0.2.3')).toBe(true);
    now = new Date(now.getTime() + 61_000);
    expect(await allow('alice@example.com', '192.0.2.4')).toBe(false);
    expect(await allow('bob@example.com', '192.0.2.4')).toBe(true);
    now = new Date(now.getTime() + 3600_000);
    expect(await allow('alice@example.com', '192.0.2.5')).toBe(true);
  });

  test('five requests a minute from one IPv4 address or one IPv6 /64, whatever the addresses', async () => {
    const allow = limiter();
    for (let i = 0; i < 5; i++) expect(await allow(`user${i}@example.com`, `2001:db8::${i}`)).toBe(true);
    expect(await allow('other@example.com', '2001:db8::ffff')).toBe(false);
    expect(await allow('other2@example.com', '2001:db8:0:1::1')).toBe(true);
  });

  test('the addresses are not written in the clear', async () => {
    await limiter()('alice@example.com', '192.0.2.1');
    const keys = (await db.selectFrom('rate_limits').select('key').execute()).map((row) => row.key);
    expect(keys).toHaveLength(3);
    expect(keys.join()).not.toContain('alice');
  });
});
