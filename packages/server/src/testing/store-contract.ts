import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { Client } from 'pg';
import { afterEach, beforeEach } from 'vitest';
import { createKyselyStore } from '../store/kysely-store.js';
import { openDatabase } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import type { NewUser, User } from '../store/users/store.js';
import { usePostgres, type TestPostgres } from './postgres.js';
import { storeRows, type StoreRows } from './store-rows.js';

/**
 * What the store slices' contract suites (store/<slice>/store.contract.test.ts, store/store.contract.test.ts)
 * share: the fixtures, the databases every suite runs on, and a fresh migrated store per test.
 */

export const T0 = new Date('2025-03-01T12:00:00.000Z');
export const MIGRATIONS = [
  '0001_initial',
  '0002_signing_keys',
  '0003_session_methods',
  '0004_one_time_tokens',
  '0005_email',
  '0006_session_browser',
  '0007_factors',
  '0008_roles',
];
export const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const USER_KEYS = [
  'created',
  'email',
  'emailVerified',
  'firstName',
  'id',
  'isActive',
  'isStaff',
  'isSuperuser',
  'lastLogin',
  'lastName',
  'name',
  'profileEmail',
  'publicId',
  'updated',
  'username',
];

export function newUser(username: string, overrides: Partial<NewUser> = {}): NewUser {
  return {
    username,
    usernameKey: username.toLowerCase(),
    email: `${username.toLowerCase()}@example.com`,
    passwordHash: `hash-of-${username}`,
    ...overrides,
  };
}

/** A store on a database of its own (not yet migrated), and ways to its tables beside the interface. */
export interface TestStore {
  store: Store;
  storeRows: StoreRows;
  /** A statement straight on the database, for what no interface exposes. */
  rows(query: string): Promise<unknown[]>;
  close(): Promise<void>;
}
export type OpenTestStore = () => Promise<TestStore>;
/** One suite of a slice on one database; skipped (saying so in its name) when that database is missing. */
export type DescribeOn = (name: string, open: OpenTestStore, skip?: boolean) => void;

export interface PostgresTestStore extends TestStore {
  /** The store's URL: its schema and application_name in the query. */
  url: string;
  /** Ends the store's connections from the server side, as a restart or a failover would. */
  terminateConnections(): Promise<number>;
  /** The store's connections to the server now. */
  connections(): Promise<number>;
}
export type OpenPostgres = (poolSize?: number) => Promise<PostgresTestStore>;

/**
 * A slice's suites on every database, each suite registered as the single contract file did: `contract`
 * on SQLite in memory and PostgreSQL, `rows` (what only the tables show) on a SQLite file and PostgreSQL,
 * `postgresOnly` on PostgreSQL. PostgreSQL (testing/postgres.ts says where): every store a schema of its
 * own, in a database of the test file's own, dropped when the store is closed. Unreachable, the PostgreSQL
 * suites are skipped, saying so; on CI (CI=true) they fail instead.
 */
export async function describeOnEveryDatabase(
  slice: string,
  suites: {
    contract?: DescribeOn;
    rows?: DescribeOn;
    postgresOnly?: (open: OpenPostgres, skip?: boolean) => void;
  },
): Promise<void> {
  suites.contract?.('SQLite (in memory)', async () => openSqlite(':memory:'));
  suites.rows?.('SQLite (a file)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-store-'));
    const opened = openSqlite(path.join(dir, 'nested', 'db.sqlite3'));
    return {
      ...opened,
      async close() {
        await opened.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });

  const postgres = await usePostgres(`the PostgreSQL ${slice} tests`);
  if (postgres) {
    const open = openPostgres(postgres);
    suites.contract?.('PostgreSQL', () => open());
    suites.rows?.('PostgreSQL', () => open());
    suites.postgresOnly?.(open);
  } else {
    const unreachable = () => Promise.reject(new Error('PostgreSQL is not reachable'));
    suites.contract?.('PostgreSQL (not reachable: skipped)', unreachable, true);
    suites.rows?.('PostgreSQL (not reachable: skipped)', unreachable, true);
    suites.postgresOnly?.(unreachable, true);
  }
}

