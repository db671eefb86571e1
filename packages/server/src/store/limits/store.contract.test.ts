import { beforeEach, describe, expect, test } from 'vitest';
import type { Store } from '../store.js';
import {
  at,
  describeOnEveryDatabase,
  useContractStore,
  type OpenTestStore,
} from '../../testing/store-contract.js';

/**
 * The behaviour every LimitStore implementation shares. Each test gets a fresh, migrated store; it runs
 * against SQLite and PostgreSQL (see the end of this file).
 */
function describeLimitStore(name: string, open: OpenTestStore, skip = false) {
  describe.skipIf(skip)(`LimitStore contract: ${name}`, () => {
    const contract = useContractStore(open);
    let store: Store;
    beforeEach(() => {
      store = contract.store;
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

      test('reserveLoginAttempt counts each attempt before it is checked and refuses while blocked', async () => {
        const delays = [0, 0, 60, 120];
        const reserve = (seconds: number) =>
          store.reserveLoginAttempt('account:7', at(seconds), 3600, delays);
        expect(await reserve(0)).toEqual({ allowed: true });
        expect(await reserve(1)).toEqual({ allowed: true });
        expect(await blocks(['account:7'], 1)).toEqual({});
        // The third attempt is allowed and blocks the next ones at once, whatever its outcome.
        expect(await reserve(2)).toEqual({ allowed: true });
        expect(await blocks(['account:7'], 2)).toEqual({ 'account:7': at(62) });
        // A refused attempt writes nothing: the block does not move.
        expect(await reserve(30)).toEqual({ allowed: false, blockedUntil: at(62) });
        expect(await reserve(61)).toEqual({ allowed: false, blockedUntil: at(62) });
        expect(await reserve(62)).toEqual({ allowed: true });
        expect(await blocks(['account:7'], 62)).toEqual({ 'account:7': at(182) });
        // Beyond the list, its last delay.
        expect(await reserve(182)).toEqual({ allowed: true });
        expect(await blocks(['account:7'], 182)).toEqual({ 'account:7': at(302) });
        await store.clearLoginFailures('account:7');
        expect(await reserve(183)).toEqual({ allowed: true });
      });

      test('20 parallel reservations of one key: exactly as many go ahead as the free attempts', async () => {
        const delays = [0, 0, 0, 30];
        const results = await Promise.all(
          Array.from({ length: 20 }, () => store.reserveLoginAttempt('account:burst', at(5), 3600, delays)),
        );
        expect(results.filter((result) => result.allowed)).toHaveLength(4);
        expect(results.filter((result) => !result.allowed)).toEqual(
          Array.from({ length: 16 }, () => ({ allowed: false, blockedUntil: at(35) })),
        );
      });

      test('reservations forget attempts older than resetAfter', async () => {
        const delays = [0, 600];
        expect(await store.reserveLoginAttempt('k', at(0), 60, delays)).toEqual({ allowed: true });
        expect(await store.reserveLoginAttempt('k', at(100), 60, delays)).toEqual({ allowed: true });
        expect(await blocks(['k'], 100)).toEqual({});
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
  });
}

await describeOnEveryDatabase('LimitStore', { contract: describeLimitStore });
