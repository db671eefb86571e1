import { beforeEach, describe, expect, test } from 'vitest';
import type { Store } from '../store.js';
import {
  T0,
  at,
  describeOnEveryDatabase,
  useContractStore,
  type OpenTestStore,
} from '../../testing/store-contract.js';

/**
 * The behaviour every SecretStore implementation shares. Each test gets a fresh, migrated store; it runs
 * against SQLite and PostgreSQL (see the end of this file).
 */
function describeSecretStore(name: string, open: OpenTestStore, skip = false) {
  describe.skipIf(skip)(`SecretStore contract: ${name}`, () => {
    const contract = useContractStore(open);
    let store: Store;
    beforeEach(() => {
      store = contract.store;
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

await describeOnEveryDatabase('SecretStore', { contract: describeSecretStore });
