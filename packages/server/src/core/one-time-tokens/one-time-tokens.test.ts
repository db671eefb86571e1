import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openStore } from '../../store/open-store.js';
import type { Store } from '../../store/store.js';
import { createOneTimeTokens, oneTimeTokenKey, type OneTimeTokens } from './one-time-tokens.js';
import type { NewOneTimeToken } from './store.js';

const T0 = new Date('2025-03-01T12:00:00.000Z');
const KEY = Buffer.alloc(32, 1);
const hmac = (key: Buffer, input: string) => createHmac('sha256', key).update(input).digest('base64url');

let store: Store;
let inserted: NewOneTimeToken[];
let now: Date;
let tokens: OneTimeTokens;
let userId: number;

const advance = (seconds: number) => (now = new Date(now.getTime() + seconds * 1000));
const tokensWith = (key: Buffer) =>
  createOneTimeTokens({
    store: {
      ...store,
      insertOneTimeToken: (token) => (inserted.push(token), store.insertOneTimeToken(token)),
    },
    key,
    clock: () => now,
  });

beforeEach(async () => {
  store = openStore({ kind: 'sqlite', path: ':memory:' });
  await store.migrate();
  const created = await store.createUser(
    { username: 'alice', usernameKey: 'alice', email: 'alice@example.com', passwordHash: 'x' },
    T0,
  );
  if (!created.ok) throw new Error('createUser failed');
  userId = created.user.id;
  inserted = [];
  now = T0;
  tokens = tokensWith(KEY);
});
afterEach(async () => {
  await store.close();
});

describe('tokens', () => {
  test('issue gives 32 random bytes; consume returns the user and data once', async () => {
    const { token, expiresAt } = await tokens.issue({
      purpose: 'email_change',
      userId,
      ttlSeconds: 900,
      data: { email: 'new@example.com' },
    });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(expiresAt).toEqual(new Date(T0.getTime() + 900_000));
    expect(await tokens.consume('email_change', token)).toEqual({
      ok: true,
      userId,
      data: { email: 'new@example.com' },
    });
    expect(await tokens.consume('email_change', token)).toEqual({ ok: false, code: 'used' });
  });

  test('the stored hash is HMAC-SHA-256(key, purpose:token)', async () => {
    const { token } = await tokens.issue({ purpose: 'password_reset', userId, ttlSeconds: 60 });
    expect(inserted).toEqual([
      expect.objectContaining({ tokenHash: hmac(KEY, `password_reset:${token}`), data: null }),
    ]);
  });

  test('a token is refused under another purpose (its hash is another) and under another key', async () => {
    const { token } = await tokens.issue({ purpose: 'password_reset', userId, ttlSeconds: 60 });
    expect(await tokens.consume('email_verification', token)).toEqual({ ok: false, code: 'unknown' });
    expect(await tokensWith(Buffer.alloc(32, 2)).consume('password_reset', token)).toEqual({
      ok: false,
      code: 'unknown',
    });
    expect((await tokens.consume('password_reset', token)).ok).toBe(true);
  });

  test('expires after its lifetime', async () => {
    const { token } = await tokens.issue({ purpose: 'password_reset', userId, ttlSeconds: 60 });
    advance(60);
    expect(await tokens.consume('password_reset', token)).toEqual({ ok: false, code: 'expired' });
  });

  test('replace voids the earlier tokens of the user and purpose; without it they stay', async () => {
    const first = await tokens.issue({ purpose: 'password_reset', userId, ttlSeconds: 60 });
    const second = await tokens.issue({ purpose: 'password_reset', userId, ttlSeconds: 60 });
    const third = await tokens.issue({ purpose: 'password_reset', userId, ttlSeconds: 60, replace: true });
    for (const { token } of [first, second]) {
      expect(await tokens.consume('password_reset', token)).toEqual({ ok: false, code: 'unknown' });
    }
    expect((await tokens.consume('password_reset', third.token)).ok).toBe(true);
  });

  test('a token without a user (OAuth state)', async () => {
    const { token } = await tokens.issue({
      purpose: 'oauth_state',
      userId: null,
      ttlSeconds: 600,
      data: { verifier: 'v' },
    });
    expect(await tokens.consume('oauth_state', token)).toEqual({
      ok: true,
      userId: null,
      data: { verifier: 'v' },
    });
  });

  test("anything but a token's shape is refused, a code's hash input above all", async () => {
    const { code } = await tokens.issueCode({ purpose: 'mfa_challenge', userId, ttlSeconds: 300 });
    for (const forged of [`${userId}:${code}`, '', 'short', 'x'.repeat(44), `${'a'.repeat(42)}=`]) {
      expect(await tokens.consume('mfa_challenge', forged)).toEqual({ ok: false, code: 'unknown' });
    }
    expect((await tokens.consumeCode('mfa_challenge', userId, code)).ok).toBe(true);
  });

  test('peek answers as consume would and spends nothing; consume then spends it once', async () => {
    const { token } = await tokens.issue({
      purpose: 'password_reset',
      userId,
      ttlSeconds: 60,
      data: { email: 'alice@example.com' },
    });
    const live = { ok: true, userId, data: { email: 'alice@example.com' } };
    expect(await tokens.peek('password_reset', token)).toEqual(live);
    expect(await tokens.peek('password_reset', token)).toEqual(live);
    expect(await tokens.peek('email_verification', token)).toEqual({ ok: false, code: 'unknown' });
    expect(await tokens.peek('password_reset', 'x'.repeat(43))).toEqual({ ok: false, code: 'unknown' });
    expect(await tokens.peek('password_reset', `${userId}:123456`)).toEqual({ ok: false, code: 'unknown' });
    expect(await tokens.consume('password_reset', token)).toEqual(live);
    expect(await tokens.peek('password_reset', token)).toEqual({ ok: false, code: 'used' });
    const later = await tokens.issue({ purpose: 'password_reset', userId, ttlSeconds: 60 });
    advance(60);
    expect(await tokens.peek('password_reset', later.token)).toEqual({ ok: false, code: 'expired' });
  });

  test('bugs throw: a short key, a purpose with a separator in it', async () => {
    expect(() => createOneTimeTokens({ store, key: Buffer.alloc(16), clock: () => now })).toThrow(/32 bytes/);
    await expect(tokens.issue({ purpose: 'a:b', userId, ttlSeconds: 60 })).rejects.toThrow(/invalid purpose/);
  });
});

