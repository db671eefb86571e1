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
import type { FactorChangeEffects } from './store.js';

const effects = (user: User, action: string, withMail = true): FactorChangeEffects => ({
  audit: {
    at: at(1),
    actorId: user.id,
    actor: user.username,
    action,
    targetId: user.id,
    target: user.username,
    detail: {},
    ip: '192.0.2.1',
  } satisfies NewAuditEntry,
  mail: withMail
    ? [{ kind: 'mfa_changed', to: user.email ?? '', userId: user.id, data: { change: action } }]
    : [],
});

/** The second factors' slice, on SQLite and PostgreSQL. */
function describeMfaStore(name: string, open: OpenTestStore, skip = false) {
  describe.skipIf(skip)(`MfaStore contract: ${name}`, () => {
    const contract = useContractStore(open);
    let store: Store;
    let alice: User;
    beforeEach(async () => {
      store = contract.store;
      alice = await contract.create('alice');
    });
    const actions = async () => (await store.listAudit(0, 50)).items.map((entry) => entry.action).sort();
    const confirm = (step: number, now = at(60), codeHashes = ['h1', 'h2']) =>
      store.confirmTotp({
        userId: alice.id,
        step,
        now,
        pendingSince: new Date(now.getTime() - 600_000),
        codeHashes,
        ...effects(alice, 'mfa.totp_enabled'),
      });

    test('a pending factor: replaced by a new one, confirmed once, then no other can start', async () => {
      expect(await store.findTotpFactor(alice.id)).toBeUndefined();
      expect(await store.startTotpEnrollment(alice.id, 'sealed-1', T0)).toBe(true);
      expect(await store.startTotpEnrollment(alice.id, 'sealed-2', at(1))).toBe(true);
      expect(await store.findTotpFactor(alice.id)).toEqual({
        userId: alice.id,
        secret: 'sealed-2',
        createdAt: at(1),
        confirmedAt: undefined,
        lastUsedStep: undefined,
      });
      // Not confirmed: a code's step is not accepted.
      expect(await store.useTotpStep(alice.id, 100)).toBe(false);
      expect(await confirm(100)).toBe(true);
      expect(await confirm(101)).toBe(false);
      expect(await store.findTotpFactor(alice.id)).toMatchObject({ confirmedAt: at(60), lastUsedStep: 100 });
      expect(await store.startTotpEnrollment(alice.id, 'sealed-3', at(70))).toBe(false);
      expect((await store.findTotpFactor(alice.id))?.secret).toBe('sealed-2');
      expect(await store.countRecoveryCodes(alice.id)).toBe(2);
      expect(await actions()).toEqual(['mfa.totp_enabled']);
      expect(await contract.storeRows.outbox()).toEqual([
        expect.objectContaining({ kind: 'mfa_changed', to: 'alice@example.com' }),
      ]);
    });

    test('a pending factor older than its window confirms nothing, and writes nothing', async () => {
      await store.startTotpEnrollment(alice.id, 'sealed', T0);
      expect(await confirm(100, at(600))).toBe(false);
      expect(await store.countRecoveryCodes(alice.id)).toBe(0);
      expect(await actions()).toEqual([]);
      expect(await contract.storeRows.outbox()).toEqual([]);
    });

    test('a time step is accepted once, and never one at or before an accepted one', async () => {
      await store.startTotpEnrollment(alice.id, 'sealed', T0);
      await confirm(100);
      expect(await store.useTotpStep(alice.id, 100)).toBe(false);
      expect(await store.useTotpStep(alice.id, 99)).toBe(false);
      expect(await store.useTotpStep(alice.id, 101)).toBe(true);
      expect(await store.useTotpStep(alice.id, 101)).toBe(false);
      // Steps of today's clock are ~5.8e7: beyond 32 bits in a few thousand years, kept as bigint.
      expect(await store.useTotpStep(alice.id, 2 ** 40)).toBe(true);
      expect((await store.findTotpFactor(alice.id))?.lastUsedStep).toBe(2 ** 40);
    });

    test('two uses of one step at once: one success', async () => {
      await store.startTotpEnrollment(alice.id, 'sealed', T0);
      await confirm(100);
      const results = await Promise.all([1, 2, 3, 4].map(() => store.useTotpStep(alice.id, 200)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    test('recovery codes: each used once; two uses at once, one success; the effects with it', async () => {
      await store.replaceRecoveryCodes(
        alice.id,
        ['a', 'b', 'c'],
        T0,
        effects(alice, 'mfa.recovery_codes_regenerated'),
      );
      expect(await store.countRecoveryCodes(alice.id)).toBe(3);
      const results = await Promise.all(
        [1, 2, 3].map(() =>
          store.useRecoveryCode(alice.id, 'a', at(5), effects(alice, 'mfa.recovery_code_used')),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.useRecoveryCode(alice.id, 'a', at(6))).toBe(false);
      expect(await store.useRecoveryCode(alice.id, 'unknown', at(6))).toBe(false);
      expect(await store.countRecoveryCodes(alice.id)).toBe(2);
      // Another user's code is not this user's.
      const bob = await contract.create('bob');
      expect(await store.useRecoveryCode(bob.id, 'b', at(6))).toBe(false);
      expect(await actions()).toEqual(['mfa.recovery_code_used', 'mfa.recovery_codes_regenerated']);
      expect(await contract.storeRows.outbox()).toHaveLength(2);
    });

    test('a new batch voids the old one', async () => {
      await store.replaceRecoveryCodes(alice.id, ['a', 'b'], T0, effects(alice, 'x', false));
      await store.useRecoveryCode(alice.id, 'a', at(1));
      await store.replaceRecoveryCodes(alice.id, ['c', 'd', 'e'], at(2), effects(alice, 'x', false));
      expect(await store.useRecoveryCode(alice.id, 'b', at(3))).toBe(false);
      expect(await store.countRecoveryCodes(alice.id)).toBe(3);
      expect(await store.useRecoveryCode(alice.id, 'c', at(3))).toBe(true);
    });

    test('disabling removes the confirmed factor and the codes, with the effects; a pending one is not disabled', async () => {
      await store.startTotpEnrollment(alice.id, 'sealed', T0);
      expect(await store.disableTotp(alice.id, effects(alice, 'mfa.totp_disabled'), at(1))).toBe(false);
      await confirm(100);
      expect(await store.disableTotp(alice.id, effects(alice, 'mfa.totp_disabled'), at(70))).toBe(true);
      expect(await store.findTotpFactor(alice.id)).toBeUndefined();
      expect(await store.countRecoveryCodes(alice.id)).toBe(0);
      expect(await actions()).toEqual(['mfa.totp_disabled', 'mfa.totp_enabled']);
    });

    test('passkeys counted; the reset removes every factor and passkey of the user only', async () => {
      const bob = await contract.create('bob');
      const passkey = (id: string, userId: number, created: Date) =>
        contract.storeRows.all(
          `insert into passkeys (id, user_id, credential_id, public_key, device_type, name, created_at, last_used_at) ` +
            `values ('${id}', ${userId}, 'cred-${id}', 'key', 'singleDevice', 'Key ${id}', '${created.toISOString()}', null)`,
        );
      await passkey('p2', alice.id, at(2));
      await passkey('p1', alice.id, at(1));
      await passkey('p3', bob.id, at(1));
      expect(await store.countPasskeys(alice.id)).toBe(2);
      await store.startTotpEnrollment(alice.id, 'sealed', T0);
      await confirm(100);
      await store.resetFactors(alice.id, effects(alice, 'mfa.reset'), at(80));
      expect(await store.findTotpFactor(alice.id)).toBeUndefined();
      expect(await store.countRecoveryCodes(alice.id)).toBe(0);
      expect(await store.countPasskeys(alice.id)).toBe(0);
      expect(await store.countPasskeys(bob.id)).toBe(1);
      expect(await actions()).toEqual(['mfa.reset', 'mfa.totp_enabled']);
    });
  });
}

await describeOnEveryDatabase('MfaStore', { contract: describeMfaStore });
