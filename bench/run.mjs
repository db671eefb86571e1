// `npm run bench` (`-- --quick` for ~1 s per measurement). Measures, in one run and on loopback only, a
// bare Fastify baseline and Gatehouse (built dist/, embedded SQLite in a temp dir) with the same
// connections and duration for each load, prints a table and writes bench/results/latest.json.
// BENCHMARKS.md explains the method. Options:
//   --quick                 1 s per measurement, 0.3 s warm-ups, one start-up sample
//   --seconds N             seconds per measurement (default 10)
//   --connections N         concurrent connections for every load (default 10)
//   --only a,b              Gatehouse scenarios to run: profile, verify, refresh, login, storm
//   --out FILE              where to write the JSON (default bench/results/latest.json)
//   --cpu-prof              run both servers under `node --cpu-prof` and summarise where their time goes
//   --node-flags "F ..."    extra node flags for the Gatehouse server (e.g. --max-semi-space-size=4)
//   --markdown              also print the tables in Markdown (for BENCHMARKS.md)
//   --wait-quiet            before each measurement, wait (up to 60 s) until other processes use < 0.1 core
//   --retries N             take a measurement again (up to N times) when other processes were busy during
//                           it, keeping the quietest attempt (for shared machines)
//   --django-key            Gatehouse with GATEHOUSE_DJANGO_SECRET_KEY set (the old Django deployment's tokens
//                           accepted too): what that costs Gatehouse's own tokens
//   --postgres [URL]        also PostgreSQL (as does DATABASE_URL=postgres://…; without a URL, the local
//                           server the tests use): in a database of its own on that server, dropped at the
//                           end, the raw commit rate and the profile and refresh loads on one and two instances
import console from 'node:console';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, URL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatProfile, summarizeProfile } from './lib/cpu-profile.mjs';
import {
  BENCH_USER,
  BENCH_READER,
  createBenchUser,
  findBenchUser,
  knowsSetting,
  loadGatehouse,
  openSessions,
  postgresNote,
  loginFailureTiming,
  passwordHashCost,
  rawRotationRate,
  serviceRotationRate,
} from './lib/database.mjs';
import { runLoad } from './lib/load.mjs';
import {
  dropDatabasesSync,
  postgresServerUrl,
  serverSettings,
  withPostgresDefault,
} from './lib/postgres.mjs';
import { measurePostgres, postgresExtras, postgresRows } from './lib/postgres-scenarios.mjs';
import {
  cpuSeconds,
  freePort,
  HOST,
  memory,
  sampleRss,
  startServer,
  stopServer,
  watchOtherLoad,
} from './lib/processes.mjs';
import { fixed, machine, markdownTable, table } from './lib/report.mjs';
import { INITIAL_JS_BUDGET_KB, initialJs } from './lib/web-size.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER_SCRIPT = path.join(ROOT, 'packages/server/dist/server.js');
const BASELINE_SCRIPT = path.join(ROOT, 'bench/baseline-server.mjs');
const SCENARIOS = ['profile', 'verify', 'refresh', 'login', 'storm'];

const { values: options } = parseArgs({
  args: withPostgresDefault(process.argv.slice(2)),
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    connections: { type: 'string', default: '10' },
    only: { type: 'string' },
    out: { type: 'string', default: path.join(ROOT, 'bench/results/latest.json') },
    'cpu-prof': { type: 'boolean', default: false },
    'wait-quiet': { type: 'boolean', default: false },
    'node-flags': { type: 'string', default: '' },
    retries: { type: 'string', default: '0' },
    markdown: { type: 'boolean', default: false },
    postgres: { type: 'string' },
    'django-key': { type: 'boolean', default: false },
  },
});
const quick = options.quick;
const seconds = Number(options.seconds ?? (quick ? 1 : 10));
const warmupSeconds = quick ? 0.3 : 2;
const connections = Number(options.connections);
const startupSamples = quick ? 1 : 3;
const retries = Number(options.retries);
const nodeFlags = options['node-flags'].split(/\s+/).filter(Boolean);
const selected = new Set(options.only ? options.only.split(',').map((s) => s.trim()) : SCENARIOS);
for (const name of selected) {
  if (!SCENARIOS.includes(name))
    throw new Error(`--only: unknown scenario "${name}" (${SCENARIOS.join(', ')})`);
}
if (!(seconds > 0) || !(connections > 0)) throw new Error('--seconds and --connections must be positive');
const postgresUrl = postgresServerUrl(options.postgres, process.env.DATABASE_URL);

