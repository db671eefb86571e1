import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Page } from '../page.js';
import type { Store } from '../store.js';
import type { User } from '../users/store.js';
import {
  T0,
  at,
  UUID,
  USER_KEYS,
  newUser,
  describeOnEveryDatabase,
  useContractStore,
  type OpenTestStore,
  type TestStore,
} from '../../testing/store-contract.js';

/**
 * The behaviour every UserStore implementation shares. Each test gets a fresh, migrated store; it runs
 * against SQLite and PostgreSQL (see the end of this file).
 */
function describeUserStore(name: string, open: OpenTestStore, skip = false) {
  describe.skipIf(skip)(`UserStore contract: ${name}`, () => {
    const contract = useContractStore(open);
    const { create, issue, rotate } = contract;
    let store: Store;
    beforeEach(() => {
      store = contract.store;
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
          emailVerified: false,
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
        expect(await store.findUserByPublicId(user.publicId)).toStrictEqual(user);
        expect(
          (await store.findLoginCandidate({ usernameKey: 'alice', email: 'nobody@example.com' }))?.user,
        ).toStrictEqual(user);
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
        expect(await store.findPasswordHash(999_999)).toBeUndefined();
        expect(await store.findAccessSubject(999_999, 'any-session')).toBeUndefined();
        expect(
          await store.findLoginCandidate({ usernameKey: 'nobody', email: 'nobody@other.example' }),
        ).toBeUndefined();
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

      test("usernames and emails are one namespace: a new account cannot take another one's identifier", async () => {
        await create('eve@example.com', { email: null });
        expect(await store.createUser(newUser('bob', { email: 'eve@example.com' }), T0)).toEqual({
          ok: false,
          conflicts: ['email'],
        });
        await create('carol', { email: 'mallory@example.com' });
        expect(await store.createUser(newUser('mallory@example.com', { email: null }), T0)).toEqual({
          ok: false,
          conflicts: ['username'],
        });
        // An account whose username is its own address is one identifier, found once.
        const own = await create('dan@example.com', { email: 'dan@example.com' });
        const found = await store.findLoginCandidate({
          usernameKey: 'dan@example.com',
          email: 'dan@example.com',
        });
        expect(found?.user.id).toBe(own.id);
      });

      test('updateUser changes only the given fields and stamps updated', async () => {
        const alice = await create('alice', { firstName: 'Alice', lastName: 'Liddell' });
        const updated = await store.updateUser(alice.id, { lastName: 'Smith', isStaff: true }, at(60));
        expect(updated).toStrictEqual({ ...alice, lastName: 'Smith', isStaff: true, updated: at(60) });
        expect(await store.findUserByPublicId(alice.publicId)).toStrictEqual(updated);

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
        expect(await store.findUserByPublicId(alice.publicId)).toStrictEqual({ ...alice, lastLogin: at(30) });
        await store.recordLogin(alice.id, at(90));
        expect((await store.findUserByPublicId(alice.publicId))?.lastLogin).toEqual(at(90));
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

      test('changePassword with verifiedEmail marks the address verified only if it is still the user’s', async () => {
        const alice = await create('alice', { email: 'alice@example.com' });
        const bob = await create('bob', { email: 'bob@example.com' });
        const carol = await create('carol', { email: 'carol@example.com' });
        const audit = (user: { id: number; username: string }) => ({
          at: at(1),
          actorId: user.id,
          actor: user.username,
          action: 'password.reset',
          targetId: user.id,
          target: user.username,
          detail: {},
          ip: '',
        });
        const change = (user: { id: number; username: string }, verifiedEmail?: string) =>
          store.changePassword({
            userId: user.id,
            passwordHash: 'h2',
            now: at(1),
            audit: audit(user),
            ...(verifiedEmail !== undefined && { verifiedEmail }),
          });
        await change(alice, 'alice@example.com');
        await change(bob, 'old-bob@example.com');
        await change(carol);
        const verified = await Promise.all(
          [alice, bob, carol].map(async (user) => (await store.findUserById(user.id))?.emailVerified),
        );
        expect(verified).toEqual([true, false, false]);
        expect(await store.findPasswordHash(bob.id)).toBe('h2');
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
        expect(await store.findUserByPublicId(alice.publicId)).toBeUndefined();
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

        expect(await store.findUserByPublicId(bob.publicId)).toStrictEqual(bob);
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
          expect(await store.findUserByPublicId(user.publicId)).toBeUndefined();
          for (const jti of jtis) {
            expect(await store.isRefreshTokenRevoked(jti)).toBeUndefined();
            expect(await store.isRefreshTokenRevoked(`${jti}-child`)).toBeUndefined();
          }
        }
      });

      test('recordLogin with a throttle sets lastLogin when unset or older than the window, never updated', async () => {
        const alice = await create('alice');
        const lastLogin = async () => (await store.findUserByPublicId(alice.publicId))?.lastLogin;

        await store.recordLogin(alice.id, at(100), 60);
        expect(await store.findUserByPublicId(alice.publicId)).toStrictEqual({
          ...alice,
          lastLogin: at(100),
        });
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
        expect(await store.findUserByPublicId(alice.publicId)).toStrictEqual({
          ...alice,
          lastLogin: at(163),
        });
      });

      test('recordLogin does not touch other users', async () => {
        const alice = await create('alice');
        const bob = await create('bob');
        await store.recordLogin(alice.id, at(10), 60);
        expect(await store.findUserByPublicId(bob.publicId)).toStrictEqual(bob);
        await store.recordLogin(999_999, at(10), 60);
        expect(await store.findUserByPublicId(alice.publicId)).toStrictEqual({ ...alice, lastLogin: at(10) });
      });

      test('createUser and updateUser store the display name', async () => {
        const alice = await create('alice', { name: 'Alice' });
        expect(alice.name).toBe('Alice');
        const updated = await store.updateUser(alice.id, { name: 'Alice Liddell' }, at(60));
        expect(updated).toStrictEqual({ ...alice, name: 'Alice Liddell', updated: at(60) });
        expect(await store.findUserByPublicId(alice.publicId)).toStrictEqual(updated);
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
  });
}

/** What the UserStore interface does not expose, checked in the database itself. */
function describeUserStoreRows(name: string, open: OpenTestStore, skip = false) {
  describe.skipIf(skip)(`UserStore rows: ${name}`, () => {
    let raw: TestStore;
    let store: Store;
    beforeEach(async () => {
      raw = await open();
      store = raw.store;
    });
    afterEach(async () => {
      await raw.close();
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

    test('mail a change causes is queued in its transaction: with the new account, the new password, the update', async () => {
      await store.migrate();
      const created = await store.createUser(newUser('alice', { email: 'alice@example.com' }), T0, {
        mail: (user) => [{ kind: 'verify_email', to: user.email ?? '', userId: user.id, data: { n: 1 } }],
      });
      if (!created.ok) throw new Error('createUser failed');
      const userId = created.user.id;
      const audit = {
        at: at(1),
        actorId: userId,
        actor: 'alice',
        action: 'x',
        targetId: userId,
        target: 'alice',
        detail: {},
        ip: '',
      };
      await store.changePassword({
        userId,
        passwordHash: 'h2',
        now: at(1),
        audit,
        mail: [{ kind: 'password_changed', to: 'alice@example.com', userId }],
      });
      await store.updateUser(userId, { firstName: 'A' }, at(2), {
        mail: (user) => [
          { kind: 'notice', to: 'alice@example.com', userId: user.id, data: { name: user.firstName } },
        ],
      });
      // A conflicting account queues nothing.
      expect(
        (
          await store.createUser(newUser('alice'), at(3), {
            mail: () => [{ kind: 'verify_email', to: 'x@example.com', userId: null }],
          })
        ).ok,
      ).toBe(false);
      expect(
        await raw.rows(
          'select kind, recipient, user_id, data, status, attempts, created_at, next_attempt_at from mail_outbox order by created_at',
        ),
      ).toEqual([
        {
          kind: 'verify_email',
          recipient: 'alice@example.com',
          user_id: userId,
          data: '{"n":1}',
          status: 'queued',
          attempts: 0,
          created_at: T0.toISOString(),
          next_attempt_at: T0.toISOString(),
        },
        {
          kind: 'password_changed',
          recipient: 'alice@example.com',
          user_id: userId,
          data: '{}',
          status: 'queued',
          attempts: 0,
          created_at: at(1).toISOString(),
          next_attempt_at: at(1).toISOString(),
        },
        {
          kind: 'notice',
          recipient: 'alice@example.com',
          user_id: userId,
          data: '{"name":"A"}',
          status: 'queued',
          attempts: 0,
          created_at: at(2).toISOString(),
          next_attempt_at: at(2).toISOString(),
        },
      ]);
    });

    test('an account is verified at creation only when it has an address and is said to be', async () => {
      await store.migrate();
      const vouched = await store.createUser(
        newUser('alice', { email: 'alice@example.com', emailVerified: true }),
        T0,
      );
      const none = await store.createUser(newUser('bob', { email: null, emailVerified: true }), T0);
      const plain = await store.createUser(newUser('carol', { email: 'carol@example.com' }), T0);
      expect([vouched, none, plain].map((result) => result.ok && result.user.emailVerified)).toEqual([
        true,
        false,
        false,
      ]);
    });
  });
}

await describeOnEveryDatabase('UserStore', { contract: describeUserStore, rows: describeUserStoreRows });
