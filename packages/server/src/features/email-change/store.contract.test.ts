import { beforeEach, describe, expect, test } from 'vitest';
import type { NewAuditEntry } from '../../store/audit/store.js';
import type { Store } from '../../store/store.js';
import type { User } from '../../store/users/store.js';
import {
  at,
  describeOnEveryDatabase,
  T0,
  useContractStore,
  type OpenTestStore,
} from '../../testing/store-contract.js';

const audit = (user: User, action: string): NewAuditEntry => ({
  at: at(1),
  actorId: user.id,
  actor: user.username,
  action,
  targetId: user.id,
  target: user.username,
  detail: {},
  ip: '192.0.2.1',
});

/** The email change's slice, on SQLite and PostgreSQL. */
function describeEmailChangeStore(name: string, open: OpenTestStore, skip = false) {
  describe.skipIf(skip)(`EmailChangeStore contract: ${name}`, () => {
    const contract = useContractStore(open);
    let store: Store;
    let alice: User;
    beforeEach(async () => {
      store = contract.store;
      alice = await contract.create('alice');
    });

    test('the address changes, proved, only while the account still has the old one', async () => {
      expect(await store.isEmailTaken('new@example.com')).toBe(false);
      const changed = await store.changeEmail({
        userId: alice.id,
        from: 'alice@example.com',
        to: 'new@example.com',
        now: at(1),
        audit: audit(alice, 'email.changed'),
      });
      expect(changed).toStrictEqual({
        ok: true,
        user: { ...alice, email: 'new@example.com', emailVerified: true, updated: at(1) },
        sessionsEnded: 0,
      });
      expect(await store.isEmailTaken('new@example.com')).toBe(true);
      expect(await store.isEmailTaken('alice@example.com')).toBe(false);
      // A second link for the same old address finds it gone.
      expect(
        await store.changeEmail({
          userId: alice.id,
          from: 'alice@example.com',
          to: 'other@example.com',
          now: at(2),
          audit: audit(alice, 'email.changed'),
        }),
      ).toStrictEqual({ ok: false, reason: 'stale' });
      expect(
        await store.changeEmail({
          userId: alice.id + 1000,
          from: null,
          to: 'other@example.com',
          now: at(2),
          audit: audit(alice, 'email.changed'),
        }),
      ).toStrictEqual({ ok: false, reason: 'stale' });
      expect((await store.listAudit(0, 10)).items.map((entry) => entry.action)).toEqual(['email.changed']);
    });

    test('an account without an address gets one', async () => {
      const bob = await contract.create('bob', { email: null });
      const changed = await store.changeEmail({
        userId: bob.id,
        from: null,
        to: 'bob@example.com',
        now: at(1),
        audit: audit(bob, 'email.changed'),
      });
      expect(changed.ok && changed.user.email).toBe('bob@example.com');
    });

    test("another account's address: taken, decided by the unique index, and nothing is written", async () => {
      await contract.create('bob');
      const changed = await store.changeEmail({
        userId: alice.id,
        from: 'alice@example.com',
        to: 'bob@example.com',
        now: at(1),
        audit: audit(alice, 'email.changed'),
        mail: (user) => [{ kind: 'email_changed', to: 'alice@example.com', userId: user.id }],
        endSessions: 'email_change_reverted',
      });
      expect(changed).toStrictEqual({ ok: false, reason: 'taken' });
      expect((await store.findUserById(alice.id))?.email).toBe('alice@example.com');
      expect((await store.listAudit(0, 10)).count).toBe(0);
      expect(await contract.storeRows.outbox()).toEqual([]);
    });

    test('two accounts racing for one address: one gets it', async () => {
      const carol = await contract.create('carol');
      const results = await Promise.all(
        [alice, carol].map((user) =>
          store.changeEmail({
            userId: user.id,
            from: user.email,
            to: 'wanted@example.com',
            now: at(1),
            audit: audit(user, 'email.changed'),
          }),
        ),
      );
      expect(results.map((result) => (result.ok ? 'ok' : result.reason)).sort()).toEqual(['ok', 'taken']);
    });

    test('with its effects, in one transaction: sessions ended, tokens voided, audit with the count, mail', async () => {
      await contract.issue('t1', alice.id, 's1');
      await contract.issue('t2', alice.id, 's2');
      for (const purpose of ['email_change', 'password_reset', 'end_sessions']) {
        await store.insertOneTimeToken({
          purpose,
          userId: alice.id,
          tokenHash: `hash-${purpose}`,
          data: null,
          createdAt: T0,
          expiresAt: at(3600),
          maxAttempts: 5,
        });
      }
      const changed = await store.changeEmail({
        userId: alice.id,
        from: 'alice@example.com',
        to: 'back@example.com',
        now: at(1),
        audit: audit(alice, 'email.change_reverted'),
        endSessions: 'email_change_reverted',
        revokeTokens: ['email_change', 'password_reset'],
        mail: (user) => [{ kind: 'notice', to: user.email ?? '', userId: user.id, data: { n: 1 } }],
      });
      expect(changed.ok && changed.sessionsEnded).toBe(2);
      expect(await store.isSessionActive('s1')).toBe(false);
      expect(await store.isSessionActive('s2')).toBe(false);
      expect(await store.revokeOneTimeTokens(alice.id, 'email_change')).toBe(0);
      expect(await store.revokeOneTimeTokens(alice.id, 'password_reset')).toBe(0);
      expect(await store.revokeOneTimeTokens(alice.id, 'end_sessions')).toBe(1);
      const [entry] = (await store.listAudit(0, 10)).items;
      expect(entry).toMatchObject({ action: 'email.change_reverted', detail: { sessions_ended: 2 } });
      expect(await contract.storeRows.outbox()).toEqual([
        expect.objectContaining({ kind: 'notice', to: 'back@example.com', data: { n: 1 } }),
      ]);
    });

    test("a request's audit entry and mail are written together", async () => {
      await store.recordEmailChangeRequest(
        audit(alice, 'email.change_requested'),
        {
          kind: 'email_change_confirm',
          to: 'new@example.com',
          userId: alice.id,
          data: { new_email: 'new@example.com' },
        },
        at(1),
      );
      expect((await store.listAudit(0, 10)).items.map((entry) => entry.action)).toEqual([
        'email.change_requested',
      ]);
      expect(await contract.storeRows.outbox()).toEqual([
        expect.objectContaining({ kind: 'email_change_confirm', to: 'new@example.com', createdAt: at(1) }),
      ]);
    });
  });
}

await describeOnEveryDatabase('EmailChangeStore', { contract: describeEmailChangeStore });
