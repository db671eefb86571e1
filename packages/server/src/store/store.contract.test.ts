import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { inspectPostgres } from './open-store.js';
import type { Store } from './store.js';
import {
  T0,
  MIGRATIONS,
  newUser,
  describeOnEveryDatabase,
  useContractStore,
  type OpenTestStore,
  type TestStore,
  type OpenPostgres,
  type PostgresTestStore,
} from '../testing/store-contract.js';

/**
 * What every Store has beyond its slices (each slice's contract is in its folder): migrations and a
 * round trip to the database. Each test gets a fresh, migrated store; it runs against SQLite and
 * PostgreSQL (see the end of this file).
 */
function describeStore(name: string, open: OpenTestStore, skip = false) {
  describe.skipIf(skip)(`Store contract: ${name}`, () => {
    const contract = useContractStore(open);
    let store: Store;
    beforeEach(() => {
      store = contract.store;
    });

    describe('migrate', () => {
      test('applies migrations once; a second call applies nothing', async () => {
        expect(contract.firstMigration.length).toBeGreaterThan(0);
        expect(await store.migrate()).toEqual([]);
        expect(await store.migrate()).toEqual([]);
      });

      test('ping answers (a database out of reach: postgres-outage.process.test.ts)', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });
  });
}

/** What the Store interface does not expose, checked in the database itself. */
function describeStoreRows(name: string, open: OpenTestStore, skip = false) {
  describe.skipIf(skip)(`Store rows: ${name}`, () => {
    let raw: TestStore;
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
  });
}

/** What only PostgreSQL has: a server of its own, connection pools, other schemas in the database. */
function describeStoreOnPostgres(open: OpenPostgres, skip = false) {
  describe.skipIf(skip)('PostgreSQL store: connections and schemas', () => {
    const opened: PostgresTestStore[] = [];
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
          'mail_outbox',
          'totp_factors',
          'recovery_codes',
          'passkeys',
          'webauthn_user_handles',
          'roles',
          'role_permissions',
          'user_groups',
          'group_roles',
          'group_members',
          'user_roles',
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
  });
}

await describeOnEveryDatabase('Store', {
  contract: describeStore,
  rows: describeStoreRows,
  postgresOnly: describeStoreOnPostgres,
});
