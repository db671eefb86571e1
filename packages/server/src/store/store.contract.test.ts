import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openStore } from './open-store.js';
import type { NewUser, RotateResult, Store, User } from './store.js';

const T0 = new Date('2025-03-01T12:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const USER_KEYS = [
  'created',
  'email',
  'firstName',
  'id',
  'isActive',
  'isStaff',
  'isSuperuser',
  'lastLogin',
  'lastName',
  'profileEmail',
  'publicId',
  'updated',
  'username',
];

function newUser(username: string, overrides: Partial<NewUser> = {}): NewUser {
  return {
    username,
    usernameKey: username.toLowerCase(),
    email: `${username.toLowerCase()}@example.com`,
    passwordHash: `hash-of-${username}`,
    ...overrides,
  };
}

/**
 * The behaviour every `Store` implementation must share. `open` returns a fresh, empty, not yet migrated
 * store; each test gets its own. A PostgreSQL implementation runs the same suite with another call below.
 */
function describeStoreContract(name: string, open: () => Promise<Store>) {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let firstMigration: string[];

    beforeEach(async () => {
      store = await open();
      firstMigration = await store.migrate();
    });
    afterEach(async () => {
      await store.close();
    });

    async function create(username: string, overrides: Partial<NewUser> = {}, now = T0): Promise<User> {
      const result = await store.createUser(newUser(username, overrides), now);
      if (!result.ok) throw new Error(`createUser(${username}) failed: ${result.conflicts.join(', ')}`);
      return result.user;
    }

    async function issue(jti: string, userId: number, familyId = `family-${jti}`, expiresIn = 3600) {
      await store.recordRefreshToken({ jti, userId, familyId, issuedAt: T0, expiresAt: at(expiresIn) });
    }

    const child = (jti: string, userId: number) => ({ jti, userId, issuedAt: at(10), expiresAt: at(3610) });
    const rotate = (jti: string, userId: number, revoke: boolean, childJti: string) =>
      store.rotateRefreshToken({ jti, userId, now: at(10), child: child(childJti, userId), revoke });

    describe('migrate', () => {
      test('applies migrations once; a second call applies nothing', async () => {
        expect(firstMigration.length).toBeGreaterThan(0);
        expect(await store.migrate()).toEqual([]);
        expect(await store.migrate()).toEqual([]);
      });
    });

    describe('users', () => {
      test('createUser returns the user without any password hash field', async () => {
        const result = await store.createUser(newUser('Alice'), T0);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        const { user } = result;
        expect(user).toStrictEqual({
          id: expect.any(Number),
          publicId: expect.stringMatching(UUID),
          username: 'Alice',
          email: 'alice@example.com',
          firstName: '',
          lastName: '',
          profileEmail: '',
          isActive: true,
          isStaff: false,
          isSuperuser: false,
          lastLogin: null,
          created: T0,
          updated: T0,
        });
        expect(Object.keys(user).sort()).toEqual(USER_KEYS);
        expect(JSON.stringify(user)).not.toContain('hash-of-Alice');
        expect(await store.findUserById(user.id)).toStrictEqual(user);
        expect(await store.findUserByUsernameKey('alice')).toStrictEqual(user);
      });

      test('createUser stores the optional fields', async () => {
        const user = await create('Bob', {
          email: null,
          firstName: 'Bob',
          lastName: 'Builder',
          profileEmail: 'bob@work.example',
          isActive: false,
          isStaff: true,
          isSuperuser: true,
        });
        expect(user).toMatchObject({
          email: null,
          firstName: 'Bob',
          lastName: 'Builder',
          profileEmail: 'bob@work.example',
          isActive: false,
          isStaff: true,
          isSuperuser: true,
        });
        expect(Object.keys(user).sort()).toEqual(USER_KEYS);
      });

      test('ids and public ids are unique', async () => {
        const a = await create('a');
        const b = await create('b');
        expect(a.id).not.toBe(b.id);
        expect(a.publicId).not.toBe(b.publicId);
      });

      test('unknown ids and keys find nothing', async () => {
        await create('alice');
        expect(await store.findUserById(999_999)).toBeUndefined();
        expect(await store.findUserByUsernameKey('nobody')).toBeUndefined();
      });

      test('a duplicate username key is a username conflict', async () => {
        await create('alice');
        const result = await store.createUser(newUser('ALICE', { email: 'other@example.com' }), T0);
        expect(result).toEqual({ ok: false, conflicts: ['username'] });
        expect(await store.listUsers()).toHaveLength(1);
      });

      test('a duplicate email is an email conflict', async () => {
        await create('alice');
        const result = await store.createUser(newUser('bob', { email: 'alice@example.com' }), T0);
        expect(result).toEqual({ ok: false, conflicts: ['email'] });
        expect(await store.listUsers()).toHaveLength(1);
      });

      test('when both clash, both fields are reported', async () => {
        await create('alice');
        const result = await store.createUser(newUser('alice'), T0);
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect([...result.conflicts].sort()).toEqual(['email', 'username']);
      });

      test('both fields are reported when they clash with two different users', async () => {
        await create('alice');
        await create('bob');
        const result = await store.createUser(newUser('alice', { email: 'bob@example.com' }), T0);
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect([...result.conflicts].sort()).toEqual(['email', 'username']);
      });

      test('any number of users may have no email', async () => {
        const users = [
          await create('a', { email: null }),
          await create('b', { email: null }),
          await create('c', { email: null }),
        ];
        expect(users.map((u) => u.email)).toEqual([null, null, null]);
        expect(new Set(users.map((u) => u.id)).size).toBe(3);
        expect(await store.listUsers()).toHaveLength(3);
      });

      test('50 concurrent registrations of one identity create exactly one user', async () => {
        const results = await Promise.all(
          Array.from({ length: 50 }, () => store.createUser(newUser('racer'), T0)),
        );
        const winners = results.filter((r) => r.ok);
        expect(winners).toHaveLength(1);
        for (const result of results) {
          if (result.ok) continue;
          expect(result.conflicts.length).toBeGreaterThan(0);
          for (const field of result.conflicts) expect(['username', 'email']).toContain(field);
        }
        const users = await store.listUsers();
        expect(users).toHaveLength(1);
        const winner = winners[0];
        expect(winner?.ok && winner.user.id).toBe(users[0]?.id);
      });

      test('50 concurrent registrations of one username without email conflict on the username', async () => {
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            store.createUser(newUser('racer', { email: null, passwordHash: `h${i}` }), T0),
          ),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.filter((r) => !r.ok)).toEqual(
          Array.from({ length: 49 }, () => ({ ok: false, conflicts: ['username'] })),
        );
        expect(await store.listUsers()).toHaveLength(1);
      });

      test('findLoginCandidate finds by email and by username key, with the hash', async () => {
        const alice = await create('alice');
        const byEmail = await store.findLoginCandidate({ usernameKey: 'nobody', email: 'alice@example.com' });
        expect(byEmail).toStrictEqual({ user: alice, passwordHash: 'hash-of-alice' });
        const byKey = await store.findLoginCandidate({ usernameKey: 'alice', email: 'nobody@example.com' });
        expect(byKey).toStrictEqual({ user: alice, passwordHash: 'hash-of-alice' });
        expect(
          await store.findLoginCandidate({ usernameKey: 'nobody', email: 'nobody@example.com' }),
        ).toBeUndefined();
      });

      test('an email match wins over a username match of another user, whichever was created first', async () => {
        // One identifier, tried as both: one user has it as username, another as email.
        const nameFirst = await create('eve@example.com', { email: null });
        const emailSecond = await create('bob', { email: 'eve@example.com' });
        const first = await store.findLoginCandidate({
          usernameKey: 'eve@example.com',
          email: 'eve@example.com',
        });
        expect(first?.user.id).toBe(emailSecond.id);
        expect(first?.passwordHash).toBe('hash-of-bob');
        expect(first?.user.id).not.toBe(nameFirst.id);

        const emailFirst = await create('carol', { email: 'mallory@example.com' });
        const nameSecond = await create('mallory@example.com', { email: null });
        const second = await store.findLoginCandidate({
          usernameKey: 'mallory@example.com',
          email: 'mallory@example.com',
        });
        expect(second?.user.id).toBe(emailFirst.id);
        expect(second?.passwordHash).toBe('hash-of-carol');
        expect(second?.user.id).not.toBe(nameSecond.id);
      });

      test('updateUser changes only the given fields and stamps updated', async () => {
        const alice = await create('alice', { firstName: 'Alice', lastName: 'Liddell' });
        const updated = await store.updateUser(alice.id, { lastName: 'Smith', isStaff: true }, at(60));
        expect(updated).toStrictEqual({ ...alice, lastName: 'Smith', isStaff: true, updated: at(60) });
        expect(await store.findUserById(alice.id)).toStrictEqual(updated);

        const again = await store.updateUser(
          alice.id,
          { firstName: 'A', profileEmail: 'a@work.example', isActive: false, isSuperuser: true },
          at(120),
        );
        expect(again).toStrictEqual({
          ...alice,
          firstName: 'A',
          lastName: 'Smith',
          profileEmail: 'a@work.example',
          isActive: false,
          isStaff: true,
          isSuperuser: true,
          updated: at(120),
        });
      });

      test('updateUser of an unknown user returns undefined', async () => {
        expect(await store.updateUser(999_999, { firstName: 'x' }, T0)).toBeUndefined();
      });

      test('recordLogin sets lastLogin only', async () => {
        const alice = await create('alice');
        await store.recordLogin(alice.id, at(30));
        expect(await store.findUserById(alice.id)).toStrictEqual({ ...alice, lastLogin: at(30) });
        await store.recordLogin(alice.id, at(90));
        expect((await store.findUserById(alice.id))?.lastLogin).toEqual(at(90));
      });

      test('updatePasswordHash replaces the hash and stamps updated', async () => {
        const alice = await create('alice');
        await store.updatePasswordHash(alice.id, 'new-hash', at(45));
        const candidate = await store.findLoginCandidate({
          usernameKey: 'alice',
          email: 'alice@example.com',
        });
        expect(candidate).toStrictEqual({ user: { ...alice, updated: at(45) }, passwordHash: 'new-hash' });
      });

      test('listUsers lists the most recently updated first', async () => {
        expect(await store.listUsers()).toEqual([]);
        const a = await create('a', {}, at(1));
        const b = await create('b', {}, at(2));
        const c = await create('c', {}, at(3));
        expect((await store.listUsers()).map((u) => u.id)).toEqual([c.id, b.id, a.id]);
        await store.updateUser(a.id, { firstName: 'A' }, at(4));
        expect((await store.listUsers()).map((u) => u.id)).toEqual([a.id, c.id, b.id]);
        await store.updatePasswordHash(b.id, 'x', at(5));
        expect((await store.listUsers()).map((u) => u.id)).toEqual([b.id, a.id, c.id]);
        const listed = await store.listUsers();
        expect(listed[0]).toStrictEqual({ ...b, updated: at(5) });
      });
    });

    describe('refresh tokens', () => {
      let alice: User;
      beforeEach(async () => {
        alice = await create('alice');
      });

      test('a recorded token is live; an unknown one is undefined', async () => {
        await issue('t1', alice.id);
        expect(await store.isRefreshTokenRevoked('t1')).toBe(false);
        expect(await store.isRefreshTokenRevoked('nope')).toBeUndefined();
      });

      test('rotation returns the user, revokes the parent and records a live child', async () => {
        await issue('parent', alice.id);
        const result = await store.rotateRefreshToken({
          jti: 'parent',
          userId: alice.id,
          now: at(10),
          child: child('child', alice.id),
          revoke: true,
        });
        expect(result).toStrictEqual({ ok: true, user: alice });
        expect(await store.isRefreshTokenRevoked('parent')).toBe(true);
        expect(await store.isRefreshTokenRevoked('child')).toBe(false);
        // The child rotates in turn.
        const next = await store.rotateRefreshToken({
          jti: 'child',
          userId: alice.id,
          now: at(20),
          child: child('grandchild', alice.id),
          revoke: true,
        });
        expect(next).toStrictEqual({ ok: true, user: alice });
        expect(await store.isRefreshTokenRevoked('child')).toBe(true);
        expect(await store.isRefreshTokenRevoked('grandchild')).toBe(false);
      });

      test('rotation returns the user as it is now', async () => {
        await issue('parent', alice.id);
        const changed = await store.updateUser(alice.id, { firstName: 'Changed' }, at(5));
        const result = await store.rotateRefreshToken({
          jti: 'parent',
          userId: alice.id,
          now: at(10),
          revoke: true,
        });
        expect(result).toStrictEqual({ ok: true, user: changed });
      });

      test('of 20 concurrent rotations of one token exactly one wins and one child is recorded', async () => {
        await issue('parent', alice.id);
        const jtis = Array.from({ length: 20 }, (_, i) => `child-${i}`);
        const results = await Promise.all(
          jtis.map((jti) =>
            store.rotateRefreshToken({
              jti: 'parent',
              userId: alice.id,
              now: at(10),
              child: child(jti, alice.id),
              revoke: true,
            }),
          ),
        );
        const winners = results.flatMap((r, i) => (r.ok ? [i] : []));
        expect(winners).toHaveLength(1);
        expect(results.filter((r) => !r.ok)).toEqual(
          Array.from({ length: 19 }, (): RotateResult => ({ ok: false, reason: 'revoked' })),
        );
        const states = await Promise.all(jtis.map((jti) => store.isRefreshTokenRevoked(jti)));
        expect(states.filter((s) => s === false)).toHaveLength(1);
        expect(states.filter((s) => s === undefined)).toHaveLength(19);
        expect(states[winners[0] ?? -1]).toBe(false);
        expect(await store.isRefreshTokenRevoked('parent')).toBe(true);
      });

      test('rotation without revoking keeps the parent usable', async () => {
        await issue('parent', alice.id);
        for (const jti of ['c1', 'c2']) {
          const result = await store.rotateRefreshToken({
            jti: 'parent',
            userId: alice.id,
            now: at(10),
            child: child(jti, alice.id),
            revoke: false,
          });
          expect(result).toStrictEqual({ ok: true, user: alice });
        }
        expect(await store.isRefreshTokenRevoked('parent')).toBe(false);
        expect(await store.isRefreshTokenRevoked('c1')).toBe(false);
        expect(await store.isRefreshTokenRevoked('c2')).toBe(false);
      });

      test('rotation with neither child nor revocation only checks the token', async () => {
        await issue('parent', alice.id);
        const result = await store.rotateRefreshToken({
          jti: 'parent',
          userId: alice.id,
          now: at(10),
          revoke: false,
        });
        expect(result).toStrictEqual({ ok: true, user: alice });
        expect(await store.isRefreshTokenRevoked('parent')).toBe(false);
      });

      test.each([true, false])('an unknown jti is unknown (revoke: %s)', async (revoke) => {
        const result = await rotate('nope', alice.id, revoke, 'child');
        expect(result).toStrictEqual({ ok: false, reason: 'unknown' });
        expect(await store.isRefreshTokenRevoked('child')).toBeUndefined();
      });

      test.each([true, false])(
        "another user's jti is unknown and left alone (revoke: %s)",
        async (revoke) => {
          const bob = await create('bob');
          await issue('alices', alice.id);
          const result = await rotate('alices', bob.id, revoke, 'child');
          expect(result).toStrictEqual({ ok: false, reason: 'unknown' });
          expect(await store.isRefreshTokenRevoked('alices')).toBe(false);
          expect(await store.isRefreshTokenRevoked('child')).toBeUndefined();
        },
      );

      test.each([true, false])('a revoked token is revoked (revoke: %s)', async (revoke) => {
        await issue('parent', alice.id);
        expect(await store.revokeRefreshToken('parent', alice.id, at(5))).toBe('revoked');
        const result = await rotate('parent', alice.id, revoke, 'child');
        expect(result).toStrictEqual({ ok: false, reason: 'revoked' });
        expect(await store.isRefreshTokenRevoked('child')).toBeUndefined();
      });

      test.each([true, false])(
        'an inactive user is refused and nothing changes (revoke: %s)',
        async (revoke) => {
          await issue('parent', alice.id);
          await store.updateUser(alice.id, { isActive: false }, at(5));
          const result = await rotate('parent', alice.id, revoke, 'child');
          expect(result).toStrictEqual({ ok: false, reason: 'user_inactive' });
          // Rolled back: the parent is not revoked and no child exists.
          expect(await store.isRefreshTokenRevoked('parent')).toBe(false);
          expect(await store.isRefreshTokenRevoked('child')).toBeUndefined();

          const reactivated = await store.updateUser(alice.id, { isActive: true }, at(15));
          const retry = await store.rotateRefreshToken({
            jti: 'parent',
            userId: alice.id,
            now: at(20),
            child: child('child', alice.id),
            revoke,
          });
          expect(retry).toStrictEqual({ ok: true, user: reactivated });
          expect(await store.isRefreshTokenRevoked('parent')).toBe(revoke);
          expect(await store.isRefreshTokenRevoked('child')).toBe(false);
        },
      );

      test('revokeRefreshToken: revoked, then already revoked; unknown otherwise', async () => {
        const bob = await create('bob');
        await issue('t1', alice.id);
        expect(await store.revokeRefreshToken('t1', bob.id, at(1))).toBe('unknown');
        expect(await store.isRefreshTokenRevoked('t1')).toBe(false);
        expect(await store.revokeRefreshToken('t1', alice.id, at(2))).toBe('revoked');
        expect(await store.isRefreshTokenRevoked('t1')).toBe(true);
        expect(await store.revokeRefreshToken('t1', alice.id, at(3))).toBe('already_revoked');
        expect(await store.revokeRefreshToken('nope', alice.id, at(4))).toBe('unknown');
      });

      test('deleteExpiredRefreshTokens removes only expired tokens and counts them', async () => {
        await issue('long-gone', alice.id, 'f', -86400);
        await issue('just-expired', alice.id, 'f', -1);
        await issue('expires-now', alice.id, 'f', 0);
        await issue('expires-soon', alice.id, 'f', 1);
        await issue('revoked-live', alice.id, 'f', 3600);
        await store.revokeRefreshToken('revoked-live', alice.id, T0);

        expect(await store.deleteExpiredRefreshTokens(T0)).toBe(3);
        expect(await store.isRefreshTokenRevoked('long-gone')).toBeUndefined();
        expect(await store.isRefreshTokenRevoked('just-expired')).toBeUndefined();
        expect(await store.isRefreshTokenRevoked('expires-now')).toBeUndefined();
        expect(await store.isRefreshTokenRevoked('expires-soon')).toBe(false);
        expect(await store.isRefreshTokenRevoked('revoked-live')).toBe(true);
        expect(await store.deleteExpiredRefreshTokens(T0)).toBe(0);
        expect(await store.deleteExpiredRefreshTokens(at(1))).toBe(1);
        expect(await store.isRefreshTokenRevoked('expires-soon')).toBeUndefined();
        expect(await store.isRefreshTokenRevoked('revoked-live')).toBe(true);
      });
    });

    describe('secrets', () => {
      test('getOrCreateSecret creates once and then returns the stored value', async () => {
        expect(await store.getOrCreateSecret('signing-key', () => 'first', T0)).toBe('first');
        expect(await store.getOrCreateSecret('signing-key', () => 'second', at(1))).toBe('first');
        expect(await store.getOrCreateSecret('other', () => 'third', at(2))).toBe('third');
        expect(await store.getOrCreateSecret('signing-key', () => 'fourth', at(3))).toBe('first');
      });

      test('concurrent first uses agree on one value', async () => {
        const values = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.getOrCreateSecret('signing-key', () => `value-${i}`, T0),
          ),
        );
        const [first] = values;
        expect(first).toMatch(/^value-\d+$/);
        expect(values).toEqual(Array.from({ length: 20 }, () => first));
        expect(await store.getOrCreateSecret('signing-key', () => 'late', at(1))).toBe(first);
      });
    });
  });
}

