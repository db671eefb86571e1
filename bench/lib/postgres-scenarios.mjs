// Gatehouse on PostgreSQL (with DATABASE_URL=postgres://… or --postgres [URL]): in a database of its own,
// the raw durable commit rate of a rotation, then the profile read and the refresh with rotation on one
// instance, then on two instances over the same database, with the same connections and duration as the
// SQLite loads. The database is dropped and the servers stopped whatever happens.
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { createBenchUser, knowsSetting } from './database.mjs';
import { runSpreadLoad } from './load.mjs';
import {
  createDatabase,
  databaseKeyTokenService,
  dropDatabase,
  openPostgresStore,
  openSessionsInBulk,
  rawPostgresRotationRate,
  redactUrl,
  serverSettings,
  watchPostgresCpu,
} from './postgres.mjs';
import { cpuSeconds, freePort, HOST, watchOtherLoad } from './processes.mjs';
import { fixed } from './report.mjs';

/**
 * What run.mjs lends: its settings and its helpers for servers and measurements.
 * @typedef {object} Bench
 * @property {import('./database.mjs').Gatehouse} gh
 * @property {string} serverUrl          the PostgreSQL server to create the database on
 * @property {Set<string>} selected      --only
 * @property {number} seconds
 * @property {number} warmupSeconds
 * @property {number} connections
 * @property {string} serverScript
 * @property {string[]} nodeFlags
 * @property {string} root
 * @property {(text: string) => void} say
 * @property {(spec: any) => Promise<import('./processes.mjs').Child>} start
 * @property {(child: import('./processes.mjs').Child) => Promise<void>} stop
 * @property {<T extends { otherCores: number }>(attempt: () => Promise<T>) => Promise<T & { attempts: number }>} bestOf
 * @property {() => Promise<void>} quiet
 * @property {() => void} alive
 * @property {(otherCores: number) => string} noise
 * @property {(settings: Record<string, string>) => NodeJS.ProcessEnv} serverEnvironment
 */

