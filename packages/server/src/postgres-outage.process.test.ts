import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { usePostgres, type TestPostgres } from './testing/postgres.js';
import {
  assertServerBuilt,
  call,
  killServers,
  startServer,
  waitReady,
  type Answer,
  type ServerProcess,
} from './testing/server-process.js';

/**
 * PostgreSQL going away under a running Gatehouse, for real: its connections ended from the server side
 * while requests run (as a restart or a failover ends them), then the database refusing connections for
 * a while. Requests get 503 with Retry-After (never a 500), the process lives on, and once the database
 * is back the pool reconnects by itself.
 */

const PASSWORD = 'tangerine-kayak-42';
const UNAVAILABLE = {
  detail: 'Service temporarily unavailable, try again shortly.',
  code: 'service_unavailable',
};

const postgres = await usePostgres('the PostgreSQL outage tests');
/** Within the tests below, which run only when it was reached. */
const pg = (): TestPostgres => {
  if (!postgres) throw new Error('PostgreSQL is not reachable');
  return postgres;
};

describe.skipIf(!postgres)('PostgreSQL out of reach under a running server', () => {
  let database: string;
  let server: ServerProcess;
  let pair: { refresh: string; access: string };

  beforeAll(async () => {
    assertServerBuilt();
    const created = await pg().createDatabase('gatehouse_outage');
    database = created.name;
    server = await waitReady(
      await startServer({
        DATABASE_URL: created.url,
        GATEHOUSE_DATABASE_POOL_SIZE: '4',
        GATEHOUSE_RATE_LIMITS: 'false',
      }),
    );
    const registered = await call(server, 'POST', '/api/users/', {
      body: { username: 'alice', password: PASSWORD },
    });
    expect(registered.status, registered.text).toBe(201);
    pair = registered.body as typeof pair;
  });
  afterAll(async () => {
    await postgres?.query(`alter database ${database} allow_connections true`);
    await killServers();
  });

  const terminate = () =>
    pg().query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [database]);
  const profile = () => call(server, 'GET', '/api/users/me/', { access: pair.access });
  const login = () =>
    call(server, 'POST', '/api/token/', { body: { username: 'alice', password: PASSWORD } });
  const alive = () => server.child.exitCode === null && server.child.signalCode === null;

  function expectUnavailable(answer: Answer): void {
    expect(answer.status, answer.text).toBe(503);
    expect(answer.body).toEqual(UNAVAILABLE);
    expect(answer.headers.get('retry-after')).toBe('5');
  }

  test('connections ended while requests run: 200 or 503 with Retry-After, never a 500, and no crash', async () => {
    const answers: Answer[] = [];
    for (let round = 0; round < 5; round++) {
      const requests = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? login() : profile()));
      // Mid-flight: some requests are in a query, some between two of a transaction, some waiting.
      await new Promise((resolve) => setTimeout(resolve, 5 + round * 10));
      await terminate();
      answers.push(...(await Promise.all(requests)));
    }
    for (const answer of answers) {
      if (answer.status !== 200) expectUnavailable(answer);
    }
    console.log(
      `outage: ${answers.filter((answer) => answer.status === 503).length} of ${answers.length} ` +
        'requests answered 503 while their connections were ended',
    );
    expect(alive()).toBe(true);
    // The pool has replaced the ended connections by itself.
    expect((await profile()).status).toBe(200);
  });

  test('a database refusing connections: 503 and not ready; back, it serves again without a restart', async () => {
    const pid = server.child.pid;
    await pg().query(`alter database ${database} allow_connections false`);
    await terminate();

    for (const answer of await Promise.all([profile(), login(), profile()])) expectUnavailable(answer);
    const refresh = await call(server, 'POST', '/api/token/refresh/', { body: { refresh: pair.refresh } });
    expectUnavailable(refresh);
    const ready = await call(server, 'GET', '/api/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'unavailable', database: 'unreachable' });
    expect(ready.headers.get('retry-after')).toBe('5');
    // Liveness does not depend on the database: an orchestrator must not restart a healthy process.
    expect((await call(server, 'GET', '/api/health')).status).toBe(200);
    expect(alive()).toBe(true);

    await pg().query(`alter database ${database} allow_connections true`);
    const restored = Date.now();
    while ((await call(server, 'GET', '/api/ready')).status !== 200) {
      if (Date.now() - restored > 10_000) throw new Error('not ready 10 s after the database came back');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    console.log(`outage: ready again ${Date.now() - restored} ms after the database accepted connections`);
    expect((await profile()).status).toBe(200);
    expect((await login()).status).toBe(200);
    // The refresh refused during the outage spent nothing: the token still rotates.
    const rotated = await call(server, 'POST', '/api/token/refresh/', { body: { refresh: pair.refresh } });
    expect(rotated.status, rotated.text).toBe(200);
    expect(server.child.pid).toBe(pid);
    expect(alive()).toBe(true);
    // Every 503 was logged as a warning, never as an unhandled error.
    const records = server
      .stdout()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(records.filter((record) => record.level >= 50)).toEqual([]);
    expect(records.some((record) => record.msg === 'database unavailable')).toBe(true);
    expect(server.stderr()).toBe('');
  });
});
