import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Client } from 'pg';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { usePostgres } from '../../testing/postgres.js';
import { openStore } from '../../store/open-store.js';
import type { Store } from '../../store/store.js';
import { createOneTimeTokens } from './one-time-tokens.js';
import type { NewOneTimeToken } from './store.js';

const T0 = new Date('2025-03-01T12:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const hashOf = (name: string) => createHash('sha256').update(name).digest('base64url');

/** A migrated store, a second store on the same database (other connections), and its raw rows. */
interface Harness {
  store: Store;
  other: Store;
  rows(query: string): Promise<unknown[]>;
  close(): Promise<void>;
}

/** The behaviour every OneTimeTokenStore shares; it runs on SQLite and PostgreSQL (end of this file). */
function describeOneTimeTokenStore(name: string, open: () => Promise<Harness>, skip = false) {
  describe.skipIf(skip)(`OneTimeTokenStore contract: ${name}`, () => {
    let harness: Harness;
    let store: Store;
    let userId: number;

    beforeEach(async () => {
      harness = await open();
      store = harness.store;
      userId = await createUser('alice');
    });
    afterEach(async () => {
      await harness.close();
    });

    async function createUser(username: string) {
      const created = await store.createUser(
        { username, usernameKey: username, email: `${username}@example.com`, passwordHash: 'x' },
        T0,
      );
      if (!created.ok) throw new Error(`createUser(${username}) failed`);
      return created.user.id;
    }

    function token(name: string, overrides: Partial<NewOneTimeToken> = {}): NewOneTimeToken {
      return {
        purpose: 'password_reset',
        userId,
        tokenHash: hashOf(name),
        data: null,
        createdAt: T0,
        expiresAt: at(600),
        maxAttempts: 3,
        ...overrides,
      };
    }

    async function insert(name: string, overrides: Partial<NewOneTimeToken> = {}) {
      const inserted = await store.insertOneTimeToken(token(name, overrides));
      if (!inserted) throw new Error(`insert ${name}: hash taken`);
      return inserted;
    }

    test('a token is consumed once: it returns the row, then is refused as used', async () => {
      const inserted = await insert('t1', { data: { email: 'new@example.com' } });
      expect(inserted).toStrictEqual({
        id: expect.any(String),
        purpose: 'password_reset',
        userId,
        tokenHash: hashOf('t1'),
        data: { email: 'new@example.com' },
        createdAt: T0,
        expiresAt: at(600),
        usedAt: null,
        attempts: 0,
        maxAttempts: 3,
      });
      expect(await store.consumeOneTimeToken('password_reset', hashOf('t1'), at(10))).toStrictEqual({
        ok: true,
        token: { ...inserted, usedAt: at(10) },
      });
      expect(await store.consumeOneTimeToken('password_reset', hashOf('t1'), at(11))).toEqual({
        ok: false,
        reason: 'used',
      });
      expect(await store.consumeOneTimeToken('password_reset', hashOf('nope'), at(11))).toEqual({
        ok: false,
        reason: 'unknown',
      });
    });

    test('find returns the live token, or why not, as consume would, and changes nothing', async () => {
      const inserted = await insert('t1', { data: { email: 'alice@example.com' } });
      const find = (purpose: string, name: string, seconds: number) =>
        store.findOneTimeToken(purpose, hashOf(name), at(seconds));
      expect(await find('password_reset', 't1', 1)).toStrictEqual({ ok: true, token: inserted });
      expect(await find('password_reset', 't1', 2)).toStrictEqual({ ok: true, token: inserted });
      expect(await find('email_verification', 't1', 1)).toEqual({ ok: false, reason: 'wrong_purpose' });
      expect(await find('password_reset', 'nope', 1)).toEqual({ ok: false, reason: 'unknown' });
      expect(await find('password_reset', 't1', 600)).toEqual({ ok: false, reason: 'expired' });
      expect((await store.consumeOneTimeToken('password_reset', hashOf('t1'), at(3))).ok).toBe(true);
      expect(await find('password_reset', 't1', 4)).toEqual({ ok: false, reason: 'used' });
      await insert('code', { maxAttempts: 1 });
      await store.recordOneTimeTokenAttempt('password_reset', userId, hashOf('wrong'), at(1));
      expect(await find('password_reset', 'code', 2)).toEqual({ ok: false, reason: 'too_many_attempts' });
    });

    test('a wrong answer spends one attempt of a live token; at the limit it is dead, and concurrent ones cannot pass it', async () => {
      await insert('challenge', { purpose: 'mfa_challenge', maxAttempts: 3 });
      const hash = hashOf('challenge');
      expect(await store.spendOneTimeTokenAttempt('mfa_challenge', hash, at(1))).toEqual({ attemptsLeft: 2 });
      expect(await store.spendOneTimeTokenAttempt('password_reset', hash, at(1))).toBeUndefined();
      const spent = await Promise.all(
        [1, 2, 3, 4].map(() => store.spendOneTimeTokenAttempt('mfa_challenge', hash, at(2))),
      );
      expect(spent.filter((result) => result !== undefined)).toHaveLength(2);
      expect(await store.consumeOneTimeToken('mfa_challenge', hash, at(3))).toEqual({
        ok: false,
        reason: 'too_many_attempts',
      });
      await insert('late', { purpose: 'mfa_challenge' });
      expect(await store.spendOneTimeTokenAttempt('mfa_challenge', hashOf('late'), at(600))).toBeUndefined();
      expect(await store.spendOneTimeTokenAttempt('mfa_challenge', hashOf('nothing'), at(1))).toBeUndefined();
    });

    test('a hash is stored once: a second insert of it returns undefined', async () => {
      await insert('t1');
      expect(await store.insertOneTimeToken(token('t1', { purpose: 'email_change' }))).toBeUndefined();
    });

    test('of 10 concurrent consumes of one token, exactly one wins', async () => {
      await insert('t1');
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store.consumeOneTimeToken('password_reset', hashOf('t1'), at(1))),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok && r.reason === 'used')).toHaveLength(9);
    });

    test('of concurrent consumes through two connections, exactly one wins', async () => {
      await insert('t1');
      const results = await Promise.all(
        [store, harness.other, store, harness.other].map((s) =>
          s.consumeOneTimeToken('password_reset', hashOf('t1'), at(1)),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    });

    test('an expired token is refused, and stays unused', async () => {
      await insert('t1');
      expect(await store.consumeOneTimeToken('password_reset', hashOf('t1'), at(600))).toEqual({
        ok: false,
        reason: 'expired',
      });
      expect((await store.consumeOneTimeToken('password_reset', hashOf('t1'), at(599))).ok).toBe(true);
    });

    test('a token presented for another purpose is refused and stays usable for its own', async () => {
      await insert('t1');
      expect(await store.consumeOneTimeToken('email_verification', hashOf('t1'), at(1))).toEqual({
        ok: false,
        reason: 'wrong_purpose',
      });
      expect((await store.consumeOneTimeToken('password_reset', hashOf('t1'), at(2))).ok).toBe(true);
      // Used, but the purpose is still what is reported to another purpose.
      expect(await store.consumeOneTimeToken('email_verification', hashOf('t1'), at(3))).toEqual({
        ok: false,
        reason: 'wrong_purpose',
      });
    });

    test('wrong guesses spend attempts; then even the right secret is refused', async () => {
      await insert('code');
      const guess = (hash: string, seconds = 1) =>
        store.recordOneTimeTokenAttempt('password_reset', userId, hashOf(hash), at(seconds));
      expect(await guess('wrong')).toEqual({ ok: false, reason: 'wrong_secret', attemptsLeft: 2 });
      expect(await guess('wrong')).toEqual({ ok: false, reason: 'wrong_secret', attemptsLeft: 1 });
      expect(await guess('wrong')).toEqual({ ok: false, reason: 'wrong_secret', attemptsLeft: 0 });
      expect(await guess('code')).toEqual({ ok: false, reason: 'too_many_attempts' });
      expect(await store.consumeOneTimeToken('password_reset', hashOf('code'), at(2))).toEqual({
        ok: false,
        reason: 'too_many_attempts',
      });
    });

    test('the right guess uses the token; it then counts as used, expired ones as expired', async () => {
      const inserted = await insert('code');
      const guess = (hash: string, seconds: number, purpose = 'password_reset') =>
        store.recordOneTimeTokenAttempt(purpose, userId, hashOf(hash), at(seconds));
      expect(await guess('wrong', 1)).toMatchObject({ reason: 'wrong_secret' });
      expect(await guess('code', 2)).toStrictEqual({
        ok: true,
        token: { ...inserted, attempts: 2, usedAt: at(2) },
      });
      expect(await guess('code', 3)).toEqual({ ok: false, reason: 'used' });
      expect(await guess('code', 3, 'email_verification')).toEqual({ ok: false, reason: 'unknown' });
      await insert('code2', { purpose: 'mfa_challenge' });
      expect(await guess('code2', 600, 'mfa_challenge')).toEqual({ ok: false, reason: 'expired' });
    });

    test('of 20 concurrent wrong guesses with 3 attempts, exactly 3 are checked', async () => {
      await insert('code');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? harness.other : store).recordOneTimeTokenAttempt(
            'password_reset',
            userId,
            hashOf(`wrong-${i}`),
            at(1),
          ),
        ),
      );
      expect(results.filter((r) => !r.ok && r.reason === 'wrong_secret')).toHaveLength(3);
      expect(results.filter((r) => !r.ok && r.reason === 'too_many_attempts')).toHaveLength(17);
    });

    test("revoke deletes the user's tokens of that purpose only", async () => {
      const bob = await createUser('bob');
      await insert('old-1');
      await insert('old-2');
      await insert('other-purpose', { purpose: 'email_verification' });
      await insert('other-user', { userId: bob });
      expect(await store.revokeOneTimeTokens(userId, 'password_reset')).toBe(2);
      await insert('new');
      for (const old of ['old-1', 'old-2']) {
        expect(await store.consumeOneTimeToken('password_reset', hashOf(old), at(1))).toEqual({
          ok: false,
          reason: 'unknown',
        });
      }
      expect((await store.consumeOneTimeToken('password_reset', hashOf('new'), at(1))).ok).toBe(true);
      expect((await store.consumeOneTimeToken('email_verification', hashOf('other-purpose'), at(1))).ok).toBe(
        true,
      );
      expect((await store.consumeOneTimeToken('password_reset', hashOf('other-user'), at(1))).ok).toBe(true);
    });

    test('deleting the user deletes their tokens; tokens without a user stay', async () => {
      await insert('t1');
      await insert('state', { purpose: 'oauth_state', userId: null, data: { redirect: '/after' } });
      expect(await store.deleteUser(userId)).toBe(true);
      expect(await store.consumeOneTimeToken('password_reset', hashOf('t1'), at(1))).toEqual({
        ok: false,
        reason: 'unknown',
      });
      expect(await store.consumeOneTimeToken('oauth_state', hashOf('state'), at(1))).toMatchObject({
        ok: true,
        token: { userId: null, data: { redirect: '/after' } },
      });
      expect(await harness.rows('select token_hash from one_time_tokens')).toEqual([
        { token_hash: hashOf('state') },
      ]);
    });

    test('deleteExpiredOneTimeTokens removes what has expired, used or not', async () => {
      await insert('short', { expiresAt: at(60) });
      await insert('short-used', { expiresAt: at(60) });
      await insert('long');
      await store.consumeOneTimeToken('password_reset', hashOf('short-used'), at(1));
      expect(await store.deleteExpiredOneTimeTokens(at(59))).toBe(0);
      expect(await store.deleteExpiredOneTimeTokens(at(60))).toBe(2);
      expect(await harness.rows('select token_hash from one_time_tokens')).toEqual([
        { token_hash: hashOf('long') },
      ]);
    });

    test('the row holds the hash, never the token or the code', async () => {
      const tokens = createOneTimeTokens({ store, key: Buffer.alloc(32, 7), clock: () => T0 });
      const { token } = await tokens.issue({ purpose: 'email_change', userId, ttlSeconds: 600 });
      const { code } = await tokens.issueCode({
        purpose: 'mfa_challenge',
        userId,
        ttlSeconds: 600,
        digits: 8,
      });
      const rows = (await harness.rows('select * from one_time_tokens')) as Record<string, unknown>[];
      expect(rows).toHaveLength(2);
      const stored = JSON.stringify(rows);
      expect(stored).not.toContain(token);
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(Buffer.from(token, 'base64url').toString('hex'));
      for (const row of rows) {
        expect(row).toMatchObject({ used_at: null, attempts: 0, max_attempts: 5 });
        expect(row['token_hash']).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(row['created_at']).toBe(T0.toISOString());
        expect(row['expires_at']).toBe(at(600).toISOString());
      }
    });
  });
}