/** @type {Set<import('./lib/processes.mjs').Child>} */
const running = new Set();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
let keepTmp = false;

async function cleanUp() {
  await Promise.all([...running].map((child) => stopServer(child)));
  dropDatabasesSync();
  if (!keepTmp) rmSync(tmp, { recursive: true, force: true });
}
// Bounded in time whatever happens: a run that hangs is stopped.
const watchdog = setTimeout(() => {
  console.error('bench: took more than 15 minutes, giving up');
  for (const child of running) child.proc.kill('SIGKILL');
  dropDatabasesSync();
  process.exit(3);
}, 15 * 60_000);
watchdog.unref();
const interrupted = () => {
  for (const child of running) child.proc.kill('SIGKILL');
  dropDatabasesSync();
  rmSync(tmp, { recursive: true, force: true });
  process.exit(130);
};
process.on('SIGINT', interrupted);
process.on('SIGTERM', interrupted);

/** @param {string} text */
const say = (text) => console.log(text);

/**
 * Starts a child server and remembers it for clean-up.
 * @param {Parameters<typeof startServer>[0]} spec
 */
async function start(spec) {
  const child = await startServer(spec);
  running.add(child);
  return child;
}

/** @param {import('./lib/processes.mjs').Child} child */
async function stop(child) {
  await stopServer(child);
  running.delete(child);
}

/**
 * A warm-up, then the measured load, with the server's resident memory sampled meanwhile.
 * @param {string} label
 * @param {number} pid
 * @param {import('./lib/load.mjs').LoadSpec} spec
 */
async function measure(label, pid, spec, beforeAttempt = async () => {}) {
  process.stdout.write(`  ${label} ...`);
  const result = await bestOf(async () => {
    await beforeAttempt();
    await runLoad({ ...spec, seconds: warmupSeconds });
    alive();
    await quiet();
    const rss = sampleRss(pid);
    const load = watchOtherLoad([process.pid, pid]);
    const cpuBefore = cpuSeconds(pid);
    const loaded = await runLoad(spec);
    alive();
    const serverCpuUsPerRequest = ((cpuSeconds(pid) - cpuBefore) * 1e6) / (loaded.ok + loaded.non2xx);
    const { otherCores } = load.stop();
    return { ...loaded, peakRssMiB: rss.stop(), otherCores, serverCpuUsPerRequest };
  });
  say(
    ` ${fixed(result.rps)} req/s, p50 ${fixed(result.latencyMs.p50, 2)} ms, p99 ${fixed(result.latencyMs.p99, 2)} ms,` +
      ` server CPU ${fixed(result.serverCpuUsPerRequest)} µs/request${noise(result.otherCores)}`,
  );
  return result;
}

/** Every server this run started is still running: a load against a dead one measures nothing. */
function alive() {
  for (const child of running) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      const how = child.proc.signalCode ?? `code ${child.proc.exitCode}`;
      throw new Error(`the server under test exited (${how}) during the load; it wrote:\n${child.output()}`);
    }
  }
}

/**
 * Runs `work` with the other processes' CPU use measured meanwhile.
 * @template T
 * @param {() => Promise<T>} work
 * @returns {Promise<T & { otherCores: number }>}
 */
function watched(work) {
  return bestOf(async () => {
    await quiet();
    const load = watchOtherLoad([process.pid]);
    const result = await work();
    return { ...result, otherCores: load.stop().otherCores };
  });
}

/**
 * With --retries N: a measurement during which other processes were busy is taken again, up to N more
 * times, and the quietest attempt kept.
 * @template {{ otherCores: number }} T
 * @param {() => Promise<T>} attempt
 * @returns {Promise<T & { attempts: number }>}
 */
async function bestOf(attempt) {
  /** @type {T | undefined} */
  let best;
  let attempts = 0;
  while (attempts <= retries) {
    const result = await attempt();
    attempts++;
    if (best === undefined || result.otherCores < best.otherCores) best = result;
    if (best.otherCores <= NOISY_CORES) break;
    if (attempts <= retries)
      process.stdout.write(` (noisy: ${fixed(result.otherCores, 2)} other cores; again)`);
  }
  return { .../** @type {T} */ (best), attempts };
}

