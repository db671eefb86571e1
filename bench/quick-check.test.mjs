// The bench's own check, for node's test runner (needs a built dist/: `npm run build` first):
//   node --test bench/
// Runs `bench/run.mjs --quick` (about 30 s) and checks that every scenario ran and answered without a
// failed request, and that the results file has every figure BENCHMARKS.md reports. It checks no
// performance target: a shared or slow CI machine would make that flaky.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { test } from 'node:test';
import { fileURLToPath, URL } from 'node:url';

const RUN = fileURLToPath(new URL('./run.mjs', import.meta.url));

test('npm run bench -- --quick measures every scenario without a failed request', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-check-'));
  try {
    const out = path.join(dir, 'quick.json');
    // SQLite only, whatever DATABASE_URL says: postgres-check.test.mjs checks the PostgreSQL part.
    const { DATABASE_URL: _ignored, ...env } = process.env;
    const run = spawnSync(process.execPath, [RUN, '--quick', '--out', out], {
      encoding: 'utf8',
      env,
      timeout: 180_000,
    });
    assert.equal(run.status, 0, `bench exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /PostgreSQL: not measured/);
    assert.match(run.stdout, /target\s+value\s+wanted/);

    const results = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(results.mode, 'quick');
    assert.match(results.database.note, /^PostgreSQL: not measured/);
    assert.ok(results.machine.nproc > 0 && results.machine.cpuModel && results.machine.node);

    const loads = {
      'baseline GET': results.baseline.get,
      'baseline POST': results.baseline.post,
      'API root': results.gatehouse.apiRoot,
      profile: results.gatehouse.profile,
      verify: results.gatehouse.verify,
      'verify (refresh token)': results.gatehouse.verifyRefresh,
      refresh: results.gatehouse.refresh,
      login: results.gatehouse.login,
      'storm reads': results.gatehouse.storm?.reads,
      'storm logins': results.gatehouse.storm?.logins,
    };
    for (const [name, load] of Object.entries(loads)) {
      assert.ok(load, `${name}: missing`);
      // A login waits for a free hashing slot: on a loaded machine the 1 s storm may end before one does.
      if (name !== 'storm logins') assert.ok(load.ok > 0, `${name}: no answer`);
      assert.equal(load.non2xx, 0, `${name}: ${JSON.stringify(load.statusCodes)}`);
      assert.equal(load.errors, 0, `${name}: connection errors`);
      assert.ok(
        Number.isFinite(load.latencyMs.p50) && Number.isFinite(load.latencyMs.p99),
        `${name}: latency`,
      );
    }
    // Every refresh used a token of its own.
    assert.ok(results.gatehouse.refresh.tokensUsed >= results.gatehouse.refresh.ok);

    assert.ok(results.durable.raw.rate > 0 && results.durable.service.rate > 0);
    assert.ok(results.durable.raw.statements.some((sql) => /^update "refresh_tokens"/i.test(sql)));
    assert.ok(results.hash.verifyMedianMs > 0);
    assert.ok(results.loginFailures.wrongPasswordMs > 0 && results.loginFailures.unknownUserMs > 0);
    assert.ok(results.startup.medianMs > 0 && results.startup.emptyDatabaseMs > 0);
    assert.ok(results.memory.idleMiB > 0 && results.memory.peakMiB >= results.memory.idleMiB);
    assert.ok(results.webApp.initialJs.gzipKB > 0, "the web app's initial JavaScript is measured");
    assert.deepEqual(
      results.targets.map((t) => t.name),
      [
        'profile read vs baseline req/s',
        'verify vs baseline req/s',
        'refresh vs raw durable commit rate',
        'p99 of protected reads during a login storm',
        'failed login: |unknown user - wrong password| (median)',
        'idle RSS',
        'start-up to first answer (median)',
        'web app: login page JavaScript, gzipped',
      ],
    );
    for (const t of results.targets) assert.equal(typeof t.met, 'boolean');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
