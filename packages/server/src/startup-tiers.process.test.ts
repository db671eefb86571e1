import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { freePort } from './testing/free-port.js';
import { assertServerBuilt, inheritedEnv, SERVER_JS } from './testing/server-process.js';

/**
 * The built server holds V8's optimizing compilers until it listens (startup-tiers.ts), then lets them
 * work: run with --trace-opt, V8 reports each optimized function on stdout.
 */

let dir: string;
beforeAll(() => {
  assertServerBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-tiers-'));
});
const running = new Set<ChildProcess>();
const killAll = () =>
  Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          running.delete(child);
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
afterEach(killAll);
afterAll(async () => {
  await killAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

const optimized = (output: string) => output.match(/^\[completed optimizing /gm)?.length ?? 0;

async function startTraced(nodeFlags: string[]) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--trace-opt', ...nodeFlags, SERVER_JS], {
    env: {
      ...inheritedEnv(),
      HOST: '127.0.0.1',
      PORT: String(port),
      NODE_ENV: 'production',
      GATEHOUSE_LOG_LEVEL: 'warn',
      DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite3')}`,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.add(child);
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${stdout}`);
    if (Date.now() > deadline) throw new Error(`the server did not answer within 20 s:\n${stdout}`);
    try {
      const response = await fetch(`${base}/api/`);
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { base, output: () => stdout, stop: killAll };
}

test('no optimizing compiler runs during start-up; they run once the server listens', async () => {
  const server = await startTraced([]);
  // Only what Node itself optimizes while it loads server.js, before the server's first line runs.
  const atStart = optimized(server.output());
  for (let i = 0; i < 3000; i++) {
    const response = await fetch(`${server.base}/api/`);
    await response.arrayBuffer();
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(optimized(server.output())).toBeGreaterThan(atStart + 3);
  await server.stop();

  // `--turbofan` (V8's default already) is a choice of tiers: nothing is held, start-up is optimized.
  const unheld = await startTraced(['--turbofan']);
  expect(atStart).toBeLessThan(optimized(unheld.output()) / 3);
  await unheld.stop();
}, 60_000);
