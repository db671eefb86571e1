import { beforeEach, describe, expect, test } from 'vitest';
import type { NewAuditEntry } from '../../store/audit/store.js';
import type { Store } from '../../store/store.js';
import {
  at,
  describeOnEveryDatabase,
  T0,
  useContractStore,
  type OpenTestStore,
} from '../../testing/store-contract.js';

const audit = (userId: number, seconds = 1): NewAuditEntry => ({
  at: at(seconds),
  actorId: userId,
  actor: 'alice',
  action: 'email.verify',
  targetId: userId,
  target: 'alice',
  detail: { email: 'alice@example.com' },
  ip: '203.0.113.7',
});

function describeEmailStore(name: string, open: OpenTestStore, skip = false) {
  describe.skipIf(skip)(`EmailStore contract: ${name}`, () => {
    const contract = useContractStore(open);
    let store: Store;
    beforeEach(() => {
      store = contract.store;
    });

    test('findUserById and findUserByEmail find the user, and nothing else', async () => {
      const alice = await contract.create('alice', { email: 'alice@example.com' });
      await contract.create('bob', { email: null });
      expect(await store.findUserById(alice.id)).toEqual(alice);
      expect(await store.findUserByEmail('alice@example.com')).toEqual(alice);
      expect(await store.findUserById(alice.id + 100)).toBeUndefined();
      expect(await store.findUserByEmail('bob@example.com')).toBeUndefined();
      expect(await store.findUserByEmail('alice')).toBeUndefined();
    });

    test('markEmailVerified marks the address, stamps updated and writes its entry, once', async () => {
      const alice = await contract.create('alice', { email: 'alice@example.com' });
      const marked = await store.markEmailVerified(alice.id, 'alice@example.com', at(1), audit(alice.id));
      expect(marked).toEqual({ ...alice, emailVerified: true, updated: at(1) });
      expect(await store.findUserById(alice.id)).toEqual(marked);
      // Again (a second link): the same user, unchanged, and no second entry.
      expect(await store.markEmailVerified(alice.id, 'alice@example.com', at(2), audit(alice.id, 2))).toEqual(
        marked,
      );
      const entries = await store.listAudit(0, 10, alice.id);
      expect(entries.items).toEqual([{ id: expect.any(Number), ...audit(alice.id) }]);
    });

    test('an address the account no longer has, or no such account: nothing changes, nothing is written', async () => {
      const alice = await contract.create('alice', { email: 'alice@example.com' });
      expect(
        await store.markEmailVerified(alice.id, 'old@example.com', at(1), audit(alice.id)),
      ).toBeUndefined();
      expect(await store.markEmailVerified(alice.id + 100, 'alice@example.com', at(1), audit(alice.id))).toBe(
        undefined,
      );
      expect(await store.findUserById(alice.id)).toEqual(alice);
      expect((await store.listAudit(0, 10)).count).toBe(0);
    });

    test('concurrent marks of one address write one entry', async () => {
      const alice = await contract.create('alice', { email: 'alice@example.com' }, T0);
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          store.markEmailVerified(alice.id, 'alice@example.com', at(1), audit(alice.id)),
        ),
      );
      expect(results.every((user) => user?.emailVerified === true)).toBe(true);
      expect((await store.listAudit(0, 10, alice.id)).count).toBe(1);
    });
  });
}

await describeOnEveryDatabase('EmailStore', { contract: describeEmailStore });
