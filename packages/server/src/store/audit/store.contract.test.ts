import { testAuditEntry } from '../../testing/store-rows.js';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { NewAuditEntry } from '../audit/store.js';
import type { Store } from '../store.js';
import {
  T0,
  at,
  describeOnEveryDatabase,
  useContractStore,
  type OpenTestStore,
  type OpenPostgres,
  type PostgresTestStore,
} from '../../testing/store-contract.js';

/**
 * The behaviour every AuditStore implementation shares. Each test gets a fresh, migrated store; it runs
 * against SQLite and PostgreSQL (see the end of this file).
 */
function describeAuditStore(name: string, open: OpenTestStore, skip = false) {
  describe.skipIf(skip)(`AuditStore contract: ${name}`, () => {
    const contract = useContractStore(open);
    const { create, issue } = contract;
    let store: Store;
    beforeEach(() => {
      store = contract.store;
    });

    describe('audit', () => {
      const entry = (overrides: Partial<NewAuditEntry> = {}) => testAuditEntry(T0, overrides);

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
          expect((await store.findUserByPublicId(bob.publicId))?.isActive).toBe(true);
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
          expect(await store.findUserByPublicId(carol.publicId)).toBeDefined();
          expect(
            await store.deleteUser(
              carol.id,
              entry({ action: 'user.delete', targetId: carol.id, target: 'carol' }),
            ),
          ).toBe(true);
          expect(await store.findUserByPublicId(carol.publicId)).toBeUndefined();
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

      test('written entries, then listAudit lists newest first with the total count', async () => {
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
        for (const e of [first, second, third]) await contract.storeRows.insertAudit(e);

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
        await contract.storeRows.insertAudit(record);
        await contract.storeRows.insertAudit(other);

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
  });
}

/** What only PostgreSQL has: identity columns that go past 2^31. */
function describeAuditStoreOnPostgres(open: OpenPostgres, skip = false) {
  describe.skipIf(skip)('PostgreSQL audit store: ids', () => {
    const opened: PostgresTestStore[] = [];
    const openOne = async (poolSize?: number) => {
      const db = await open(poolSize);
      opened.push(db);
      return db;
    };
    afterEach(async () => {
      for (const db of opened.splice(0)) await db.close();
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
      await db.storeRows.insertAudit(entry);
      await db.storeRows.insertAudit(entry);
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

await describeOnEveryDatabase('AuditStore', {
  contract: describeAuditStore,
  postgresOnly: describeAuditStoreOnPostgres,
});