/** Other processes used this much CPU during a measurement: the figure may be low. */
const NOISY_CORES = 0.15;
/** @param {number} otherCores */
function noise(otherCores) {
  return otherCores > NOISY_CORES ? ` (other processes used ${fixed(otherCores, 2)} cores meanwhile!)` : '';
}

/** With --wait-quiet: waits until other processes use less than 0.1 core over a second, 60 s at most. */
async function quiet() {
  if (!options['wait-quiet']) return;
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const load = watchOtherLoad([process.pid, ...[...running].map((child) => child.pid)]);
    await sleep(1000);
    if (load.stop().otherCores < 0.1) return;
  }
}

/**
 * With --cpu-prof: node's flags to write a CPU profile of a server into the temp dir (kept).
 * @param {string} name
 */
function profilerArgs(name) {
  if (!options['cpu-prof']) return [];
  const dir = path.join(tmp, 'cpu-prof', name);
  mkdirSync(dir, { recursive: true });
  keepTmp = true;
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/** The server's environment: ours, minus anything that would configure Gatehouse differently. */
function serverEnvironment(/** @type {Record<string, string>} */ settings) {
  /** @type {NodeJS.ProcessEnv} */
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (
      name.startsWith('GATEHOUSE_') ||
      ['DATABASE_URL', 'HOST', 'PORT', 'NODE_ENV', 'NODE_OPTIONS'].includes(name)
    ) {
      continue;
    }
    env[name] = value;
  }
  return { ...env, ...settings };
}

