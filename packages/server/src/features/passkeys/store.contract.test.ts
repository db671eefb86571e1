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
import type { NewPasskey, PasskeyEffects } from './store.js';

const audit = (user: User, action: string, seconds = 1): NewAuditEntry => ({
  at: at(seconds),
  actorId: user.id,
  actor: user.username,
  action,
  targetId: user.id,
  target: user.username,
  detail: {},
  ip: '192.0.2.1',
});

const effects = (user: User, action: string, seconds = 1): PasskeyEffects => ({
  audit: audit(user, action, seconds),
  mail: [],
  now: at(seconds),
});

const newPasskey = (user: User, id: string, overrides: Partial<NewPasskey> = {}): NewPasskey => ({
  id,
  userId: user.id,
  credentialId: `cred-${id}`,
  publicKey: `key-${id}`,
  signCount: 0,
  transports: ['internal', 'hybrid'],
  deviceType: 'singleDevice',
  backedUp: false,
  aaguid: '00000000-0000-0000-0000-000000000000',
  name: `Key ${id}`,
  createdAt: T0,
  ...overrides,
});

/** The passkeys' slice, on SQLite and PostgreSQL. */
function describePasskeyStore(name: string, open: OpenTestStore, skip = false) {
  describe.skipIf(skip)(`PasskeyStore contract: ${name}`, () => {
    const contract = useContractStore(open);
    let store: Store;
    let alice: User;
    beforeEach(async () => {
      store = contract.store;
      alice = await contract.create('alice');
    });

    test('the first passkey makes the user handle; later ones keep it', async () => {
      expect(await store.findWebauthnUserHandle(alice.id)).toBeUndefined();
      expect(await store.hasPasskey(alice.id)).toBe(false);
      const added = await store.addPasskey(newPasskey(alice, 'p1'), 'handle-a', {
        ...effects(alice, 'passkey.added'),
        mail: [
          {
            kind: 'mfa_changed',
            to: 'alice@example.com',
            userId: alice.id,
            data: { change: 'passkey_added' },
          },
        ],
      });
      expect(added).toStrictEqual({ ok: true, passkey: { ...newPasskey(alice, 'p1'), lastUsedAt: null } });
      expect(await store.findWebauthnUserHandle(alice.id)).toBe('handle-a');
      expect(await store.hasPasskey(alice.id)).toBe(true);
      // Another handle proposed (a registration begun before the first ended): refused, nothing written.
      expect(
        await store.addPasskey(newPasskey(alice, 'p2'), 'handle-b', effects(alice, 'passkey.added')),
      ).toEqual({
        ok: false,
        reason: 'handle_changed',
      });
      expect(
        (
          await store.addPasskey(
            newPasskey(alice, 'p3', { createdAt: at(5) }),
            'handle-a',
            effects(alice, 'passkey.added'),
          )
        ).ok,
      ).toBe(true);
      expect((await store.listPasskeys(alice.id)).map((passkey) => passkey.id)).toEqual(['p1', 'p3']);
      expect((await store.listAudit(0, 10)).count).toBe(2);
      expect(await contract.storeRows.outbox()).toEqual([
        expect.objectContaining({ kind: 'mfa_changed', data: { change: 'passkey_added' } }),
      ]);
    });

    test('a credential id is registered once, across every user; the refusal writes nothing', async () => {
      const bob = await contract.create('bob');
      await store.addPasskey(newPasskey(alice, 'p1'), 'handle-a', effects(alice, 'passkey.added'));
      expect(
        await store.addPasskey(
          newPasskey(bob, 'p2', { credentialId: 'cred-p1' }),
          'handle-b',
          effects(bob, 'passkey.added'),
        ),
      ).toEqual({ ok: false, reason: 'exists' });
      expect(await store.findWebauthnUserHandle(bob.id)).toBeUndefined();
      expect(await store.listPasskeys(bob.id)).toEqual([]);
      expect((await store.listAudit(0, 10)).count).toBe(1);
      expect((await store.findPasskeyByCredentialId('cred-p1'))?.userId).toBe(alice.id);
      expect(await store.findPasskeyByCredentialId('cred-none')).toBeUndefined();
    });

    test("rename and delete: only the owner's passkey, with the delete's audit entry and mail", async () => {
      const bob = await contract.create('bob');
      await store.addPasskey(newPasskey(alice, 'p1'), 'handle-a', effects(alice, 'passkey.added'));
      expect(await store.renamePasskey(bob.id, 'p1', 'Mine')).toBeUndefined();
      expect((await store.renamePasskey(alice.id, 'p1', 'Laptop'))?.name).toBe('Laptop');
      expect(await store.deletePasskey(bob.id, 'p1', () => effects(bob, 'passkey.removed'))).toBeUndefined();
      const removed = await store.deletePasskey(alice.id, 'p1', (passkey) => ({
        ...effects(alice, 'passkey.removed', 2),
        mail: [
          { kind: 'mfa_changed', to: 'alice@example.com', userId: alice.id, data: { name: passkey.name } },
        ],
      }));
      expect(removed?.name).toBe('Laptop');
      expect(await store.hasPasskey(alice.id)).toBe(false);
      // The handle stays: a passkey registered later gets the same one.
      expect(await store.findWebauthnUserHandle(alice.id)).toBe('handle-a');
      expect((await store.listAudit(0, 10)).items.map((entry) => entry.action)).toEqual([
        'passkey.removed',
        'passkey.added',
      ]);
      expect(await contract.storeRows.outbox()).toEqual([
        expect.objectContaining({ kind: 'mfa_changed', data: { name: 'Laptop' } }),
      ]);
    });

    test('a use moves the counter forward only; a refusal is audited', async () => {
      await store.addPasskey(
        newPasskey(alice, 'p1', { signCount: 5 }),
        'handle-a',
        effects(alice, 'passkey.added'),
      );
      const use = (signCount: number, seconds: number) =>
        store.recordPasskeyUse({
          id: 'p1',
          signCount,
          backedUp: true,
          now: at(seconds),
          refused: audit(alice, 'passkey.counter_regressed', seconds),
        });
      expect(await use(6, 10)).toBe(true);
      expect(await store.findPasskeyByCredentialId('cred-p1')).toMatchObject({
        signCount: 6,
        backedUp: true,
        lastUsedAt: at(10),
      });
      expect(await use(6, 11)).toBe(false);
      expect(await use(0, 12)).toBe(false);
      expect(await use(2 ** 32 - 1, 13)).toBe(true);
      expect((await store.findPasskeyByCredentialId('cred-p1'))?.signCount).toBe(2 ** 32 - 1);
      expect((await store.listAudit(0, 10)).items.map((entry) => entry.action)).toEqual([
        'passkey.counter_regressed',
        'passkey.counter_regressed',
        'passkey.added',
      ]);
    });

    test('an authenticator without a counter (0, always) is used again and again', async () => {
      await store.addPasskey(newPasskey(alice, 'p1'), 'handle-a', effects(alice, 'passkey.added'));
      for (const seconds of [1, 2]) {
        expect(
          await store.recordPasskeyUse({
            id: 'p1',
            signCount: 0,
            backedUp: false,
            now: at(seconds),
            refused: audit(alice, 'passkey.counter_regressed'),
          }),
        ).toBe(true);
      }
    });

    test("a user's passkeys and handle go with the account", async () => {
      await store.addPasskey(newPasskey(alice, 'p1'), 'handle-a', effects(alice, 'passkey.added'));
      await contract.storeRows.all("delete from users where username_key = 'alice'");
      expect(await store.findPasskeyByCredentialId('cred-p1')).toBeUndefined();
      expect(await store.findWebauthnUserHandle(alice.id)).toBeUndefined();
    });
  });
}

await describeOnEveryDatabase('PasskeyStore', { contract: describePasskeyStore });