/**
 * Each test of the calling `describe` gets a fresh store from `open`, migrated, closed after it; and the
 * helpers the suites share, over that store.
 */
export function useContractStore(open: OpenTestStore) {
  let opened: TestStore | undefined;
  let firstMigration: string[] = [];
  const sessions = new Set<string>();

  beforeEach(async () => {
    opened = await open();
    firstMigration = await opened.store.migrate();
    sessions.clear();
  });
  afterEach(async () => {
    await opened?.close();
    opened = undefined;
  });
  const current = () => {
    if (!opened) throw new Error('no store: useContractStore helpers run inside tests only');
    return opened;
  };

  async function create(username: string, overrides: Partial<NewUser> = {}, now = T0): Promise<User> {
    const result = await current().store.createUser(newUser(username, overrides), now);
    if (!result.ok) throw new Error(`createUser(${username}) failed: ${result.conflicts.join(', ')}`);
    return result.user;
  }

  /** A refresh token in session `familyId`, which is started by its first token. */
  async function issue(jti: string, userId: number, familyId = `family-${jti}`, expiresIn = 3600) {
    const token = { jti, userId, issuedAt: T0, expiresAt: at(expiresIn) };
    if (sessions.has(familyId)) return current().storeRows.insertRefreshToken({ ...token, familyId });
    sessions.add(familyId);
    return current().store.startSession(
      { id: familyId, userId, userAgent: '', ip: '', methods: ['pwd'], authTime: T0, browser: true },
      token,
    );
  }

  const child = (jti: string, userId: number) => ({ jti, userId, issuedAt: at(10), expiresAt: at(3610) });
  const rotate = (jti: string, userId: number, revoke: boolean, childJti: string) =>
    current().store.rotateRefreshToken({ jti, userId, now: at(10), child: child(childJti, userId), revoke });

  return {
    get store() {
      return current().store;
    },
    get storeRows() {
      return current().storeRows;
    },
    get firstMigration() {
      return firstMigration;
    },
    /** The sessions `issue` has started in this test. */
    sessions,
    create,
    issue,
    child,
    rotate,
  };
}

function openSqlite(file: string): TestStore {
  const { db, direct } = openDatabase({ kind: 'sqlite', path: file });
  const store = createKyselyStore(db, direct);
  return {
    store,
    storeRows: storeRows(db),
    async rows(query) {
      if (file === ':memory:') return (await sql.raw(query).execute(db)).rows;
      const raw = new SqliteDatabase(file, { readonly: true });
      try {
        return raw.prepare(query).all();
      } finally {
        raw.close();
      }
    },
    close: () => store.close(),
  };
}

function openPostgres(postgres: TestPostgres): OpenPostgres {
  // The schema's name is also its connections' application_name, which finds them in pg_stat_activity.
  const countOf = async (query: string, name: string) =>
    (await postgres.query<{ n: number }>(query, [name]))[0]?.n ?? 0;
  return async (poolSize = 10) => {
    const schema = await postgres.createSchema();
    const { db, direct } = openDatabase({ kind: 'postgres', url: schema.url, poolSize });
    const opened = createKyselyStore(db, direct);
    const close = async () => {
      await opened.close();
      await schema.drop();
    };
    return {
      store: { ...opened, close },
      storeRows: storeRows(db),
      async rows(query) {
        const client = new Client({ connectionString: schema.url });
        await client.connect();
        try {
          return (await client.query(query)).rows;
        } finally {
          await client.end();
        }
      },
      close,
      url: schema.url,
      terminateConnections: () =>
        countOf(
          'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = $1',
          schema.name,
        ),
      connections: () =>
        countOf('select count(*)::int as n from pg_stat_activity where application_name = $1', schema.name),
    };
  };
}