/** @param {Bench} bench */
export async function measurePostgres(bench) {
  const { gh, say, selected, seconds, connections } = bench;
  const wantProfile = selected.has('profile');
  const wantRefresh = selected.has('refresh');
  if (!wantProfile && !wantRefresh) {
    say('\nPostgreSQL: nothing to measure (its scenarios are profile and refresh, and --only has neither).');
    return undefined;
  }
  const settings = await serverSettings(bench.serverUrl);
  const database = await createDatabase(bench.serverUrl);
  const results = /** @type {Record<string, any>} */ ({
    server: redactUrl(bench.serverUrl),
    database: database.name,
    version: settings.version,
    settings,
  });
  /** @type {import('./processes.mjs').Child[]} */
  const servers = [];
  /** @type {ReturnType<typeof openPostgresStore> | undefined} */
  let prep;
  try {
    const env = bench.serverEnvironment({
      NODE_ENV: 'production',
      GATEHOUSE_LOG_LEVEL: 'warn',
      GATEHOUSE_ACCESS_TOKEN_LIFETIME: '1h',
      DATABASE_URL: database.url,
      HOST,
    });
    // No GATEHOUSE_SIGNING_KEY: the instances sign with the key kept in the database, as a deployment of
    // several would. The rate limits are off, as for SQLite (every request comes from one address).
    if (knowsSetting(gh, env, 'GATEHOUSE_RATE_LIMITS', 'false')) env.GATEHOUSE_RATE_LIMITS = 'false';
    const config = gh.parseConfig(env);
    if (config.database.kind !== 'postgres')
      throw new Error('this build of Gatehouse does not take PostgreSQL');
    results.poolSize = config.database.poolSize;
    results.gatehouseEnvironment = Object.fromEntries(
      Object.entries(env).filter(([name]) => name.startsWith('GATEHOUSE_')),
    );
    results.signingKey = 'HMAC key kept in the database, loaded by each instance';
    results.twoInstanceLoad = `${connections} connections split between the instances, one autocannon each`;
    say(
      `\nGatehouse on PostgreSQL (${settings.version.split(' on ')[0]}, synchronous_commit=${settings.synchronous_commit}, ` +
        `fsync=${settings.fsync}, wal_sync_method=${settings.wal_sync_method}), database ${redactUrl(database.url)}:`,
    );
    say(`  pool of ${config.database.poolSize} connections per instance, signing key kept in the database`);

    const user = await createBenchUser(gh, config, env); // migrates, creates the demo users
    prep = openPostgresStore(gh, database.url, { max: 2, fast: true });
    const session = await (await databaseKeyTokenService(gh, config, prep.store)).issuePair(user);

    let tokensPerRun = 0;
    if (wantRefresh) {
      const raw = async (/** @type {number} */ chains) => {
        process.stdout.write(
          `  rotation commits, the raw statements (node-postgres, ${chains} connection${chains > 1 ? 's' : ''}, one transaction each) ...`,
        );
        const result = await bench.bestOf(async () => {
          await bench.quiet();
          const began = performance.now();
          const load = watchOtherLoad([process.pid]);
          const measured = await rawPostgresRotationRate(gh, config, database, user, seconds, chains);
          const { otherCores } = load.stop();
          const window = (performance.now() - began) / 1000;
          return { ...measured, otherCores: Math.max(0, otherCores - measured.postgresCpuSeconds / window) };
        });
        say(
          ` ${fixed(result.rate)} commits/s (PostgreSQL ${fixed(result.postgresCpuSeconds / result.seconds, 2)} cores)` +
            bench.noise(result.otherCores),
        );
        return result;
      };
      results.durable = { raw: await raw(1), rawConcurrent: await raw(connections) };
      // Enough for the two warm-ups and the run at the raw rate, with a margin: HTTP cannot rotate faster.
      const rate = Math.max(results.durable.raw.rate, results.durable.rawConcurrent.rate);
      tokensPerRun = Math.ceil(rate * (seconds + 2 * bench.warmupSeconds) * 1.25) + 1000;
    }

    /**
     * @param {import('./processes.mjs').Child[]} on  the instances under load
     * @param {import('./processes.mjs').Child[]} idle  warmed alike before each measurement, then idle
     */
    const scenarios = async (on, idle) => {
      const label = on.length === 1 ? '1 instance' : `${on.length} instances`;
      /** @type {Record<string, any>} */
      const measured = {};
      if (wantProfile) {
        const spec = {
          path: '/api/profile/',
          headers: { authorization: `Bearer ${session.access}` },
          connections,
          seconds,
        };
        measured.profile = await measureOn(
          bench,
          database.name,
          on,
          `${label}: GET /api/profile/`,
          spec,
          () => warmUp(bench, idle, spec),
        );
      }
      if (wantRefresh && prep) {
        const from = prep;
        /** @type {string[]} */
        let tokens = [];
        let next = 0;
        let used = 0;
        let prepared = 0;
        let exhausted = false;
        // Before each attempt (a retry needs tokens of its own), while the servers idle.
        const refill = async () => {
          if (tokens.length - next < tokensPerRun) {
            process.stdout.write(` (opening ${tokensPerRun} sessions)`);
            const opened = await openSessionsInBulk(gh, config, from, user, tokensPerRun);
            tokens = [...tokens.slice(next), ...opened.sessions.map((s) => s.refresh)];
            next = 0;
            prepared += tokensPerRun;
          }
          await warmUp(bench, idle, spec);
        };
        /** @type {Omit<import('./load.mjs').LoadSpec, 'port'>} */
        const spec = {
          path: '/api/token/refresh/',
          method: 'POST',
          nextBody: () => {
            if (next >= tokens.length) exhausted = true;
            used++;
            return JSON.stringify({ refresh: tokens[next++ % tokens.length] });
          },
          connections,
          seconds,
        };
        measured.refresh = await measureOn(
          bench,
          database.name,
          on,
          `${label}: POST /api/token/refresh/ (rotation, a fresh token each)`,
          spec,
          refill,
        );
        Object.assign(measured.refresh, { tokensUsed: used, tokensPrepared: prepared });
        if (exhausted) throw new Error(`the ${prepared} prepared refresh tokens ran out`);
      }
      return measured;
    };

    const startInstance = async () => {
      const port = await freePort();
      const child = await bench.start({
        script: bench.serverScript,
        nodeArgs: bench.nodeFlags,
        env: { ...env, PORT: String(port) },
        port,
        readyPath: '/api/',
        cwd: bench.root,
      });
      servers.push(child);
      return child;
    };
    // Both from the start: before each measurement on the first, the second gets the same warm-up alone,
    // so that neither is colder than the other once both take the load.
    const [first, second] = await Promise.all([startInstance(), startInstance()]);
    say('  one instance (the second one idles, warmed alike for what follows):');
    results.oneInstance = await scenarios([first], [second]);
    say('  two instances, the connections shared between them:');
    results.twoInstances = await scenarios([first, second], []);

    const warnings = servers
      .map((child) => child.output().trim())
      .filter(Boolean)
      .join('\n');
    if (warnings) {
      const lines = warnings.split('\n');
      say(
        `  the servers wrote ${lines.length} line(s) at level warn or above, the first:\n${lines.slice(0, 5).join('\n')}`,
      );
    }
  } finally {
    await Promise.all(servers.map((child) => bench.stop(child)));
    await prep?.close();
    await dropDatabase(database.name);
  }
  return results;
}

/**
 * A warm-up of each of `servers` alone, with the load of a measurement.
 * @param {Bench} bench
 * @param {import('./processes.mjs').Child[]} servers
 * @param {Omit<import('./load.mjs').LoadSpec, 'port'>} spec
 */
async function warmUp(bench, servers, spec) {
  for (const child of servers) await runSpreadLoad([child.port], { ...spec, seconds: bench.warmupSeconds });
}

/**
 * As run.mjs's measure(), over one or more servers: a warm-up, then the measured load spread over them,
 * with the CPU of the Gatehouse processes (summed) and of PostgreSQL per answer. PostgreSQL's CPU is left
 * out of the other processes' share: it is part of what is measured.
 * @param {Bench} bench
 * @param {string} database
 * @param {import('./processes.mjs').Child[]} servers
 * @param {string} label
 * @param {Omit<import('./load.mjs').LoadSpec, 'port'>} spec
 */