async function main() {
  const gh = await loadGatehouse(path.join(ROOT, 'packages/server/dist'));
  const postgres = postgresNote(gh, postgresUrl);
  if (postgresUrl !== undefined) await serverSettings(postgresUrl); // reachable, before anything else runs
  const info = machine();
  const results = /** @type {Record<string, any>} */ ({
    version: 1,
    mode: quick ? 'quick' : 'full',
    date: new Date().toISOString(),
    machine: info,
    settings: {
      nodeFlags,
      // Environment that changes how the server runs, passed through to it.
      environment: Object.fromEntries(
        Object.entries(process.env).filter(([name]) => /^(MALLOC_|UV_THREADPOOL_SIZE$)/.test(name)),
      ),
      connections,
      seconds,
      warmupSeconds,
      pipelining: 1,
      loadGenerator: 'autocannon 9, in the bench process',
    },
    database: { kind: 'sqlite', journal: 'WAL', synchronous: 'FULL', note: postgres },
  });
  say(
    `Gatehouse bench (${results.mode}): ${connections} connections, ${seconds} s per measurement after a ${warmupSeconds} s warm-up`,
  );
  if (nodeFlags.length > 0 || Object.keys(results.settings.environment).length > 0) {
    say(`server: node ${nodeFlags.join(' ')} ${JSON.stringify(results.settings.environment)}`);
  }
  say(`machine: ${info.nproc} CPUs, ${info.cpuModel}, Node ${info.node}, ${info.os}, ${info.memoryGiB} GiB`);
  say(`database: embedded SQLite (WAL, synchronous=FULL) in ${tmp}`);
  say(postgres);
  // The web app npm run build just built: the JavaScript the login page loads (bench/lib/web-size.mjs).
  results.webApp = { initialJs: initialJs(path.join(ROOT, 'apps/web/dist')) };

  // ---- The baseline: a bare Fastify, alone on the machine with the load generator.
  say('\nbaseline (bare Fastify, fixed small JSON body):');
  const baselinePort = await freePort();
  const baseline = await start({
    script: BASELINE_SCRIPT,
    nodeArgs: profilerArgs('baseline'),
    env: serverEnvironment({ NODE_ENV: 'production', PORT: String(baselinePort) }),
    port: baselinePort,
    readyPath: '/',
    cwd: ROOT,
  });
  results.baseline = {
    get: await measure('GET /', baseline.pid, { port: baselinePort, path: '/', connections, seconds }),
    post: await measure('POST / (JSON body)', baseline.pid, {
      port: baselinePort,
      path: '/',
      method: 'POST',
      body: JSON.stringify({ token: 'x'.repeat(200) }),
      connections,
      seconds,
    }),
  };
  await stop(baseline);

  // ---- Gatehouse's database, prepared in this process with Gatehouse's own code.
  const port = await freePort();
  const signingKey = randomBytes(36).toString('base64url'); // 48 characters
  const databasePath = path.join(tmp, 'gatehouse.sqlite3');
  const env = serverEnvironment({
    NODE_ENV: 'production',
    GATEHOUSE_LOG_LEVEL: 'warn',
    GATEHOUSE_SIGNING_KEY: signingKey,
    // Tokens are minted before the run: they must outlive it.
    GATEHOUSE_ACCESS_TOKEN_LIFETIME: '1h',
    DATABASE_URL: `sqlite:${databasePath}`,
    HOST,
    PORT: String(port),
  });
  // Every request comes from one client address: the per-IP rate limits (refresh: 300 a minute) would
  // answer 429 to nearly all of them. The bench measures the work, so they are off where the build has them.
  if (knowsSetting(gh, env, 'GATEHOUSE_RATE_LIMITS', 'false')) env.GATEHOUSE_RATE_LIMITS = 'false';
  // A random key: no request carries an old token, so this measures what the option costs the others.
  if (options['django-key']) env.GATEHOUSE_DJANGO_SECRET_KEY = randomBytes(38).toString('base64url');
  results.settings.gatehouseEnvironment = Object.fromEntries(
    Object.entries(env).filter(
      ([name]) =>
        name.startsWith('GATEHOUSE_') &&
        !['GATEHOUSE_SIGNING_KEY', 'GATEHOUSE_DJANGO_SECRET_KEY'].includes(name),
    ),
  );
  const config = gh.parseConfig(env);
  say('\nGatehouse, prepared in-process (no HTTP):');
  say(
    `  server environment: NODE_ENV=production ${Object.entries(results.settings.gatehouseEnvironment)
      .map(([name, value]) => `${name}=${value}`)
      .join(' ')} GATEHOUSE_SIGNING_KEY=<48 random characters>`,
  );
  await createBenchUser(gh, config, env);
  // Every session opened here is the reader's: the login loads (BENCH_USER) would end them (BENCH_READER).
  const user = await findBenchUser(gh, config, BENCH_READER.username);
  const hash = await watched(() => passwordHashCost(gh, config, quick ? 3 : 20));
  results.hash = hash;
  const params = config.passwordHash;
  say(
    `  argon2id (m=${params.memoryCost} KiB, t=${params.timeCost}, p=${params.parallelism}): one verify ` +
      `${fixed(hash.verifyMedianMs, 1)} ms (median of ${hash.samples}), one hash ${fixed(hash.hashMs, 1)} ms`,
  );
  const failedLogins = await watched(() => loginFailureTiming(gh, config, quick ? 5 : 30));
  results.loginFailures = failedLogins;
  say(
    `  failed logins (users service, medians of ${failedLogins.samples} interleaved pairs): wrong password ` +
      `${fixed(failedLogins.wrongPasswordMs, 1)} ms, unknown user ${fixed(failedLogins.unknownUserMs, 1)} ms`,
  );
  const [session] = (await openSessions(gh, config, signingKey, user, 1)).sessions;

  const wantRefresh = selected.has('refresh');
  /** @type {string[]} */
  let refreshTokens = [];
  let refreshBatch = 0;
  if (wantRefresh) {
    process.stdout.write('  rotation commits, the raw statements (better-sqlite3, one transaction each) ...');
    results.durable = { raw: await watched(() => rawRotationRate(gh, config, signingKey, user, seconds)) };
    say(` ${fixed(results.durable.raw.rate)} commits/s${noise(results.durable.raw.otherCores)}`);
    process.stdout.write('  rotation commits through the token service and store (Kysely, async) ...');
    results.durable.service = await watched(() => serviceRotationRate(gh, config, signingKey, user, seconds));
    say(` ${fixed(results.durable.service.rate)} commits/s${noise(results.durable.service.otherCores)}`);
    // Enough for the warm-up and the run at twice the raw rate, with a margin: with group commit, refreshes
    // that arrive together share a commit, so HTTP can rotate faster than one rotation per commit.
    const rate = Math.max(results.durable.raw.rate, results.durable.service.rate);
    const count = Math.min(600_000, Math.ceil(rate * 2 * (seconds + warmupSeconds) * 1.25) + 1000);
    refreshBatch = count;
    process.stdout.write(
      `  opening ${count} sessions with the token service (issuePair) for the refresh load ...`,
    );
    const opened = await openSessions(gh, config, signingKey, user, count);
    refreshTokens = opened.sessions.map((s) => s.refresh);
    results.refreshTokens = { prepared: count, ms: opened.ms };
    say(` ${fixed(opened.ms)} ms`);
  }

  // ---- Start-up: spawn to first answer of GET /api/, on an empty database and on the prepared one.
  say('\nstart-up (spawn `node packages/server/dist/server.js` until GET /api/ answers):');
  const startupEnv = (/** @type {string} */ file, /** @type {number} */ p) => ({
    ...env,
    DATABASE_URL: `sqlite:${file}`,
    PORT: String(p),
  });
  /** @param {string} file */
  const startupSample = (file) =>
    bestOf(async () => {
      await quiet();
      const load = watchOtherLoad([process.pid]);
      const p = await freePort();
      const child = await start({
        script: SERVER_SCRIPT,
        nodeArgs: nodeFlags,
        env: startupEnv(file, p),
        port: p,
        readyPath: '/api/',
        cwd: ROOT,
      });
      await stop(child);
      return { ms: child.startupMs, otherCores: load.stop().otherCores };
    });
  const first = await startupSample(path.join(tmp, 'empty.sqlite3'));
  say(`  empty database (creates and migrates it): ${fixed(first.ms)} ms${noise(first.otherCores)}`);
  const samples = [];
  for (let i = 0; i < startupSamples; i++) samples.push(await startupSample(databasePath));
  const startups = samples.map((sample) => sample.ms);
  const sortedStartups = [...startups].sort((a, b) => a - b);
  results.startup = {
    emptyDatabaseMs: first.ms,
    samplesMs: startups,
    medianMs: sortedStartups[Math.floor(sortedStartups.length / 2)],
    otherCores: Math.max(...samples.map((sample) => sample.otherCores)),
  };
  say(
    `  prepared database: ${startups.map((ms) => fixed(ms)).join(', ')} ms (median ${fixed(results.startup.medianMs)} ms)` +
      noise(results.startup.otherCores),
  );

  // ---- The server under load.
  const server = await start({
    script: SERVER_SCRIPT,
    nodeArgs: [...nodeFlags, ...profilerArgs('gatehouse')],
    env,
    port,
    readyPath: '/api/',
    cwd: ROOT,
  });
  await sleep(1000);
  results.memory = { idleMiB: memory(server.pid).rssMiB };
  say(`\nGatehouse over HTTP (idle RSS ${fixed(results.memory.idleMiB, 1)} MiB):`);

  const bearer = { authorization: `Bearer ${session.access}` };
  const loginBody = JSON.stringify({ username: BENCH_USER.username, password: BENCH_USER.password });
  // The bench user is a returning user: one login from this address first. Ten parallel logins of one
  // account from a device it never used are throttled beyond the free attempts until one succeeds (the
  // login throttle reserves each attempt before hashing: BENCHMARKS.md); the loads measure the steady state.
  if (selected.has('login') || selected.has('storm')) {
    const first = await globalThis.fetch(`http://127.0.0.1:${port}/api/token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: loginBody,
    });
    if (first.status !== 200) throw new Error(`the bench user's first login answered ${first.status}`);
  }
  const gatehouse = /** @type {Record<string, any>} */ ({});
  results.gatehouse = gatehouse;
  if (selected.has('profile')) {
    // The API root: no token, no database. What Gatehouse's HTTP stack (its hooks, headers and error
    // handling) costs over the baseline, before any authentication or SQL.
    gatehouse.apiRoot = await measure('GET /api/ (no token, no database)', server.pid, {
      port,
      path: '/api/',
      connections,
      seconds,
    });
    gatehouse.profile = await measure('GET /api/profile/', server.pid, {
      port,
      path: '/api/profile/',
      headers: bearer,
      connections,
      seconds,
    });
  }
  if (selected.has('verify')) {
    gatehouse.verify = await measure('POST /api/token/verify/ (access token)', server.pid, {
      port,
      path: '/api/token/verify/',
      method: 'POST',
      body: JSON.stringify({ token: session.access }),
      connections,
      seconds,
    });
    gatehouse.verifyRefresh = await measure(
      'POST /api/token/verify/ (refresh token: + revocation lookup)',
      server.pid,
      {
        port,
        path: '/api/token/verify/',
        method: 'POST',
        body: JSON.stringify({ token: session.refresh }),
        connections,
        seconds,
      },
    );
  }
  if (wantRefresh) {
    let next = 0;
    let used = 0;
    let exhausted = false;
    const refill = async () => {
      // A retried measurement needs tokens of its own: open more sessions while the server idles.
      if (refreshTokens.length - next >= refreshBatch) return;
      const opened = await openSessions(gh, config, signingKey, user, refreshBatch);
      refreshTokens = [...refreshTokens.slice(next), ...opened.sessions.map((s) => s.refresh)];
      next = 0;
    };
    gatehouse.refresh = await measure(
      'POST /api/token/refresh/ (rotation, a fresh token each)',
      server.pid,
      {
        port,
        path: '/api/token/refresh/',
        method: 'POST',
        nextBody: () => {
          if (next >= refreshTokens.length) exhausted = true;
          used++;
          return JSON.stringify({ refresh: refreshTokens[next++ % refreshTokens.length] });
        },
        connections,
        seconds,
      },
      refill,
    );
    gatehouse.refresh.tokensUsed = used; // over every attempt and warm-up
    if (exhausted) throw new Error(`the ${refreshTokens.length} prepared refresh tokens ran out`);
  }
  if (selected.has('login')) {
    gatehouse.login = await measure('POST /api/token/ (login)', server.pid, {
      port,
      path: '/api/token/',
      method: 'POST',
      body: loginBody,
      connections,
      seconds,
    });
  }
  if (selected.has('storm')) {
    process.stdout.write('  GET /api/profile/ during a login storm (both loads at once) ...');
    const readsSpec = { port, path: '/api/profile/', headers: bearer, connections, seconds };
    const loginsSpec = {
      port,
      path: '/api/token/',
      method: /** @type {const} */ ('POST'),
      body: loginBody,
      connections,
      seconds,
    };
    await Promise.all([
      runLoad({ ...readsSpec, seconds: warmupSeconds }),
      runLoad({ ...loginsSpec, seconds: warmupSeconds }),
    ]);
    await quiet();
    const rss = sampleRss(server.pid);
    const load = watchOtherLoad([process.pid, server.pid]);
    const [reads, logins] = await Promise.all([runLoad(readsSpec), runLoad(loginsSpec)]);
    alive();
    const { otherCores } = load.stop();
    gatehouse.storm = {
      reads: { ...reads, otherCores },
      logins: { ...logins, otherCores },
      peakRssMiB: rss.stop(),
    };
    say(
      ` reads ${fixed(reads.rps)} req/s, p50 ${fixed(reads.latencyMs.p50, 2)} ms, p99 ${fixed(reads.latencyMs.p99, 2)} ms;` +
        ` logins ${fixed(logins.rps, 1)}/s${noise(otherCores)}`,
    );
  }

  await sleep(2000);
  const after = memory(server.pid);
  results.memory.afterLoadIdleMiB = after.rssMiB;
  results.memory.peakMiB = after.hwmMiB;
  results.memory.peakByScenarioMiB = Object.fromEntries(
    Object.entries(gatehouse).map(([name, r]) => [name, r.peakRssMiB]),
  );
  const warnings = server.output().trim();
  await stop(server);
  if (warnings) {
    const lines = warnings.split('\n');
    const shown = lines.slice(0, 5).map((line) => (line.length > 400 ? `${line.slice(0, 400)}…` : line));
    say(`\nthe server wrote ${lines.length} line(s) at level warn or above, the first:\n${shown.join('\n')}`);
  }

  if (postgresUrl !== undefined) {
    results.postgres = await measurePostgres({
      ...{ gh, serverUrl: postgresUrl, selected, seconds, warmupSeconds, connections, nodeFlags, root: ROOT },
      ...{ serverScript: SERVER_SCRIPT, say, start, stop, bestOf, quiet, alive, noise, serverEnvironment },
    });
  }

  if (options['cpu-prof']) {
    results.cpuProfiles = {};
    for (const name of ['baseline', 'gatehouse']) {
      const dir = path.join(tmp, 'cpu-prof', name);
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) continue;
      const summary = summarizeProfile(path.join(dir, file));
      results.cpuProfiles[name] = { file: path.join(dir, file), ...summary };
      say(`\nCPU profile of the ${name} server (${path.join(dir, file)}):\n${formatProfile(summary)}`);
    }
  }

  report(results);
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
  say(`\nwrote ${path.relative(process.cwd(), options.out) || options.out}`);

  const failures = [
    ...Object.entries(results.baseline),
    ...Object.entries({ ...results.postgres?.oneInstance }).map(([name, r]) => [`PostgreSQL ${name}`, r]),
    ...Object.entries({ ...results.postgres?.twoInstances }).map(([name, r]) => [
      `PostgreSQL ${name} (2)`,
      r,
    ]),
    ...Object.entries(gatehouse).flatMap(([name, r]) =>
      name === 'storm'
        ? [
            [`storm reads`, r.reads],
            // A login waits for a free hashing slot: on a loaded machine a short (--quick) storm may end
            // before any login does. That is slowness, reported in the table, not a failed request.
            [`storm logins`, { ...r.logins, ok: Math.max(r.logins.ok, 1) }],
          ]
        : [[name, r]],
    ),
  ].filter(([, r]) => r.ok === 0 || r.non2xx > 0 || r.errors > 0);
  if (failures.length > 0) {
    console.error(
      `bench: failed requests in ${failures.map(([name, r]) => `${name} (${JSON.stringify(r.statusCodes)}, ${r.errors} errors)`).join(', ')}`,
    );
    process.exitCode = 1;
  }
}

