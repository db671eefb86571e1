import { beforeEach, describe, expect, test } from 'vitest';
import type { NewSigningKey } from '../signing-keys/store.js';
import type { Store } from '../store.js';
import {
  T0,
  at,
  describeOnEveryDatabase,
  useContractStore,
  type OpenTestStore,
} from '../../testing/store-contract.js';

/**
 * The behaviour every SigningKeyStore implementation shares. Each test gets a fresh, migrated store; it runs
 * against SQLite and PostgreSQL (see the end of this file).
 */
function describeSigningKeyStore(name: string, open: OpenTestStore, skip = false) {
  describe.skipIf(skip)(`SigningKeyStore contract: ${name}`, () => {
    const contract = useContractStore(open);
    let store: Store;
    beforeEach(() => {
      store = contract.store;
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

await describeOnEveryDatabase('SigningKeyStore', { contract: describeSigningKeyStore });