async function measureOn(bench, database, servers, label, spec, beforeAttempt = async () => {}) {
  process.stdout.write(`    ${label} ...`);
  const ports = servers.map((child) => child.port);
  const pids = servers.map((child) => child.pid);
  const serverCpu = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const result = await bench.bestOf(async () => {
    await beforeAttempt();
    await runSpreadLoad(ports, { ...spec, seconds: bench.warmupSeconds });
    bench.alive();
    await bench.quiet();
    const load = watchOtherLoad([process.pid, ...pids]);
    const postgres = watchPostgresCpu(database);
    const cpuBefore = serverCpu();
    const loaded = await runSpreadLoad(ports, spec);
    bench.alive();
    const answered = loaded.ok + loaded.non2xx;
    const serverCpuUsPerRequest = ((serverCpu() - cpuBefore) * 1e6) / answered;
    const postgresSeconds = postgres.stop();
    const { otherCores } = load.stop();
    return {
      ...loaded,
      serverCpuUsPerRequest,
      postgresCpuUsPerRequest: (postgresSeconds * 1e6) / answered,
      postgresCores: postgresSeconds / loaded.seconds,
      otherCores: Math.max(0, otherCores - postgresSeconds / loaded.seconds),
    };
  });
  const split = servers.length > 1 ? ` (${result.instances.map((i) => fixed(i.rps)).join(' + ')})` : '';
  bench.say(
    ` ${fixed(result.rps)} req/s${split}, p50 ${fixed(result.latencyMs.p50, 2)} ms, p99 ${fixed(result.latencyMs.p99, 2)} ms,` +
      ` Gatehouse CPU ${fixed(result.serverCpuUsPerRequest)} µs/request, PostgreSQL ${fixed(result.postgresCpuUsPerRequest)}` +
      bench.noise(result.otherCores),
  );
  return result;
}

/**
 * The PostgreSQL rows of the table, labelled with the backend and the number of instances.
 * @param {Record<string, any>} pg  results.postgres
 * @param {(label: string, r: any) => string[]} httpRow
 */
export function postgresRows(pg, httpRow) {
  const rows = [];
  for (const [key, instances] of /** @type {const} */ ([
    ['oneInstance', '1 instance'],
    ['twoInstances', '2 instances'],
  ])) {
    const measured = pg[key] ?? {};
    if (measured.profile) rows.push(httpRow(`PostgreSQL, ${instances}: GET /api/profile/`, measured.profile));
    if (measured.refresh)
      rows.push(httpRow(`PostgreSQL, ${instances}: POST /api/token/refresh/`, measured.refresh));
  }
  if (pg.durable) {
    for (const r of [pg.durable.raw, pg.durable.rawConcurrent]) {
      const label = `PostgreSQL: rotation commits/s, raw SQL, ${r.chains} connection${r.chains > 1 ? 's' : ''}`;
      rows.push([label, fixed(r.rate), '', '', '', '', '', fixed(r.otherCores, 2)]);
    }
  }
  return rows;
}

/**
 * Lines under the table: the server, PostgreSQL's own CPU, and refresh against the raw commit rate.
 * @param {Record<string, any>} pg
 */
export function postgresExtras(pg) {
  const s = pg.settings;
  const lines = [
    `PostgreSQL rows: ${s.version.split(' on ')[0]}, synchronous_commit=${s.synchronous_commit}, fsync=${s.fsync}, ` +
      `wal_sync_method=${s.wal_sync_method}; a pool of ${pg.poolSize} connections per instance; the other rows are ` +
      'the embedded SQLite database, one instance',
  ];
  const cpu = [];
  for (const [key, instances] of /** @type {const} */ ([
    ['oneInstance', '1 instance'],
    ['twoInstances', '2 instances'],
  ])) {
    for (const [name, r] of Object.entries(pg[key] ?? {})) {
      cpu.push(
        `${name} on ${instances} ${fixed(r.postgresCpuUsPerRequest)} µs/req (${fixed(r.postgresCores, 2)} cores)`,
      );
    }
  }
  if (cpu.length > 0) lines.push(`PostgreSQL's own CPU: ${cpu.join(', ')}`);
  if (pg.durable) {
    const ratios = [];
    for (const [key, instances] of /** @type {const} */ ([
      ['oneInstance', '1 instance'],
      ['twoInstances', '2 instances'],
    ])) {
      const refresh = pg[key]?.refresh;
      if (!refresh) continue;
      ratios.push(
        `${instances} ${fixed(refresh.rps / pg.durable.raw.rate, 2)}× (1 connection), ` +
          `${fixed(refresh.rps / pg.durable.rawConcurrent.rate, 2)}× (${pg.durable.rawConcurrent.chains} connections)`,
      );
    }
    if (ratios.length > 0) lines.push(`PostgreSQL refresh vs its raw commit rate: ${ratios.join('; ')}`);
  }
  return lines;
}