/**
 * The table, the targets and whether each is met; the targets go into the JSON too.
 * @param {Record<string, any>} results
 */
function report(results) {
  const base = results.baseline.get.rps;
  const g = results.gatehouse;
  const httpRow = (/** @type {string} */ label, /** @type {any} */ r) => [
    label,
    fixed(r.rps),
    fixed(r.latencyMs.p50, 2),
    fixed(r.latencyMs.p99, 2),
    `${fixed(r.rps / base, 2)}×`,
    fixed(r.serverCpuUsPerRequest),
    String(r.non2xx + r.errors),
    fixed(r.otherCores, 2),
  ];
  const rows = [
    httpRow('baseline: bare Fastify GET /', results.baseline.get),
    httpRow('baseline: bare Fastify POST / (JSON)', results.baseline.post),
  ];
  if (g.apiRoot) rows.push(httpRow('GET /api/ (no token, no database)', g.apiRoot));
  if (g.profile) rows.push(httpRow('GET /api/profile/', g.profile));
  if (g.verify) rows.push(httpRow('POST /api/token/verify/ (access)', g.verify));
  if (g.verifyRefresh) rows.push(httpRow('POST /api/token/verify/ (refresh)', g.verifyRefresh));
  if (g.refresh) rows.push(httpRow('POST /api/token/refresh/ (rotation)', g.refresh));
  if (g.login) rows.push(httpRow('POST /api/token/ (login)', g.login));
  if (g.storm) {
    rows.push(httpRow('GET /api/profile/ during login storm', g.storm.reads));
    rows.push(httpRow('  the login storm itself', g.storm.logins));
  }
  if (results.durable) {
    const commitRow = (/** @type {string} */ label, /** @type {any} */ r) => [
      label,
      fixed(r.rate),
      '',
      '',
      '',
      '',
      '',
      fixed(r.otherCores, 2),
    ];
    rows.push(commitRow('rotation commits/s, raw SQL, no HTTP', results.durable.raw));
    rows.push(commitRow('rotation commits/s, token service, no HTTP', results.durable.service));
  }
  if (results.postgres) rows.push(...postgresRows(results.postgres, httpRow));
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'vs base', 'CPU µs/req', 'failed', 'other CPU'];
  say(`\n${table(header, rows)}`);
  say(
    "(CPU µs/req: the server process's CPU time per answered request, all threads; other CPU: cores used by\n" +
      ` other processes on the machine meanwhile, above ${NOISY_CORES} the row is suspect)`,
  );

  /** @type {{ name: string, value: number, target: string, unit: string, met: boolean }[]} */
  const targets = [];
  const target = (
    /** @type {string} */ name,
    /** @type {number} */ value,
    /** @type {string} */ unit,
    /** @type {'>=' | '<='} */ op,
    /** @type {number} */ limit,
  ) =>
    targets.push({
      name,
      value,
      unit,
      target: `${op} ${limit}${unit}`,
      met: op === '>=' ? value >= limit : value <= limit,
    });
  if (g.profile) target('profile read vs baseline req/s', g.profile.rps / base, '×', '>=', 0.5);
  if (g.verify) target('verify vs baseline req/s', g.verify.rps / base, '×', '>=', 0.6);
  if (g.refresh)
    target('refresh vs raw durable commit rate', g.refresh.rps / results.durable.raw.rate, '×', '>=', 0.5);
  if (g.storm)
    target('p99 of protected reads during a login storm', g.storm.reads.latencyMs.p99, ' ms', '<=', 25);
  target(
    'failed login: |unknown user - wrong password| (median)',
    Math.abs(results.loginFailures.unknownUserMs - results.loginFailures.wrongPasswordMs),
    ' ms',
    '<=',
    5,
  );
  target('idle RSS', results.memory.idleMiB, ' MiB', '<=', 80);
  target('start-up to first answer (median)', results.startup.medianMs, ' ms', '<=', 1000);
  const initial = results.webApp.initialJs;
  target('web app: login page JavaScript, gzipped', initial.gzipKB, ' KB', '<=', INITIAL_JS_BUDGET_KB);
  results.targets = targets;

  const extras = [];
  if (g.login) {
    extras.push(
      `logins: ${fixed(g.login.rps, 1)}/s with ${connections} connections; one argon2id verify costs ${fixed(results.hash.verifyMedianMs, 1)} ms ` +
        `(${fixed(1000 / results.hash.verifyMedianMs, 1)}/s per core)`,
    );
  }
  extras.push(
    `memory: idle ${fixed(results.memory.idleMiB, 1)} MiB, peak ${fixed(results.memory.peakMiB, 1)} MiB, ` +
      `idle after the load ${fixed(results.memory.afterLoadIdleMiB, 1)} MiB`,
  );
  extras.push(
    `start-up: ${fixed(results.startup.medianMs)} ms (median), ${fixed(results.startup.emptyDatabaseMs)} ms on an empty database`,
  );
  extras.push(
    `web app: the login page loads ${fixed(initial.gzipKB, 1)} KB of JavaScript gzipped (${fixed(initial.bytes / 1024)} KB ` +
      `unzipped, ${initial.files.length} file${initial.files.length === 1 ? '' : 's'}: index.html's module script and modulepreloads)`,
  );
  if (results.postgres) extras.push(...postgresExtras(results.postgres));
  say(`\n${extras.join('\n')}`);
  const targetHeader = ['target', 'value', 'wanted', ''];
  const targetRows = targets.map((t) => [
    t.name,
    `${fixed(t.value, t.unit === '×' ? 2 : 1)}${t.unit}`,
    t.target,
    t.met ? 'met' : 'MISSED',
  ]);
  say(`\n${table(targetHeader, targetRows)}`);
  if (options.markdown) {
    const m = results.machine;
    say(
      `\nMarkdown:\n\n${results.date.slice(0, 10)}, ${m.nproc} CPUs (${m.cpuModel}), Node ${m.node}, ${m.os}; ` +
        `${connections} connections, ${seconds} s per measurement.\n\n${markdownTable(header, rows)}\n\n` +
        `${extras.join('  \n')}\n\n${markdownTable(targetHeader, targetRows)}\n`,
    );
  }
  say(results.database.note);
}

try {
  await main();
} catch (error) {
  console.error('bench: failed:', error);
  process.exitCode = 1;
} finally {
  await cleanUp();
  if (keepTmp) say(`(kept ${tmp})`);
}
