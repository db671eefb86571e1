import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Client } from 'pg';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { usePostgres, type TestPostgres } from '../testing/postgres.js';
import { inspectPostgres, openStore } from './open-store.js';
import type {
  NewAuditEntry,
  NewSigningKey,
  NewUser,
  Page,
  Session,
  SessionPolicy,
  Store,
  User,
} from './store.js';

const T0 = new Date('2025-03-01T12:00:00.000Z');
const MIGRATIONS = ['0001_initial', '0002_signing_keys', '0003_session_methods', '0004_one_time_tokens'];
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
  'name',
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
 * store; each test gets its own. It runs against SQLite and PostgreSQL (see the end of this file).
 */
function describeStoreContract(name: string, open: () => Promise<Store>, skip = false) {
  describe.skipIf(skip)(`Store contract: ${name}`, () => {
    let store: Store;
    let firstMigration: string[];

    beforeEach(async () => {
      store = await open();
      firstMigration = await store.migrate();
      sessions.clear();
    });
    afterEach(async () => {
      await store.close();
    });

    async function create(username: string, overrides: Partial<NewUser> = {}, now = T0): Promise<User> {
      const result = await store.createUser(newUser(username, overrides), now);
      if (!result.ok) throw new Error(`createUser(${username}) failed: ${result.conflicts.join(', ')}`);
      return result.user;
    }

    const sessions = new Set<string>();
    /** A refresh token in session `familyId`, which is started by its first token. */
    async function issue(jti: string, userId: number, familyId = `family-${jti}`, expiresIn = 3600) {
      const token = { jti, userId, issuedAt: T0, expiresAt: at(expiresIn) };
      if (sessions.has(familyId)) return store.recordRefreshToken({ ...token, familyId });
      sessions.add(familyId);
      return store.startSession(
        { id: familyId, userId, userAgent: '', ip: '', methods: ['pwd'], authTime: T0 },
        token,
      );
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

      test('ping answers (a database out of reach: postgres-outage.process.test.ts)', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
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
          name: '',
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
        expect(result).toStrictEqual({ ok: true, user: alice, sessionId: expect.any(String) });
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
        expect(next).toStrictEqual({ ok: true, user: alice, sessionId: expect.any(String) });
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
        expect(result).toStrictEqual({ ok: true, user: changed, sessionId: expect.any(String) });
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
        // The first loser is reuse of a spent token: it ends the session; the others find it ended.
        const reasons = results.flatMap((r) => (r.ok ? [] : [r.reason]));
        expect(reasons.filter((reason) => reason === 'reused')).toHaveLength(1);
        expect(reasons.filter((reason) => reason === 'revoked')).toHaveLength(18);
        const states = await Promise.all(jtis.map((jti) => store.isRefreshTokenRevoked(jti)));
        // One child was recorded, and the session it belongs to has been ended.
        expect(states.filter((s) => s === true)).toHaveLength(1);
        expect(states.filter((s) => s === undefined)).toHaveLength(19);
        expect(states[winners[0] ?? -1]).toBe(true);
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
          expect(result).toStrictEqual({ ok: true, user: alice, sessionId: expect.any(String) });
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
        expect(result).toStrictEqual({ ok: true, user: alice, sessionId: expect.any(String) });
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
          expect(retry).toStrictEqual({ ok: true, user: reactivated, sessionId: expect.any(String) });
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
        // In a session of its own: logout ends the whole session.
        await issue('revoked-live', alice.id, 'g', 3600);
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

    describe('sessions', () => {
      test('rotation never shortens the session: another live token may expire later', async () => {
        const ann = await create('ann');
        await issue('t1', ann.id, 's1', 3600);
        await issue('t2', ann.id, 's1', 7200);
        const result = await store.rotateRefreshToken({
          jti: 't1',
          userId: ann.id,
          now: at(10),
          child: { jti: 't3', userId: ann.id, issuedAt: at(10), expiresAt: at(1000) },
          revoke: true,
        });
        expect(result.ok).toBe(true);
        expect((await store.listSessions(ann.id, at(10)))[0]?.expiresAt).toEqual(at(7200));
        expect(await store.deleteExpiredRefreshTokens(at(1000))).toBe(1);
        expect(await store.isRefreshTokenRevoked('t2')).toBe(false);
      });

      let alice: User;
      let bob: User;
      beforeEach(async () => {
        alice = await create('alice');
        bob = await create('bob');
      });

      /** Starts session `id` with its first token `jti`; the session's user agent and ip name it. */
      async function start(
        id: string,
        userId: number,
        jti: string,
        { issuedAt = T0, expiresAt = at(3600) }: { issuedAt?: Date; expiresAt?: Date } = {},
      ) {
        sessions.add(id);
        await store.startSession(
          { id, userId, userAgent: `agent-${id}`, ip: `ip-${id}`, methods: ['pwd'], authTime: issuedAt },
          { jti, userId, issuedAt, expiresAt },
        );
      }

      /** The session `id` of user `userId` as listSessions shows it while it is fresh. */
      const fresh = (id: string, userId: number, createdAt = T0, expiresAt = at(3600)): Session => ({
        id,
        userId,
        createdAt,
        lastUsedAt: createdAt,
        expiresAt,
        revokedAt: null,
        revokeReason: null,
        userAgent: `agent-${id}`,
        ip: `ip-${id}`,
        methods: ['pwd'],
        authTime: createdAt,
      });

      const listedIds = async (userId: number, now = at(1)) =>
        (await store.listSessions(userId, now)).map((s) => s.id);

      test('startSession records an open session and its first token', async () => {
        await store.startSession(
          {
            id: 's1',
            userId: alice.id,
            userAgent: 'Firefox/128.0',
            ip: '203.0.113.7',
            methods: ['pwd', 'otp', 'mfa'],
            authTime: at(4),
          },
          { jti: 't1', userId: alice.id, issuedAt: at(5), expiresAt: at(3605) },
        );
        expect(await store.listSessions(alice.id, at(6))).toStrictEqual([
          {
            id: 's1',
            userId: alice.id,
            createdAt: at(5),
            lastUsedAt: at(5),
            expiresAt: at(3605),
            revokedAt: null,
            revokeReason: null,
            userAgent: 'Firefox/128.0',
            ip: '203.0.113.7',
            methods: ['pwd', 'otp', 'mfa'],
            authTime: at(4),
          },
        ]);
        expect(await store.isSessionActive('s1')).toBe(true);
        expect(await store.isRefreshTokenRevoked('t1')).toBe(false);
        expect(
          await store.rotateRefreshToken({ jti: 't1', userId: alice.id, now: at(10), revoke: true }),
        ).toStrictEqual({ ok: true, user: alice, sessionId: 's1' });
      });

      test('startSession is atomic: when the token cannot be recorded, no session remains', async () => {
        await start('s1', alice.id, 't1');
        await expect(
          store.startSession(
            { id: 's2', userId: alice.id, userAgent: 'ua', ip: 'ip', methods: ['pwd'], authTime: T0 },
            { jti: 't1', userId: alice.id, issuedAt: at(1), expiresAt: at(3601) },
          ),
        ).rejects.toThrow();
        await expect(
          store.startSession(
            { id: 'b1', userId: bob.id, userAgent: 'ua', ip: 'ip', methods: ['pwd'], authTime: T0 },
            { jti: 't1', userId: bob.id, issuedAt: at(1), expiresAt: at(3601) },
          ),
        ).rejects.toThrow();
        expect(await store.listSessions(alice.id, at(2))).toStrictEqual([fresh('s1', alice.id)]);
        expect(await store.listSessions(bob.id, at(2))).toStrictEqual([]);
        expect(await store.isSessionActive('s2')).toBe(false);
        expect(await store.isSessionActive('b1')).toBe(false);
        // The existing token still belongs to its own session and user.
        expect(
          await store.rotateRefreshToken({ jti: 't1', userId: alice.id, now: at(3), revoke: false }),
        ).toStrictEqual({ ok: true, user: alice, sessionId: 's1' });
        // No half-started row blocks the session id.
        await start('s2', alice.id, 't2', { issuedAt: at(4), expiresAt: at(3604) });
        expect(await listedIds(alice.id, at(5))).toEqual(['s2', 's1']);
      });

      test('startSession with a taken session id records neither the session nor the token', async () => {
        await start('s1', alice.id, 't1');
        await expect(
          store.startSession(
            { id: 's1', userId: bob.id, userAgent: 'ua', ip: 'ip', methods: ['pwd'], authTime: T0 },
            { jti: 't2', userId: bob.id, issuedAt: at(1), expiresAt: at(3601) },
          ),
        ).rejects.toThrow();
        expect(await store.isRefreshTokenRevoked('t2')).toBeUndefined();
        expect(await store.listSessions(bob.id, at(2))).toStrictEqual([]);
        expect(await store.listSessions(alice.id, at(2))).toStrictEqual([fresh('s1', alice.id)]);
      });

      test("listSessions lists the user's open, unexpired sessions, most recently used first", async () => {
        expect(await store.listSessions(alice.id, at(1))).toStrictEqual([]);
        await start('middle', alice.id, 't-middle', { issuedAt: at(2), expiresAt: at(3602) });
        await start('newest', alice.id, 't-newest', { issuedAt: at(3), expiresAt: at(3603) });
        await start('oldest', alice.id, 't-oldest', { issuedAt: at(1), expiresAt: at(3601) });
        await start('revoked', alice.id, 't-revoked', { issuedAt: at(4), expiresAt: at(3604) });
        await start('expires-now', alice.id, 't-expires-now', { issuedAt: at(5), expiresAt: at(100) });
        await start('expires-soon', alice.id, 't-expires-soon', { issuedAt: at(0), expiresAt: at(101) });
        await start('bobs', bob.id, 't-bobs', { issuedAt: at(6), expiresAt: at(3606) });
        expect(await store.revokeSession('revoked', alice.id, 'test', at(50))).toBe(true);

        expect(await store.listSessions(alice.id, at(100))).toStrictEqual([
          fresh('newest', alice.id, at(3), at(3603)),
          fresh('middle', alice.id, at(2), at(3602)),
          fresh('oldest', alice.id, at(1), at(3601)),
          fresh('expires-soon', alice.id, at(0), at(101)),
        ]);
        expect(await listedIds(alice.id, at(99))).toEqual([
          'expires-now',
          'newest',
          'middle',
          'oldest',
          'expires-soon',
        ]);
        expect(await listedIds(alice.id, at(101))).toEqual(['newest', 'middle', 'oldest']);
        expect(await store.listSessions(bob.id, at(100))).toStrictEqual([
          fresh('bobs', bob.id, at(6), at(3606)),
        ]);
        expect(await store.listSessions(999_999, at(100))).toStrictEqual([]);
      });

      test('isSessionActive: true while open, false once revoked or unknown', async () => {
        await start('s1', alice.id, 't1');
        expect(await store.isSessionActive('s1')).toBe(true);
        expect(await store.isSessionActive('nope')).toBe(false);
        expect(await store.isSessionActive('')).toBe(false);
        await store.revokeSession('s1', alice.id, 'test', at(1));
        expect(await store.isSessionActive('s1')).toBe(false);
      });

      test('revokeSession ends an open session once, and only for its owner', async () => {
        await start('s1', alice.id, 't1');
        await issue('t1b', alice.id, 's1');
        await start('s2', alice.id, 't2', { issuedAt: at(1), expiresAt: at(3601) });

        expect(await store.revokeSession('s1', bob.id, 'not yours', at(5))).toBe(false);
        expect(await store.isSessionActive('s1')).toBe(true);
        expect(await store.isRefreshTokenRevoked('t1')).toBe(false);
        expect(await listedIds(alice.id, at(6))).toEqual(['s2', 's1']);

        expect(await store.revokeSession('nope', alice.id, 'unknown', at(5))).toBe(false);

        expect(await store.revokeSession('s1', alice.id, 'user', at(10))).toBe(true);
        expect(await store.isSessionActive('s1')).toBe(false);
        expect(await store.isRefreshTokenRevoked('t1')).toBe(true);
        expect(await store.isRefreshTokenRevoked('t1b')).toBe(true);
        expect(await store.listSessions(alice.id, at(11))).toStrictEqual([
          fresh('s2', alice.id, at(1), at(3601)),
        ]);
        expect(await store.isRefreshTokenRevoked('t2')).toBe(false);

        expect(await store.revokeSession('s1', alice.id, 'again', at(20))).toBe(false);
      });

      test("revokeUserSessions ends all of a user's open sessions but one, and counts them", async () => {
        await start('a1', alice.id, 'ta1', { issuedAt: at(1), expiresAt: at(3601) });
        await start('a2', alice.id, 'ta2', { issuedAt: at(2), expiresAt: at(3602) });
        await start('a3', alice.id, 'ta3', { issuedAt: at(3), expiresAt: at(3603) });
        await start('a4', alice.id, 'ta4', { issuedAt: at(4), expiresAt: at(3604) });
        await start('b1', bob.id, 'tb1', { issuedAt: at(5), expiresAt: at(3605) });
        expect(await store.revokeSession('a4', alice.id, 'earlier', at(6))).toBe(true);

        expect(await store.revokeUserSessions(alice.id, 'password_change', at(10), 'a2')).toBe(2);
        expect(await store.listSessions(alice.id, at(11))).toStrictEqual([
          fresh('a2', alice.id, at(2), at(3602)),
        ]);
        expect(await store.isSessionActive('a1')).toBe(false);
        expect(await store.isSessionActive('a2')).toBe(true);
        expect(await store.isSessionActive('a3')).toBe(false);
        expect(await store.isRefreshTokenRevoked('ta1')).toBe(true);
        expect(await store.isRefreshTokenRevoked('ta2')).toBe(false);
        expect(await store.isRefreshTokenRevoked('ta3')).toBe(true);
        expect(await store.listSessions(bob.id, at(11))).toStrictEqual([
          fresh('b1', bob.id, at(5), at(3605)),
        ]);
        expect(await store.isRefreshTokenRevoked('tb1')).toBe(false);

        expect(await store.revokeUserSessions(alice.id, 'again', at(12), 'a2')).toBe(0);
        expect(await store.isSessionActive('a2')).toBe(true);
        expect(await store.revokeUserSessions(alice.id, 'everywhere', at(13))).toBe(1);
        expect(await store.isSessionActive('a2')).toBe(false);
        expect(await store.listSessions(alice.id, at(14))).toStrictEqual([]);
        expect(await store.revokeUserSessions(alice.id, 'everywhere', at(15))).toBe(0);
        expect(await store.isSessionActive('b1')).toBe(true);
        expect(await store.revokeUserSessions(999_999, 'nobody', at(16))).toBe(0);
        expect(await store.isSessionActive('b1')).toBe(true);
      });

      test.each([
        ['revokeSession', true],
        ['revokeSession', false],
        ['revokeUserSessions', true],
        ['revokeUserSessions', false],
      ] as const)(
        'after %s, a token of the session is revoked and rotating it changes nothing (revoke: %s)',
        async (how, revoke) => {
          await start('s1', alice.id, 't1');
          await issue('t1b', alice.id, 's1');
          if (how === 'revokeSession')
            expect(await store.revokeSession('s1', alice.id, 'user', at(5))).toBe(true);
          else expect(await store.revokeUserSessions(alice.id, 'everywhere', at(5))).toBe(1);

          expect(await rotate('t1', alice.id, revoke, 'child')).toStrictEqual({
            ok: false,
            reason: 'revoked',
          });
          expect(await store.isRefreshTokenRevoked('child')).toBeUndefined();
          expect(await store.isRefreshTokenRevoked('t1')).toBe(true);
          expect(await store.isRefreshTokenRevoked('t1b')).toBe(true);
          expect(await store.isSessionActive('s1')).toBe(false);
          expect(await store.listSessions(alice.id, at(11))).toStrictEqual([]);
          // Logging out with a token of the ended session finds it already ended.
          expect(await store.revokeRefreshToken('t1b', alice.id, at(12))).toBe('already_revoked');
          expect(await store.isSessionActive('s1')).toBe(false);
        },
      );

      test('logout (revokeRefreshToken) ends the whole session of the token', async () => {
        await start('s1', alice.id, 't1');
        await issue('t1b', alice.id, 's1');
        await start('s2', alice.id, 't2', { issuedAt: at(1), expiresAt: at(3601) });
        await start('b1', bob.id, 'tb1', { issuedAt: at(2), expiresAt: at(3602) });

        expect(await store.revokeRefreshToken('t1', alice.id, at(10))).toBe('revoked');
        expect(await store.isSessionActive('s1')).toBe(false);
        expect(await store.isRefreshTokenRevoked('t1')).toBe(true);
        expect(await store.isRefreshTokenRevoked('t1b')).toBe(true);
        expect(await store.listSessions(alice.id, at(11))).toStrictEqual([
          fresh('s2', alice.id, at(1), at(3601)),
        ]);
        expect(await rotate('t1b', alice.id, true, 'child')).toStrictEqual({ ok: false, reason: 'revoked' });
        expect(await store.isRefreshTokenRevoked('child')).toBeUndefined();

        expect(await store.revokeRefreshToken('t1b', alice.id, at(20))).toBe('already_revoked');
        expect(await store.revokeRefreshToken('t1', alice.id, at(21))).toBe('already_revoked');

        expect(await store.isSessionActive('s2')).toBe(true);
        expect(await store.isRefreshTokenRevoked('t2')).toBe(false);
        expect(await store.isSessionActive('b1')).toBe(true);
        expect(await store.isRefreshTokenRevoked('tb1')).toBe(false);
      });

      test("rotation moves the session's lastUsedAt and expiresAt forward", async () => {
        await start('s1', alice.id, 't1');
        await start('s2', alice.id, 't2', { issuedAt: at(1), expiresAt: at(3601) });
        expect(await listedIds(alice.id, at(2))).toEqual(['s2', 's1']);

        expect(await rotate('t1', alice.id, true, 'c1')).toStrictEqual({
          ok: true,
          user: alice,
          sessionId: 's1',
        });
        expect(await store.listSessions(alice.id, at(11))).toStrictEqual([
          { ...fresh('s1', alice.id), lastUsedAt: at(10), expiresAt: at(3610) },
          fresh('s2', alice.id, at(1), at(3601)),
        ]);

        // Without a child the token is only used: the expiry stays.
        expect(
          await store.rotateRefreshToken({ jti: 't2', userId: alice.id, now: at(20), revoke: false }),
        ).toStrictEqual({ ok: true, user: alice, sessionId: 's2' });
        expect(await store.listSessions(alice.id, at(21))).toStrictEqual([
          { ...fresh('s2', alice.id, at(1), at(3601)), lastUsedAt: at(20) },
          { ...fresh('s1', alice.id), lastUsedAt: at(10), expiresAt: at(3610) },
        ]);
      });

      test('a refused rotation does not touch the session', async () => {
        await start('s1', alice.id, 't1');
        await store.updateUser(alice.id, { isActive: false }, at(5));
        expect(await rotate('t1', alice.id, true, 'c1')).toStrictEqual({
          ok: false,
          reason: 'user_inactive',
        });
        expect(await rotate('t1', bob.id, true, 'c2')).toStrictEqual({ ok: false, reason: 'unknown' });
        expect(await store.listSessions(alice.id, at(11))).toStrictEqual([fresh('s1', alice.id)]);
      });

      test("recordRefreshToken extends the session's expiry, never shortens it", async () => {
        await start('s1', alice.id, 't1');
        expect(await store.listSessions(alice.id, at(5000))).toStrictEqual([]);

        await store.recordRefreshToken({
          jti: 't2',
          userId: alice.id,
          familyId: 's1',
          issuedAt: at(10),
          expiresAt: at(7200),
        });
        const expiry = async () =>
          (await store.listSessions(alice.id, at(5000))).map((s) => [s.id, s.expiresAt]);
        expect(await expiry()).toEqual([['s1', at(7200)]]);

        await store.recordRefreshToken({
          jti: 't3',
          userId: alice.id,
          familyId: 's1',
          issuedAt: at(20),
          expiresAt: at(1800),
        });
        expect(await expiry()).toEqual([['s1', at(7200)]]);
        expect(await store.isRefreshTokenRevoked('t2')).toBe(false);
        expect(await store.isRefreshTokenRevoked('t3')).toBe(false);
        const [session] = await store.listSessions(alice.id, at(5000));
        expect(session?.createdAt).toEqual(T0);
      });

      test('deleteExpiredRefreshTokens removes expired sessions with their tokens', async () => {
        await start('expired', alice.id, 't-expired', { expiresAt: at(100) });
        await start('live', alice.id, 't-live', { issuedAt: at(1), expiresAt: at(3600) });
        await start('extended', alice.id, 't-ext-old', { issuedAt: at(2), expiresAt: at(100) });
        await issue('t-ext-new', alice.id, 'extended', 3600);
        await start('revoked-live', alice.id, 't-revoked-live', { expiresAt: at(3600) });
        await start('revoked-expired', alice.id, 't-revoked-expired', { expiresAt: at(100) });
        await start('bobs-expired', bob.id, 't-bobs-expired', { expiresAt: at(50) });
        await store.revokeSession('revoked-live', alice.id, 'test', at(5));
        await store.revokeSession('revoked-expired', alice.id, 'test', at(5));
        expect(await listedIds(alice.id, T0)).toEqual(['extended', 'live', 'expired']);

        expect(await store.deleteExpiredRefreshTokens(at(100))).toBe(4);

        expect(await listedIds(alice.id, T0)).toEqual(['extended', 'live']);
        expect(await store.isSessionActive('expired')).toBe(false);
        expect(await store.isSessionActive('bobs-expired')).toBe(false);
        expect(await store.isSessionActive('live')).toBe(true);
        expect(await store.isSessionActive('extended')).toBe(true);
        expect(await store.isRefreshTokenRevoked('t-expired')).toBeUndefined();
        expect(await store.isRefreshTokenRevoked('t-bobs-expired')).toBeUndefined();
        expect(await store.isRefreshTokenRevoked('t-ext-old')).toBeUndefined();
        expect(await store.isRefreshTokenRevoked('t-ext-new')).toBe(false);
        expect(await store.isRefreshTokenRevoked('t-live')).toBe(false);
        expect(await store.isRefreshTokenRevoked('t-revoked-expired')).toBeUndefined();
        expect(await store.isRefreshTokenRevoked('t-revoked-live')).toBe(true);
        expect(await store.isSessionActive('revoked-live')).toBe(false);
        expect(
          await store.rotateRefreshToken({
            jti: 't-revoked-live',
            userId: alice.id,
            now: at(101),
            revoke: false,
          }),
        ).toStrictEqual({ ok: false, reason: 'revoked' });
        // The expired session is gone, not just hidden: its id can be started afresh.
        await start('expired', alice.id, 't-again', { issuedAt: at(101), expiresAt: at(3701) });
        expect(await store.listSessions(alice.id, at(102))).toStrictEqual([
          fresh('expired', alice.id, at(101), at(3701)),
          fresh('extended', alice.id, at(2), at(3600)),
          fresh('live', alice.id, at(1), at(3600)),
        ]);
        expect(await store.deleteExpiredRefreshTokens(at(100))).toBe(0);
      });
    });

    describe('findAccessSubject', () => {
      let alice: User;
      let bob: User;
      beforeEach(async () => {
        alice = await create('alice');
        bob = await create('bob');
        await issue('ta', alice.id, 'alices');
        await issue('tb', bob.id, 'bobs');
      });

      test('an open session of the user is active, with the user and no password hash', async () => {
        const subject = await store.findAccessSubject(alice.id, 'alices');
        expect(subject).toStrictEqual({ user: alice, sessionActive: true });
        expect(Object.keys(subject?.user ?? {}).sort()).toEqual(USER_KEYS);
        expect(JSON.stringify(subject)).not.toContain('hash-of-alice');
      });

      test('returns the user as it is now', async () => {
        const changed = await store.updateUser(alice.id, { name: 'Alice L.', isStaff: true }, at(5));
        expect(await store.findAccessSubject(alice.id, 'alices')).toStrictEqual({
          user: changed,
          sessionActive: true,
        });
      });

      test('a revoked session is not active', async () => {
        await store.revokeSession('alices', alice.id, 'test', at(1));
        expect(await store.findAccessSubject(alice.id, 'alices')).toStrictEqual({
          user: alice,
          sessionActive: false,
        });
      });

      test('a session ended by logout is not active', async () => {
        await store.revokeRefreshToken('ta', alice.id, at(1));
        expect(await store.findAccessSubject(alice.id, 'alices')).toStrictEqual({
          user: alice,
          sessionActive: false,
        });
      });

      test("an unknown session id or another user's session is not active", async () => {
        expect(await store.findAccessSubject(alice.id, 'nope')).toStrictEqual({
          user: alice,
          sessionActive: false,
        });
        expect(await store.findAccessSubject(alice.id, 'bobs')).toStrictEqual({
          user: alice,
          sessionActive: false,
        });
        expect(await store.findAccessSubject(bob.id, 'alices')).toStrictEqual({
          user: bob,
          sessionActive: false,
        });
        // And asking did not end anything.
        expect(await store.isSessionActive('alices')).toBe(true);
        expect(await store.isSessionActive('bobs')).toBe(true);
      });

      test('an unknown user is undefined, whatever the session', async () => {
        expect(await store.findAccessSubject(999_999, 'alices')).toBeUndefined();
        expect(await store.findAccessSubject(999_999, 'nope')).toBeUndefined();
        await store.deleteUser(bob.id);
        expect(await store.findAccessSubject(bob.id, 'bobs')).toBeUndefined();
      });
    });

    describe('users: lookups, logins and deletion', () => {
      test('findUserByPublicId finds the user by its public id only', async () => {
        const alice = await create('alice');
        const bob = await create('bob');
        expect(await store.findUserByPublicId(alice.publicId)).toStrictEqual(alice);
        expect(await store.findUserByPublicId(bob.publicId)).toStrictEqual(bob);
        expect(await store.findUserByPublicId('00000000-0000-4000-8000-000000000000')).toBeUndefined();
        expect(await store.findUserByPublicId(String(alice.id))).toBeUndefined();
        expect(await store.findUserByPublicId('')).toBeUndefined();
      });

      test('findPasswordHash returns the current hash, or undefined for an unknown user', async () => {
        const alice = await create('alice');
        const bob = await create('bob');
        expect(await store.findPasswordHash(alice.id)).toBe('hash-of-alice');
        expect(await store.findPasswordHash(bob.id)).toBe('hash-of-bob');
        await store.updatePasswordHash(alice.id, 'new-hash', at(5));
        expect(await store.findPasswordHash(alice.id)).toBe('new-hash');
        expect(await store.findPasswordHash(bob.id)).toBe('hash-of-bob');
        expect(await store.findPasswordHash(999_999)).toBeUndefined();
      });

      test('deleteUser deletes once, with its sessions and tokens, and leaves others alone', async () => {
        const alice = await create('alice');
        const bob = await create('bob');
        await issue('ta1', alice.id, 'alices');
        await issue('ta2', alice.id, 'alices');
        await issue('ta3', alice.id, 'alices-other');
        await issue('tb', bob.id, 'bobs');

        expect(await store.deleteUser(alice.id)).toBe(true);
        expect(await store.findUserById(alice.id)).toBeUndefined();
        expect(await store.findUserByPublicId(alice.publicId)).toBeUndefined();
        expect(await store.findPasswordHash(alice.id)).toBeUndefined();
        for (const jti of ['ta1', 'ta2', 'ta3'])
          expect(await store.isRefreshTokenRevoked(jti)).toBeUndefined();
        expect(await store.isSessionActive('alices')).toBe(false);
        expect(await store.isSessionActive('alices-other')).toBe(false);
        expect(await store.listSessions(alice.id, at(1))).toStrictEqual([]);
        expect(await rotate('ta1', alice.id, true, 'child')).toStrictEqual({ ok: false, reason: 'unknown' });

        expect(await store.deleteUser(alice.id)).toBe(false);
        expect(await store.deleteUser(999_999)).toBe(false);

        expect(await store.findUserById(bob.id)).toStrictEqual(bob);
        expect(await store.isSessionActive('bobs')).toBe(true);
        expect(await store.isRefreshTokenRevoked('tb')).toBe(false);
        expect(await store.listUsers()).toStrictEqual([bob]);
        // The identity is free again.
        const again = await create('alice');
        expect(again.id).not.toBe(alice.id);
      });

      test('deleting a user while its tokens rotate and its sessions end: every call settles, no deadlock', async () => {
        // PostgreSQL: a rotation locks its token and session rows, then its new token's foreign key takes a
        // share lock on the user row; a deletion locks the user row, then its cascade the sessions and
        // tokens. Unless a rotation takes the user row first, the two wait for each other.
        for (let round = 0; round < 6; round++) {
          const user = await create(`racer${round}`);
          const jtis = Array.from({ length: 8 }, (_, i) => `r${round}-${i}`);
          for (const jti of jtis) await issue(jti, user.id);
          const settled = await Promise.allSettled([
            ...jtis.slice(2).map((jti) => rotate(jti, user.id, true, `${jti}-child`)),
            store.revokeRefreshToken(jtis[0] as string, user.id, at(10)),
            store.revokeUserSessions(user.id, 'password_changed', at(10), `family-${jtis[1]}`),
            new Promise((resolve) => setTimeout(resolve, round)).then(() => store.deleteUser(user.id)),
          ]);
          expect(settled.filter((result) => result.status === 'rejected')).toEqual([]);
          expect(await store.findUserById(user.id)).toBeUndefined();
          for (const jti of jtis) {
            expect(await store.isRefreshTokenRevoked(jti)).toBeUndefined();
            expect(await store.isRefreshTokenRevoked(`${jti}-child`)).toBeUndefined();
          }
        }
      });

      test('recordLogin with a throttle sets lastLogin when unset or older than the window, never updated', async () => {
        const alice = await create('alice');
        const lastLogin = async () => (await store.findUserById(alice.id))?.lastLogin;

        await store.recordLogin(alice.id, at(100), 60);
        expect(await store.findUserById(alice.id)).toStrictEqual({ ...alice, lastLogin: at(100) });
        await store.recordLogin(alice.id, at(130), 60);
        expect(await lastLogin()).toEqual(at(100));
        await store.recordLogin(alice.id, at(159), 60);
        expect(await lastLogin()).toEqual(at(100));
        await store.recordLogin(alice.id, at(161), 60);
        expect(await lastLogin()).toEqual(at(161));
        await store.recordLogin(alice.id, at(162), 60);
        expect(await lastLogin()).toEqual(at(161));
        // Without a throttle every login is recorded.
        await store.recordLogin(alice.id, at(163));
        expect(await lastLogin()).toEqual(at(163));
        expect(await store.findUserById(alice.id)).toStrictEqual({ ...alice, lastLogin: at(163) });
      });

      test('recordLogin does not touch other users', async () => {
        const alice = await create('alice');
        const bob = await create('bob');
        await store.recordLogin(alice.id, at(10), 60);
        expect(await store.findUserById(bob.id)).toStrictEqual(bob);
        await store.recordLogin(999_999, at(10), 60);
        expect(await store.findUserById(alice.id)).toStrictEqual({ ...alice, lastLogin: at(10) });
      });

      test('createUser and updateUser store the display name', async () => {
        const alice = await create('alice', { name: 'Alice' });
        expect(alice.name).toBe('Alice');
        const updated = await store.updateUser(alice.id, { name: 'Alice Liddell' }, at(60));
        expect(updated).toStrictEqual({ ...alice, name: 'Alice Liddell', updated: at(60) });
        expect(await store.findUserById(alice.id)).toStrictEqual(updated);
        const cleared = await store.updateUser(alice.id, { name: '' }, at(70));
        expect(cleared).toStrictEqual({ ...alice, name: '', updated: at(70) });
      });
    });

    describe('queryUsers', () => {
      const ids = (page: Page<User>) => page.items.map((u) => u.username);

      test('search folds non-ASCII capitals too', async () => {
        await create('emile', { firstName: 'Émile', lastName: 'ÅSTRÖM' });
        for (const search of ['Émile', 'émile', 'ÉMILE', 'åström', 'ÅSTRÖM']) {
          expect((await store.queryUsers({ search, offset: 0, limit: 10 })).count, search).toBe(1);
        }
      });

      test('with no users: count 0, no items', async () => {
        expect(await store.queryUsers({ offset: 0, limit: 10 })).toStrictEqual({ count: 0, items: [] });
      });

      test('orders by updated, newest first by default, and pages with offset and limit', async () => {
        const u2 = await create('u2', {}, at(2));
        await create('u5', {}, at(5));
        await create('u1', {}, at(1));
        await create('u4', {}, at(4));
        await create('u3', {}, at(3));

        const all = await store.queryUsers({ offset: 0, limit: 10 });
        expect(all.count).toBe(5);
        expect(ids(all)).toEqual(['u5', 'u4', 'u3', 'u2', 'u1']);
        expect(all.items[3]).toStrictEqual(u2);
        expect(ids(await store.queryUsers({ ordering: '-updated', offset: 0, limit: 10 }))).toEqual([
          'u5',
          'u4',
          'u3',
          'u2',
          'u1',
        ]);
        expect(ids(await store.queryUsers({ ordering: 'updated', offset: 0, limit: 10 }))).toEqual([
          'u1',
          'u2',
          'u3',
          'u4',
          'u5',
        ]);

        const page = (offset: number, limit: number, ordering?: 'updated' | '-updated') =>
          store.queryUsers({ offset, limit, ...(ordering && { ordering }) });
        expect(await page(0, 2)).toStrictEqual({ count: 5, items: [all.items[0], all.items[1]] });
        expect(ids(await page(2, 2))).toEqual(['u3', 'u2']);
        expect(await page(4, 2)).toStrictEqual({ count: 5, items: [all.items[4]] });
        expect(await page(5, 2)).toStrictEqual({ count: 5, items: [] });
        expect(ids(await page(1, 3, 'updated'))).toEqual(['u2', 'u3', 'u4']);
        expect((await page(1, 3, 'updated')).count).toBe(5);

        // An update moves the user to the front.
        await store.updateUser(u2.id, { firstName: 'Two' }, at(6));
        expect(ids(await page(0, 2))).toEqual(['u2', 'u5']);
      });

      describe('search', () => {
        beforeEach(async () => {
          await create('Quokka', { email: 'one@example.com', firstName: 'Ann', lastName: 'Lee' }, at(1));
          await create('two', { email: 'wombat@example.com', firstName: 'Bea', lastName: 'Ray' }, at(2));
          await create('three', { email: null, firstName: 'Platypus', lastName: 'Cho' }, at(3));
          await create('four', { email: 'four@example.org', firstName: 'Dee', lastName: 'Echidna' }, at(4));
          await create('five', { email: 'five@example.com', firstName: 'Eve', lastName: 'Fox' }, at(5));
        });
        const search = async (term: string | undefined, offset = 0, limit = 10) =>
          store.queryUsers({ search: term, offset, limit });

        test.each([
          ['username', 'QUOKKA', ['Quokka']],
          ['username (part)', 'okk', ['Quokka']],
          ['email', 'WOMBAT@', ['two']],
          ['first name', 'platypus', ['three']],
          ['last name', 'eCHIDna', ['four']],
          ['several fields', 'example.com', ['five', 'two', 'Quokka']],
          ['nothing', 'koala', []],
        ])('matches the %s case-insensitively', async (_field, term, expected) => {
          const page = await search(term);
          expect(ids(page)).toEqual(expected);
          expect(page.count).toBe(expected.length);
        });

        test('count is every match, not the page', async () => {
          expect(await search('example')).toMatchObject({ count: 4 });
          const first = await search('example', 0, 2);
          expect(first.count).toBe(4);
          expect(ids(first)).toEqual(['five', 'four']);
          const second = await search('example', 2, 2);
          expect(second.count).toBe(4);
          expect(ids(second)).toEqual(['two', 'Quokka']);
          expect(
            ids(await store.queryUsers({ search: 'example', ordering: 'updated', offset: 0, limit: 3 })),
          ).toEqual(['Quokka', 'two', 'four']);
        });

        test('an empty or absent search matches everyone', async () => {
          for (const term of ['', undefined]) {
            const page = await search(term, 0, 2);
            expect(page.count).toBe(5);
            expect(ids(page)).toEqual(['five', 'four']);
          }
        });
      });

      test('LIKE wildcards and the escape character in a search match literally', async () => {
        await create('a_b', { email: null }, at(1));
        await create('axb', { email: null }, at(2));
        await create('a%c', { email: null }, at(3));
        await create('abc', { email: null }, at(4));
        await create('back\\slash', { email: null }, at(5));
        await create('backxslash', { email: null }, at(6));
        const search = async (term: string) => {
          const page = await store.queryUsers({ search: term, offset: 0, limit: 10 });
          return { count: page.count, usernames: ids(page) };
        };
        expect(await search('_')).toEqual({ count: 1, usernames: ['a_b'] });
        expect(await search('a_b')).toEqual({ count: 1, usernames: ['a_b'] });
        expect(await search('%')).toEqual({ count: 1, usernames: ['a%c'] });
        expect(await search('a%c')).toEqual({ count: 1, usernames: ['a%c'] });
        expect(await search('\\')).toEqual({ count: 1, usernames: ['back\\slash'] });
        expect(await search('k\\s')).toEqual({ count: 1, usernames: ['back\\slash'] });
        expect(await search('a')).toEqual({
          count: 6,
          usernames: ['backxslash', 'back\\slash', 'abc', 'a%c', 'axb', 'a_b'],
        });
      });
    });

    describe('session policy', () => {
      let alice: User;
      beforeEach(async () => {
        alice = await create('alice');
        await issue('parent', alice.id, 's1');
      });
      const policy = (overrides: Partial<SessionPolicy> = {}): SessionPolicy => ({
        graceSeconds: 0,
        absoluteLifetime: 86400,
        idleTimeout: 86400,
        ...overrides,
      });
      const rotateAt = (jti: string, seconds: number, childJti: string, p: SessionPolicy, revoke = true) =>
        store.rotateRefreshToken({
          jti,
          userId: alice.id,
          now: at(seconds),
          child: { jti: childJti, userId: alice.id, issuedAt: at(seconds), expiresAt: at(seconds + 3600) },
          revoke,
          policy: p,
        });

      test('within the grace period a spent token gets its unused successor again', async () => {
        const grace = policy({ graceSeconds: 10 });
        expect(await rotateAt('parent', 10, 'c1', grace)).toStrictEqual({
          ok: true,
          user: alice,
          sessionId: 's1',
        });
        expect(await rotateAt('parent', 20, 'c2', grace)).toStrictEqual({
          ok: true,
          user: alice,
          sessionId: 's1',
          replay: { jti: 'c1', userId: alice.id, issuedAt: at(10), expiresAt: at(3610) },
        });
        // Nothing new was recorded and the session goes on.
        expect(await store.isRefreshTokenRevoked('c2')).toBeUndefined();
        expect(await store.isRefreshTokenRevoked('c1')).toBe(false);
        expect(await store.isSessionActive('s1')).toBe(true);
        // Past the grace period it is reuse: the session ends.
        expect(await rotateAt('parent', 21, 'c3', grace)).toStrictEqual({
          ok: false,
          reason: 'reused',
          sessionId: 's1',
        });
        expect(await store.isSessionActive('s1')).toBe(false);
        expect(await store.isRefreshTokenRevoked('c1')).toBe(true);
        expect(await store.isRefreshTokenRevoked('c3')).toBeUndefined();
      });

      test('no replay once the successor has been used, or for an inactive user', async () => {
        const grace = policy({ graceSeconds: 60 });
        expect((await rotateAt('parent', 10, 'c1', grace)).ok).toBe(true);
        expect((await rotateAt('c1', 11, 'c2', grace)).ok).toBe(true);
        expect(await rotateAt('parent', 12, 'c3', grace)).toStrictEqual({
          ok: false,
          reason: 'reused',
          sessionId: 's1',
        });
        expect(await store.isSessionActive('s1')).toBe(false);

        await issue('other', alice.id, 's2');
        expect((await rotateAt('other', 10, 'o1', grace)).ok).toBe(true);
        await store.updateUser(alice.id, { isActive: false }, at(11));
        expect(await rotateAt('other', 12, 'o2', grace)).toStrictEqual({
          ok: false,
          reason: 'user_inactive',
        });
        expect(await store.isSessionActive('s2')).toBe(true);
      });

      test.each([true, false])(
        'a session past its absolute lifetime is expired, and the token is left as it was (revoke: %s)',
        async (revoke) => {
          const limited = policy({ absoluteLifetime: 100 });
          expect((await rotateAt('parent', 50, 'c1', limited, revoke)).ok).toBe(true);
          const token = revoke ? 'c1' : 'parent';
          expect(await rotateAt(token, 100, 'c2', limited, revoke)).toStrictEqual({
            ok: false,
            reason: 'session_expired',
          });
          expect(await store.isRefreshTokenRevoked(token)).toBe(false);
          expect(await store.isRefreshTokenRevoked('c2')).toBeUndefined();
          expect(await store.listSessions(alice.id, at(100))).toStrictEqual([
            expect.objectContaining({ id: 's1', lastUsedAt: at(50), revokedAt: null }),
          ]);
        },
      );

      test('a session unused for its idle timeout is expired; each rotation restarts the timeout', async () => {
        const idle = policy({ idleTimeout: 60 });
        expect((await rotateAt('parent', 59, 'c1', idle)).ok).toBe(true);
        expect((await rotateAt('c1', 118, 'c2', idle)).ok).toBe(true);
        expect(await rotateAt('c2', 178, 'c3', idle)).toStrictEqual({ ok: false, reason: 'session_expired' });
        expect(await store.isRefreshTokenRevoked('c2')).toBe(false);
        expect(await store.isRefreshTokenRevoked('c3')).toBeUndefined();
      });
    });

    describe('hasSessionFrom', () => {
      test('a session of the user from the IP created after `since`, open or ended', async () => {
        const alice = await create('alice');
        const bob = await create('bob');
        await store.startSession(
          { id: 's1', userId: alice.id, userAgent: 'ua', ip: '203.0.113.7', methods: ['pwd'], authTime: T0 },
          { jti: 't1', userId: alice.id, issuedAt: at(10), expiresAt: at(3610) },
        );
        expect(await store.hasSessionFrom(alice.id, '203.0.113.7', at(9))).toBe(true);
        expect(await store.hasSessionFrom(alice.id, '203.0.113.7', at(10))).toBe(false);
        expect(await store.hasSessionFrom(alice.id, '203.0.113.8', at(0))).toBe(false);
        expect(await store.hasSessionFrom(bob.id, '203.0.113.7', at(0))).toBe(false);
        await store.revokeSession('s1', alice.id, 'user', at(20));
        expect(await store.hasSessionFrom(alice.id, '203.0.113.7', at(0))).toBe(true);
      });
    });

    describe('login failures and rate limits', () => {
      /** Records a failure of `key` at `seconds`; returns the failure count the store reached. */
      async function fail(key: string, seconds: number, block = (_failures: number) => 0, resetAfter = 3600) {
        let counted = 0;
        await store.recordLoginFailure(key, at(seconds), resetAfter, (failures) => {
          counted = failures;
          return block(failures);
        });
        return counted;
      }
      const blocks = async (keys: string[], seconds: number) =>
        Object.fromEntries(await store.loginBlocks(keys, at(seconds)));

      test('failures are counted per key and block for the delay they reach', async () => {
        const delay = (failures: number) => (failures >= 3 ? 60 : 0);
        expect(await fail('account:alice', 0, delay)).toBe(1);
        expect(await fail('account:alice', 1, delay)).toBe(2);
        expect(await fail('ip:203.0.113.7', 1, delay)).toBe(1);
        expect(await blocks(['account:alice', 'ip:203.0.113.7'], 1)).toEqual({});
        expect(await fail('account:alice', 2, delay)).toBe(3);
        expect(await blocks(['account:alice', 'ip:203.0.113.7', 'account:nobody'], 2)).toEqual({
          'account:alice': at(62),
        });
        expect(await blocks(['account:alice'], 61)).toEqual({ 'account:alice': at(62) });
        expect(await blocks(['account:alice'], 62)).toEqual({});
        expect(await blocks([], 2)).toEqual({});
      });

      test('a block is never shortened by a later failure', async () => {
        expect(await fail('k', 0, () => 600)).toBe(1);
        expect(await fail('k', 10, () => 5)).toBe(2);
        expect(await blocks(['k'], 10)).toEqual({ k: at(600) });
        expect(await fail('k', 20, () => 1000)).toBe(3);
        expect(await blocks(['k'], 20)).toEqual({ k: at(1020) });
      });

      test('failures older than resetAfter are forgotten; clearLoginFailures forgets at once', async () => {
        expect(await fail('k', 0, undefined, 60)).toBe(1);
        expect(await fail('k', 59, undefined, 60)).toBe(2);
        expect(await fail('k', 119, undefined, 60)).toBe(1);
        expect(await fail('k', 120, () => 30, 60)).toBe(2);
        expect(await blocks(['k'], 120)).toEqual({ k: at(150) });
        await store.clearLoginFailures('k');
        await store.clearLoginFailures('never-failed');
        expect(await blocks(['k'], 120)).toEqual({});
        expect(await fail('k', 121)).toBe(1);
      });

      test('30 concurrent failures of one key are all counted', async () => {
        const counts = await Promise.all(Array.from({ length: 30 }, () => fail('k', 5)));
        expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
        expect(await fail('k', 6)).toBe(31);
      });

      test('hitRateLimit allows `limit` hits per fixed window, then says when it reopens', async () => {
        const hit = (key: string, seconds: number) => store.hitRateLimit(key, 3, 60, at(seconds));
        expect(await hit('ip:a', 0)).toEqual({ allowed: true });
        expect(await hit('ip:a', 1)).toEqual({ allowed: true });
        expect(await hit('ip:b', 1)).toEqual({ allowed: true });
        expect(await hit('ip:a', 2)).toEqual({ allowed: true });
        expect(await hit('ip:a', 3)).toEqual({ allowed: false, retryAfter: 57 });
        expect(await hit('ip:a', 59.5)).toEqual({ allowed: false, retryAfter: 1 });
        // The window opened at 0 has closed: a new one opens with this hit.
        expect(await hit('ip:a', 60)).toEqual({ allowed: true });
        expect(await hit('ip:a', 61)).toEqual({ allowed: true });
        expect(await hit('ip:a', 62)).toEqual({ allowed: true });
        expect(await hit('ip:a', 63)).toEqual({ allowed: false, retryAfter: 57 });
        expect(await hit('ip:b', 63)).toEqual({ allowed: true });
      });

      test('of 30 concurrent hits with a limit of 10, exactly 10 are allowed', async () => {
        const results = await Promise.all(
          Array.from({ length: 30 }, () => store.hitRateLimit('ip:a', 10, 60, at(1))),
        );
        expect(results.filter((r) => r.allowed)).toHaveLength(10);
        expect(results.filter((r) => !r.allowed)).toEqual(
          Array.from({ length: 20 }, () => ({ allowed: false, retryAfter: 60 })),
        );
      });

      test('deleteStaleLimits forgets what was not touched since, but keeps a block still running', async () => {
        await fail('stale', 0);
        await fail('blocked', 0, () => 1000);
        await fail('recent', 200);
        await store.hitRateLimit('old-window', 1, 60, at(0));
        await store.hitRateLimit('new-window', 1, 60, at(200));

        await store.deleteStaleLimits(at(100));

        expect(await fail('stale', 300, undefined, 86400)).toBe(1);
        expect(await fail('blocked', 300, undefined, 86400)).toBe(2);
        expect(await fail('recent', 300, undefined, 86400)).toBe(2);
        expect(await store.hitRateLimit('old-window', 1, 3600, at(201))).toEqual({ allowed: true });
        expect(await store.hitRateLimit('new-window', 1, 3600, at(201))).toEqual({
          allowed: false,
          retryAfter: 3599,
        });
      });
    });

    describe('audit', () => {
      const entry = (overrides: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
        at: T0,
        actorId: null,
        actor: '',
        action: 'test',
        targetId: null,
        target: '',
        detail: {},
        ip: '',
        ...overrides,
      });

      test('an empty log', async () => {
        expect(await store.listAudit(0, 10)).toStrictEqual({ count: 0, items: [] });
      });

      describe('written in the transaction of the change it records', () => {
        // An entry naming an actor that does not exist breaks a foreign key: the write that comes last in
        // the transaction fails, and nothing before it may stay.
        const broken = (action: string) => entry({ action, actorId: 999_999 });
        const opened = async (userId: number, ...ids: string[]) => {
          for (const id of ids) await issue(`t-${id}`, userId, id);
        };

        test('changePassword: the hash, the other sessions and the entry together', async () => {
          const alice = await create('alice');
          await opened(alice.id, 'keep', 'other1', 'other2');
          const audit = entry({
            action: 'password.change',
            actorId: alice.id,
            targetId: alice.id,
            target: 'alice',
          });
          expect(
            await store.changePassword({
              userId: alice.id,
              passwordHash: 'new-hash',
              now: at(5),
              keepSession: 'keep',
              audit,
            }),
          ).toBe(2);
          expect(await store.findPasswordHash(alice.id)).toBe('new-hash');
          expect((await store.listSessions(alice.id, at(6))).map((session) => session.id)).toEqual(['keep']);
          const [written] = (await store.listAudit(0, 10)).items;
          expect(written).toMatchObject({ action: 'password.change', detail: { sessions_ended: 2 } });

          await expect(
            store.changePassword({
              userId: alice.id,
              passwordHash: 'lost',
              now: at(7),
              audit: broken('password.change'),
            }),
          ).rejects.toThrow();
          expect(await store.findPasswordHash(alice.id)).toBe('new-hash');
          expect(await store.isSessionActive('keep')).toBe(true);
          expect((await store.listAudit(0, 10)).count).toBe(1);
        });

        test('updateUser with effects: deactivation ends the sessions, with its entries', async () => {
          const bob = await create('bob');
          await opened(bob.id, 'b1', 'b2');
          await expect(
            store.updateUser(bob.id, { isActive: false }, at(5), {
              endSessions: 'deactivated',
              audit: () => [broken('user.deactivate')],
            }),
          ).rejects.toThrow();
          expect((await store.findUserById(bob.id))?.isActive).toBe(true);
          expect(await store.isSessionActive('b1')).toBe(true);

          const updated = await store.updateUser(bob.id, { isActive: false, isStaff: true }, at(6), {
            endSessions: 'deactivated',
            audit: (ended) => [
              entry({ action: 'user.deactivate', targetId: bob.id, detail: { sessions_ended: ended } }),
              entry({ action: 'user.grant_staff', targetId: bob.id }),
            ],
          });
          expect(updated).toMatchObject({ isActive: false, isStaff: true });
          expect(await store.isSessionActive('b1')).toBe(false);
          expect(await store.isSessionActive('b2')).toBe(false);
          expect((await store.listAudit(0, 10)).items.map((item) => [item.action, item.detail])).toEqual([
            ['user.grant_staff', {}],
            ['user.deactivate', { sessions_ended: 2 }],
          ]);
          // No such user: nothing written.
          expect(
            await store.updateUser(999_999, { isActive: false }, at(7), { audit: () => [entry()] }),
          ).toBeUndefined();
          expect((await store.listAudit(0, 10)).count).toBe(2);
        });

        test('deleteUser with its entry: both or neither; the entry keeps the names', async () => {
          const carol = await create('carol');
          await expect(store.deleteUser(carol.id, broken('user.delete'))).rejects.toThrow();
          expect(await store.findUserById(carol.id)).toBeDefined();
          expect(
            await store.deleteUser(
              carol.id,
              entry({ action: 'user.delete', targetId: carol.id, target: 'carol' }),
            ),
          ).toBe(true);
          expect(await store.findUserById(carol.id)).toBeUndefined();
          expect((await store.listAudit(0, 10)).items).toMatchObject([
            { action: 'user.delete', targetId: null, target: 'carol' },
          ]);
          // Already gone: false, and no entry.
          expect(await store.deleteUser(carol.id, entry({ action: 'user.delete' }))).toBe(false);
          expect((await store.listAudit(0, 10)).count).toBe(1);
        });

        test('revokeUserSessions and revokeSession with their entries', async () => {
          const dan = await create('dan');
          await opened(dan.id, 'd1', 'd2', 'd3');
          await expect(
            store.revokeUserSessions(
              dan.id,
              'logout_everywhere',
              at(5),
              undefined,
              broken('sessions.logout_everywhere'),
            ),
          ).rejects.toThrow();
          expect(await store.isSessionActive('d1')).toBe(true);
          await expect(
            store.revokeSession('d1', dan.id, 'revoked_by_admin', at(5), broken('session.revoke')),
          ).rejects.toThrow();
          expect(await store.isSessionActive('d1')).toBe(true);

          expect(
            await store.revokeSession(
              'd1',
              dan.id,
              'revoked_by_admin',
              at(6),
              entry({ action: 'session.revoke' }),
            ),
          ).toBe(true);
          // Nothing ended: no entry.
          expect(
            await store.revokeSession(
              'd1',
              dan.id,
              'revoked_by_admin',
              at(7),
              entry({ action: 'session.revoke' }),
            ),
          ).toBe(false);
          expect(
            await store.revokeUserSessions(
              dan.id,
              'logout_everywhere',
              at(8),
              'd3',
              entry({ action: 'sessions.logout_everywhere' }),
            ),
          ).toBe(1);
          expect((await store.listAudit(0, 10)).items.map((item) => [item.action, item.detail])).toEqual([
            ['sessions.logout_everywhere', { sessions_ended: 1 }],
            ['session.revoke', {}],
          ]);
        });

        test('a reused refresh token ends its session and is recorded, in the rotation', async () => {
          const erin = await create('erin');
          await issue('e1', erin.id, 'es');
          const rotate = (now: Date, child: string) =>
            store.rotateRefreshToken({
              jti: 'e1',
              userId: erin.id,
              now,
              child: { jti: child, userId: erin.id, issuedAt: now, expiresAt: at(3600) },
              revoke: true,
            });
          expect((await rotate(at(1), 'e2')).ok).toBe(true);
          expect(await rotate(at(100), 'e3')).toEqual({ ok: false, reason: 'reused', sessionId: 'es' });
          expect((await store.listAudit(0, 10, erin.id)).items).toMatchObject([
            {
              action: 'session.refresh_token_reused',
              targetId: erin.id,
              target: 'erin',
              detail: { session: 'es' },
            },
          ]);
        });
      });

      test('recordAudit, then listAudit lists newest first with the total count', async () => {
        const alice = await create('alice');
        const bob = await create('bob');
        const first = entry({
          at: at(1),
          actorId: alice.id,
          actor: 'alice',
          action: 'user.update',
          targetId: bob.id,
          target: 'bob',
          detail: { fields: ['isStaff'], nested: { before: false, after: true }, n: 2, none: null },
          ip: '203.0.113.7',
        });
        const second = entry({
          at: at(2),
          actor: 'system',
          action: 'secret.create',
          detail: { name: 'key' },
        });
        const third = entry({ at: at(3), actorId: bob.id, actor: 'bob', action: 'login', ip: '::1' });
        for (const e of [first, second, third]) await store.recordAudit(e);

        const all = await store.listAudit(0, 10);
        expect(all).toStrictEqual({
          count: 3,
          items: [
            { id: expect.any(Number), ...third },
            { id: expect.any(Number), ...second },
            { id: expect.any(Number), ...first },
          ],
        });
        const [i3, i2, i1] = all.items.map((e) => e.id);
        expect(new Set([i1, i2, i3]).size).toBe(3);

        expect(await store.listAudit(1, 1)).toStrictEqual({ count: 3, items: [all.items[1]] });
        expect(await store.listAudit(0, 2)).toStrictEqual({ count: 3, items: [all.items[0], all.items[1]] });
        expect(await store.listAudit(2, 5)).toStrictEqual({ count: 3, items: [all.items[2]] });
        expect(await store.listAudit(3, 5)).toStrictEqual({ count: 3, items: [] });
      });

      test('deleting a user keeps its entries, with the ids cleared and the names kept', async () => {
        const alice = await create('alice');
        const bob = await create('bob');
        const carol = await create('carol');
        const record = entry({
          at: at(1),
          actorId: alice.id,
          actor: 'alice',
          action: 'user.update',
          targetId: bob.id,
          target: 'bob',
          detail: { field: 'name' },
          ip: '198.51.100.1',
        });
        const other = entry({
          at: at(2),
          actorId: carol.id,
          actor: 'carol',
          action: 'login',
          targetId: carol.id,
          target: 'carol',
        });
        await store.recordAudit(record);
        await store.recordAudit(other);

        expect(await store.deleteUser(alice.id)).toBe(true);
        expect(await store.listAudit(0, 10)).toStrictEqual({
          count: 2,
          items: [
            { id: expect.any(Number), ...other },
            { id: expect.any(Number), ...record, actorId: null },
          ],
        });

        expect(await store.deleteUser(bob.id)).toBe(true);
        expect(await store.listAudit(0, 10)).toStrictEqual({
          count: 2,
          items: [
            { id: expect.any(Number), ...other },
            { id: expect.any(Number), ...record, actorId: null, targetId: null },
          ],
        });
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

    describe('signing keys', () => {
      const key = (kid: string, overrides: Partial<NewSigningKey> = {}): NewSigningKey => ({
        kid,
        algorithm: 'EdDSA',
        publicJwk: { kty: 'OKP', crv: 'Ed25519', x: `x-of-${kid}` },
        privateKey: `sealed-${kid}`,
        createdAt: T0,
        ...overrides,
      });

      test('added keys are listed newest first, as they were stored', async () => {
        expect(await store.listSigningKeys()).toEqual([]);
        expect(await store.addSigningKey(key('k1'))).toBe(true);
        await store.addSigningKey(key('k2', { algorithm: 'HMAC', publicJwk: null, createdAt: at(5) }));
        expect(await store.listSigningKeys()).toStrictEqual([
          {
            kid: 'k2',
            algorithm: 'HMAC',
            publicJwk: null,
            privateKey: 'sealed-k2',
            status: 'active',
            createdAt: at(5),
            retiredAt: null,
          },
          { ...key('k1'), status: 'active', retiredAt: null },
        ]);
        await expect(store.addSigningKey(key('k1', { privateKey: 'other' }))).rejects.toThrow();
      });

      test('onlyIfNoneActive adds a key only while its algorithm has no active one', async () => {
        expect(await store.addSigningKey(key('k1'), { onlyIfNoneActive: true })).toBe(true);
        expect(await store.addSigningKey(key('k2'), { onlyIfNoneActive: true })).toBe(false);
        expect(await store.addSigningKey(key('h1', { algorithm: 'HMAC' }), { onlyIfNoneActive: true })).toBe(
          true,
        );
        expect((await store.listSigningKeys()).map((k) => k.kid)).toEqual(['h1', 'k1']);
      });

      test('concurrent first starts add exactly one key', async () => {
        const added = await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.addSigningKey(key(`k${i}`), { onlyIfNoneActive: true })),
        );
        expect(added.filter(Boolean)).toHaveLength(1);
        expect(await store.listSigningKeys()).toHaveLength(1);
      });

      test('retiring: never the newest active key of the protected algorithm', async () => {
        await store.addSigningKey(key('old'));
        await store.addSigningKey(key('new'));
        await store.addSigningKey(key('hmac', { algorithm: 'HMAC' }));
        expect(await store.retireSigningKey('new', 'EdDSA', at(10))).toBe('newest');
        expect(await store.retireSigningKey('old', 'EdDSA', at(10))).toBe('retired');
        expect(await store.retireSigningKey('old', 'EdDSA', at(11))).toBe('already_retired');
        expect(await store.retireSigningKey('nope', 'EdDSA', at(11))).toBe('unknown');
        // Keys of another algorithm do not sign: any of them can go.
        expect(await store.retireSigningKey('hmac', 'EdDSA', at(12))).toBe('retired');
        // Now the only active EdDSA key.
        expect(await store.retireSigningKey('new', 'EdDSA', at(13))).toBe('newest');
        const listed = await store.listSigningKeys();
        expect(listed.map((k) => [k.kid, k.status, k.retiredAt])).toEqual([
          ['hmac', 'retired', at(12)],
          ['new', 'active', null],
          ['old', 'retired', at(10)],
        ]);
      });

      test('concurrent retirements of the two oldest of three keys: both go, the newest stays', async () => {
        for (const kid of ['a', 'b', 'c']) await store.addSigningKey(key(kid));
        const outcomes = await Promise.all(
          ['a', 'b', 'c'].map((kid) => store.retireSigningKey(kid, 'EdDSA', T0)),
        );
        expect(outcomes).toEqual(['retired', 'retired', 'newest']);
      });

      test('replaceSigningKeySecret is a compare-and-set', async () => {
        await store.addSigningKey(key('k1'));
        expect(await store.replaceSigningKeySecret('k1', 'stale', 'x')).toBe(false);
        expect(await store.replaceSigningKeySecret('k1', 'sealed-k1', 'resealed')).toBe(true);
        expect(await store.replaceSigningKeySecret('k1', 'sealed-k1', 'again')).toBe(false);
        expect((await store.listSigningKeys())[0]?.privateKey).toBe('resealed');
      });
    });
  });
}

/** A store and a way to read its tables directly, for what the Store interface does not expose. */
interface RawDatabase {
  store: Store;
  rows(query: string): Promise<unknown[]>;
  close(): Promise<void>;
}

describeStoreContract('SQLite (in memory)', async () => openStore({ kind: 'sqlite', path: ':memory:' }));
describeRawRows('SQLite (a file)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-store-'));
  const file = path.join(dir, 'nested', 'db.sqlite3');
  const store = openStore({ kind: 'sqlite', path: file });
  return {
    store,
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
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

/**
 * PostgreSQL (testing/postgres.ts says where): every store a schema of its own, in a database of this
 * file's own, dropped when the store is closed. Unreachable, the PostgreSQL tests are skipped, saying so;
 * on CI (CI=true) they fail instead.
 */
const postgres = await usePostgres('the PostgreSQL store tests');
if (postgres) {
  const open = openPostgres(postgres);
  describeStoreContract('PostgreSQL', async () => (await open()).store);
  describeRawRows('PostgreSQL', () => open());
  describePostgresOnly(open);
} else {
  const unreachable = () => Promise.reject(new Error('PostgreSQL is not reachable'));
  describeStoreContract('PostgreSQL (not reachable: skipped)', unreachable, true);
  describeRawRows('PostgreSQL (not reachable: skipped)', unreachable, true);
  describePostgresOnly(unreachable, true);
}

interface PostgresTestDatabase extends RawDatabase {
  /** The store's URL: its schema and application_name in the query. */
  url: string;
  /** Ends the store's connections from the server side, as a restart or a failover would. */
  terminateConnections(): Promise<number>;
  /** The store's connections to the server now. */
  connections(): Promise<number>;
}
type OpenPostgres = (poolSize?: number) => Promise<PostgresTestDatabase>;

function openPostgres(postgres: TestPostgres): OpenPostgres {
  // The schema's name is also its connections' application_name, which finds them in pg_stat_activity.
  const countOf = async (query: string, name: string) =>
    (await postgres.query<{ n: number }>(query, [name]))[0]?.n ?? 0;
  return async (poolSize = 10) => {
    const schema = await postgres.createSchema();
    const store = openStore({ kind: 'postgres', url: schema.url, poolSize });
    const close = async () => {
      await store.close();
      await schema.drop();
    };
    return {
      store: { ...store, close },
      async rows(query) {
        const client = new Client({ connectionString: schema.url });
        await client.connect();
        try {
          return (await client.query(query)).rows;
        } finally {
          await client.end();
        }
      },
      close,
      url: schema.url,
      terminateConnections: () =>
        countOf(
          'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = $1',
          schema.name,
        ),
      connections: () =>
        countOf('select count(*)::int as n from pg_stat_activity where application_name = $1', schema.name),
    };
  };
}

/** What only PostgreSQL has: a server of its own, connection pools, other schemas in the database. */
function describePostgresOnly(open: OpenPostgres, skip = false) {
  describe.skipIf(skip)('PostgreSQL store: connections and schemas', () => {
    const opened: PostgresTestDatabase[] = [];
    const openOne = async (poolSize?: number) => {
      const db = await open(poolSize);
      opened.push(db);
      return db;
    };
    afterEach(async () => {
      for (const db of opened.splice(0)) await db.close();
    });

    test('connections ended by the server neither crash the process nor break the store', async () => {
      const db = await openOne();
      const { store } = db;
      await store.migrate();
      // Several idle connections in the pool.
      await Promise.all(Array.from({ length: 5 }, () => store.listUsers()));
      expect(await db.terminateConnections()).toBeGreaterThan(0);
      // The pool hears of it on the idle connections ('error' events) and drops them.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const created = await store.createUser(newUser('alice'), T0);
      expect(created.ok).toBe(true);
      expect(await store.listUsers()).toHaveLength(1);
    });

    test('the pool opens at most poolSize connections', async () => {
      const db = await openOne(3);
      const { store } = db;
      await store.migrate();
      await Promise.all(Array.from({ length: 30 }, (_, i) => store.createUser(newUser(`u${i}`), T0)));
      expect(await store.queryUsers({ offset: 0, limit: 1 })).toMatchObject({ count: 30 });
      const connections = await db.connections();
      expect(connections).toBeGreaterThan(0);
      expect(connections).toBeLessThanOrEqual(3);
    });

    test("another schema's Kysely tables do not confuse the migrations of this one", async () => {
      const first = await openOne();
      const second = await openOne();
      expect(await first.store.migrate()).toEqual(MIGRATIONS);
      expect(await second.store.migrate()).toEqual(MIGRATIONS);
      expect(await second.store.migrate()).toEqual([]);
      expect((await second.store.createUser(newUser('alice'), T0)).ok).toBe(true);
      expect(await first.store.listUsers()).toEqual([]);
    });

    test('inspectPostgres sees the tables and the names of the secrets, and changes nothing', async () => {
      const db = await openOne();
      const url = db.url;
      expect(await inspectPostgres(url)).toEqual({ tables: new Set(), secrets: new Set() });
      await db.store.migrate();
      const inspected = await inspectPostgres(url);
      expect(inspected.tables).toEqual(
        new Set([
          'users',
          'sessions',
          'refresh_tokens',
          'audit_log',
          'login_failures',
          'rate_limits',
          'secrets',
          'signing_keys',
          'one_time_tokens',
          'kysely_migration',
          'kysely_migration_lock',
        ]),
      );
      expect(inspected.secrets).toEqual(new Set());
      await db.store.getOrCreateSecret('jwt_signing_key', () => 'value', T0);
      expect((await inspectPostgres(url)).secrets).toEqual(new Set(['jwt_signing_key']));
      expect(await db.rows('select name, value from secrets')).toEqual([
        { name: 'jwt_signing_key', value: 'value' },
      ]);
      await expect(inspectPostgres('postgres://postgres@127.0.0.1:1/test')).rejects.toThrow();
    });

    test('ids are numbers and counts are exact past 2^31 audit entries', async () => {
      const db = await openOne();
      const { store } = db;
      await store.migrate();
      await db.rows('alter table audit_log alter column id restart with 3000000000');
      const entry = {
        at: T0,
        actorId: null,
        actor: '',
        action: 'test',
        targetId: null,
        target: '',
        detail: {},
        ip: '',
      };
      await store.recordAudit(entry);
      await store.recordAudit(entry);
      expect(await store.listAudit(0, 10)).toStrictEqual({
        count: 2,
        items: [
          { id: 3000000001, ...entry },
          { id: 3000000000, ...entry },
        ],
      });
    });
  });
}

/** What the Store interface does not expose, checked in the database itself. */
function describeRawRows(name: string, open: () => Promise<RawDatabase>, skip = false) {
  describe.skipIf(skip)(`Store rows: ${name}`, () => {
    let raw: RawDatabase;
    let store: Store;
    beforeEach(async () => {
      raw = await open();
      store = raw.store;
    });
    afterEach(async () => {
      await raw.close();
    });

    test('migrate applies the initial migration by name', async () => {
      expect(await store.migrate()).toEqual(MIGRATIONS);
      expect(await store.migrate()).toEqual([]);
    });

    test('rotation records the child in the parent family and links them', async () => {
      await store.migrate();
      const created = await store.createUser(newUser('alice'), T0);
      if (!created.ok) throw new Error('createUser failed');
      const userId = created.user.id;
      await store.startSession(
        { id: 'fam-1', userId, userAgent: '', ip: '', methods: ['pwd'], authTime: T0 },
        { jti: 'parent', userId, issuedAt: T0, expiresAt: at(3600) },
      );
      const result = await store.rotateRefreshToken({
        jti: 'parent',
        userId,
        now: at(10),
        child: { jti: 'child', userId, issuedAt: at(10), expiresAt: at(3610) },
        revoke: true,
      });
      expect(result.ok).toBe(true);

      const rows = await raw.rows(
        'select jti, user_id, family_id, issued_at, expires_at, revoked_at, replaced_by from refresh_tokens order by jti',
      );
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
      expect(await raw.rows(`select password_hash from users where id = ${userId}`)).toEqual([
        { password_hash: 'hash-of-alice' },
      ]);
    });

    test('timestamps are ISO-8601 text and booleans 0/1 integers in the database', async () => {
      await store.migrate();
      const created = await store.createUser(newUser('alice', { isStaff: true }), T0);
      if (!created.ok) throw new Error('createUser failed');
      await store.recordLogin(created.user.id, at(5));
      expect(
        await raw.rows(
          'select id, is_active, is_staff, is_superuser, last_login, created, updated from users',
        ),
      ).toEqual([
        {
          id: created.user.id,
          is_active: 1,
          is_staff: 1,
          is_superuser: 0,
          last_login: at(5).toISOString(),
          created: T0.toISOString(),
          updated: T0.toISOString(),
        },
      ]);
    });

    test('ending sessions records when and why; a rotation refused for an ended session leaves the token row as it was', async () => {
      await store.migrate();
      const created = await store.createUser(newUser('alice'), T0);
      if (!created.ok) throw new Error('createUser failed');
      const userId = created.user.id;
      for (const [id, jti] of [
        ['by-user', 'u1'],
        ['by-logout', 'l1'],
        ['kept', 'k1'],
        ['by-all', 'a1'],
      ] as const) {
        await store.startSession(
          { id, userId, userAgent: '', ip: '', methods: ['pwd'], authTime: T0 },
          { jti, userId, issuedAt: T0, expiresAt: at(3600) },
        );
      }
      expect(await store.revokeSession('by-user', userId, 'user', at(1))).toBe(true);
      expect(await store.revokeRefreshToken('l1', userId, at(2))).toBe('revoked');
      expect(await store.revokeUserSessions(userId, 'password_change', at(3), 'kept')).toBe(1);
      for (const revoke of [true, false]) {
        const result = await store.rotateRefreshToken({
          jti: 'u1',
          userId,
          now: at(10),
          child: { jti: `child-${revoke}`, userId, issuedAt: at(10), expiresAt: at(3610) },
          revoke,
        });
        expect(result).toEqual({ ok: false, reason: 'revoked' });
      }

      expect(
        await raw.rows(
          'select id, last_used_at, expires_at, revoked_at, revoke_reason from sessions order by id',
        ),
      ).toEqual([
        {
          id: 'by-all',
          last_used_at: T0.toISOString(),
          expires_at: at(3600).toISOString(),
          revoked_at: at(3).toISOString(),
          revoke_reason: 'password_change',
        },
        {
          id: 'by-logout',
          last_used_at: T0.toISOString(),
          expires_at: at(3600).toISOString(),
          revoked_at: at(2).toISOString(),
          revoke_reason: 'logout',
        },
        {
          id: 'by-user',
          last_used_at: T0.toISOString(),
          expires_at: at(3600).toISOString(),
          revoked_at: at(1).toISOString(),
          revoke_reason: 'user',
        },
        {
          id: 'kept',
          last_used_at: T0.toISOString(),
          expires_at: at(3600).toISOString(),
          revoked_at: null,
          revoke_reason: null,
        },
      ]);
      expect(
        await raw.rows('select jti, family_id, revoked_at, replaced_by from refresh_tokens order by jti'),
      ).toEqual([
        { jti: 'a1', family_id: 'by-all', revoked_at: null, replaced_by: null },
        { jti: 'k1', family_id: 'kept', revoked_at: null, replaced_by: null },
        { jti: 'l1', family_id: 'by-logout', revoked_at: at(2).toISOString(), replaced_by: null },
        { jti: 'u1', family_id: 'by-user', revoked_at: null, replaced_by: null },
      ]);
    });
  });
}