describeStoreContract('SQLite (in memory)', async () => openStore({ kind: 'sqlite', path: ':memory:' }));

/** What the Store interface does not expose, checked in the SQLite database itself. */
describe('SQLite store: rows', () => {
  let dir: string;
  let store: Store;
  let file: string;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-store-'));
    file = path.join(dir, 'nested', 'db.sqlite3');
    store = openStore({ kind: 'sqlite', path: file });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('migrate applies the initial migration by name', async () => {
    expect(await store.migrate()).toEqual(['0001_initial']);
    expect(await store.migrate()).toEqual([]);
  });

  test('rotation records the child in the parent family and links them', async () => {
    await store.migrate();
    const created = await store.createUser(newUser('alice'), T0);
    if (!created.ok) throw new Error('createUser failed');
    const userId = created.user.id;
    await store.recordRefreshToken({
      jti: 'parent',
      userId,
      familyId: 'fam-1',
      issuedAt: T0,
      expiresAt: at(3600),
    });
    const result = await store.rotateRefreshToken({
      jti: 'parent',
      userId,
      now: at(10),
      child: { jti: 'child', userId, issuedAt: at(10), expiresAt: at(3610) },
      revoke: true,
    });
    expect(result.ok).toBe(true);

    const raw = new SqliteDatabase(file, { readonly: true });
    try {
      const rows = raw
        .prepare(
          'select jti, user_id, family_id, issued_at, expires_at, revoked_at, replaced_by from refresh_tokens order by jti',
        )
        .all();
      expect(rows).toEqual([
        {
          jti: 'child',
          user_id: userId,
          family_id: 'fam-1',
          issued_at: at(10).toISOString(),
          expires_at: at(3610).toISOString(),
          revoked_at: null,
          replaced_by: null,
        },
        {
          jti: 'parent',
          user_id: userId,
          family_id: 'fam-1',
          issued_at: T0.toISOString(),
          expires_at: at(3600).toISOString(),
          revoked_at: at(10).toISOString(),
          replaced_by: 'child',
        },
      ]);
      const user = raw.prepare('select password_hash from users where id = ?').get(userId);
      expect(user).toEqual({ password_hash: 'hash-of-alice' });
    } finally {
      raw.close();
    }
  });
});