function sqliteHarness(): Harness {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-ott-'));
  const file = path.join(dir, 'db.sqlite3');
  const store = openStore({ kind: 'sqlite', path: file });
  const other = openStore({ kind: 'sqlite', path: file });
  return {
    store,
    other,
    async rows(query) {
      const raw = new SqliteDatabase(file, { readonly: true });
      try {
        return raw.prepare(query).all();
      } finally {
        raw.close();
      }
    },
    async close() {
      await store.close();
      await other.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeOneTimeTokenStore('SQLite (a file, two connections)', async () => {
  const harness = sqliteHarness();
  await harness.store.migrate();
  return harness;
});

const postgres = await usePostgres('the PostgreSQL one-time token store tests');
describeOneTimeTokenStore(
  postgres ? 'PostgreSQL (two pools)' : 'PostgreSQL (not reachable: skipped)',
  async () => {
    if (!postgres) throw new Error('PostgreSQL is not reachable');
    const schema = await postgres.createSchema();
    const store = openStore({ kind: 'postgres', url: schema.url, poolSize: 5 });
    const other = openStore({ kind: 'postgres', url: schema.url, poolSize: 5 });
    await store.migrate();
    return {
      store,
      other,
      async rows(query) {
        const client = new Client({ connectionString: schema.url });
        await client.connect();
        try {
          return (await client.query(query)).rows;
        } finally {
          await client.end();
        }
      },
      async close() {
        await store.close();
        await other.close();
        await schema.drop();
      },
    };
  },
  !postgres,
);
