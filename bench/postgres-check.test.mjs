// The PostgreSQL part of the bench, checked cheaply for `node --test bench/` (a built dist/ and a reachable
// PostgreSQL: DATABASE_URL=postgres://…, else the local server the tests use): no HTTP, a fraction of a
// second of commits, on a database of its own that must be gone afterwards. The loads themselves run in
// `npm run bench -- --postgres`. Skipped when PostgreSQL cannot be reached, except on CI (CI=true).
import assert from 'node:assert/strict';
import process from 'node:process';
import { test } from 'node:test';
import { fileURLToPath, URL } from 'node:url';
import pg from 'pg';
import { createBenchUser, loadGatehouse } from './lib/database.mjs';
import {
  createDatabase,
  databaseKeyTokenService,
  dropDatabase,
  dropDatabasesSync,
  openPostgresStore,
  openSessionsInBulk,
  postgresServerUrl,
  rawPostgresRotationRate,
  serverSettings,
} from './lib/postgres.mjs';

const DIST = fileURLToPath(new URL('../packages/server/dist', import.meta.url));
const serverUrl = /** @type {string} */ (postgresServerUrl('', process.env.DATABASE_URL));
const reachable = await serverSettings(serverUrl).then(
  () => true,
  () => false,
);
// As packages/server/src/testing/ci.ts reads CI (the bench is plain JavaScript and cannot import it).
const onCi = process.env.CI !== undefined && !/^(|0|false)$/i.test(process.env.CI.trim());
const skip = !reachable && !onCi && `PostgreSQL not reachable at ${serverUrl}`;

/** @param {string} name */
async function exists(name) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return (await client.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

test(
  'PostgreSQL: a rotation is captured and replayed, bulk sessions rotate, the database is dropped',
  { skip },
  async () => {
    const gh = await loadGatehouse(DIST);
    const database = await createDatabase(serverUrl);
    try {
      const env = { PATH: process.env.PATH, DATABASE_URL: database.url, GATEHOUSE_LOG_LEVEL: 'warn' };
      const config = gh.parseConfig(env);
      const user = await createBenchUser(gh, config, env);

      const fast = openPostgresStore(gh, database.url, { fast: true });
      const durable = openPostgresStore(gh, database.url);
      try {
        const { sessions } = await openSessionsInBulk(gh, config, fast, user, 3);
        assert.equal(new Set(sessions.map((s) => s.refresh)).size, 3);
        // The rows written in bulk are those the store would have written: the tokens rotate, once.
        const service = await databaseKeyTokenService(gh, config, durable.store);
        const token = /** @type {{ refresh: string }} */ (sessions[1]).refresh;
        assert.equal((await service.refresh(token)).ok, true);
        assert.deepEqual(await service.refresh(token), { ok: false, reason: 'blacklisted' });
      } finally {
        await fast.close();
        await durable.close();
      }

      const raw = await rawPostgresRotationRate(gh, config, database, user, 0.2, 2);
      assert.ok(raw.commits > 0 && raw.rate > 0);
      // The rotation's writes: the token spent, the session used, the child recorded (one statement today).
      const replayed = raw.statements.join('; ');
      assert.match(replayed, /update "?refresh_tokens"?\s+set\s+"?revoked_at/i);
      assert.match(replayed, /update "?sessions"?/i);
      assert.match(replayed, /insert into "?refresh_tokens"?/i);
    } finally {
      await dropDatabase(database.name);
    }
    assert.equal(await exists(database.name), false);

    // From a signal handler: synchronously.
    const other = await createDatabase(serverUrl);
    dropDatabasesSync();
    assert.equal(await exists(other.name), false);
  },
);