describe('codes', () => {
  test('a 6-digit code, hashed with its user; consumed once', async () => {
    const { code } = await tokens.issueCode({ purpose: 'email_verification', userId, ttlSeconds: 300 });
    expect(code).toMatch(/^[0-9]{6}$/);
    expect(inserted[0]?.tokenHash).toBe(hmac(KEY, `email_verification:${userId}:${code}`));
    expect(await tokens.consumeCode('email_verification', userId, code)).toEqual({
      ok: true,
      userId,
      data: null,
    });
    expect(await tokens.consumeCode('email_verification', userId, code)).toEqual({ ok: false, code: 'used' });
  });

  test('wrong guesses count down; after the last even the right code is refused', async () => {
    const { code } = await tokens.issueCode({
      purpose: 'mfa_challenge',
      userId,
      ttlSeconds: 300,
      maxAttempts: 3,
    });
    const wrong = code === '000000' ? '000001' : '000000';
    expect(await tokens.consumeCode('mfa_challenge', userId, wrong)).toEqual({
      ok: false,
      code: 'wrong_code',
      attemptsLeft: 2,
    });
    expect(await tokens.consumeCode('mfa_challenge', userId, 'not a code')).toEqual({
      ok: false,
      code: 'wrong_code',
      attemptsLeft: 1,
    });
    expect(await tokens.consumeCode('mfa_challenge', userId, wrong)).toMatchObject({ attemptsLeft: 0 });
    expect(await tokens.consumeCode('mfa_challenge', userId, code)).toEqual({
      ok: false,
      code: 'too_many_attempts',
    });
  });

  test('concurrent guesses get no more attempts than allowed', async () => {
    const { code } = await tokens.issueCode({ purpose: 'mfa_challenge', userId, ttlSeconds: 300 });
    const guesses = Array.from({ length: 30 }, (_, i) =>
      String((Number(code) + 1 + i) % 1e6).padStart(6, '0'),
    );
    const results = await Promise.all(
      guesses.map((guess) => tokens.consumeCode('mfa_challenge', userId, guess)),
    );
    expect(results.filter((r) => !r.ok && r.code === 'wrong_code')).toHaveLength(5);
    expect(results.filter((r) => !r.ok && r.code === 'too_many_attempts')).toHaveLength(25);
  });

  test("a new code voids the earlier; another user's or purpose's code does not match", async () => {
    const first = await tokens.issueCode({ purpose: 'mfa_challenge', userId, ttlSeconds: 300, digits: 8 });
    const second = await tokens.issueCode({ purpose: 'mfa_challenge', userId, ttlSeconds: 300, digits: 8 });
    expect(second.code).toMatch(/^[0-9]{8}$/);
    if (first.code !== second.code) {
      expect(await tokens.consumeCode('mfa_challenge', userId, first.code)).toMatchObject({
        code: 'wrong_code',
      });
    }
    expect(await tokens.consumeCode('mfa_challenge', userId + 1, second.code)).toEqual({
      ok: false,
      code: 'unknown',
    });
    expect(await tokens.consumeCode('email_verification', userId, second.code)).toEqual({
      ok: false,
      code: 'unknown',
    });
    expect((await tokens.consumeCode('mfa_challenge', userId, second.code)).ok).toBe(true);
  });

  test('an expired code is refused as expired', async () => {
    const { code } = await tokens.issueCode({ purpose: 'mfa_challenge', userId, ttlSeconds: 300 });
    advance(300);
    expect(await tokens.consumeCode('mfa_challenge', userId, code)).toEqual({ ok: false, code: 'expired' });
  });
});

test('oneTimeTokenKey: 32 bytes made once and kept in the store', async () => {
  const key = await oneTimeTokenKey(store, T0);
  expect(key).toHaveLength(32);
  expect(await oneTimeTokenKey(store, T0)).toEqual(key);
});
