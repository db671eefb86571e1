// Child servers: a free loopback port, spawn, "ready" (first answered request), resident memory, stop.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';

export const HOST = '127.0.0.1';

/** A port the kernel says is free on the loopback address. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * One GET on loopback; resolves with the status code, rejects on a connection error.
 * @param {number} port
 * @param {string} path
 * @returns {Promise<number>}
 */
export function httpGet(port, path) {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: HOST, port, path, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.once('error', reject);
    request.setTimeout(2000, () => request.destroy(new Error('timeout')));
  });
}

/**
 * @typedef {object} Child
 * @property {import('node:child_process').ChildProcess} proc
 * @property {number} pid
 * @property {number} port
 * @property {() => string} output  what the child wrote to stdout and stderr so far
 * @property {number} startupMs     from spawn() to the first 200 answer on `readyPath`
 */

/**
 * Spawns `node [nodeArgs] script` and waits until GET readyPath answers 200.
 * @param {{ script: string, nodeArgs?: string[], env: NodeJS.ProcessEnv, port: number, readyPath: string,
 *           cwd: string, timeoutMs?: number }} options
 * @returns {Promise<Child>}
 */
export async function startServer({ script, nodeArgs = [], env, port, readyPath, cwd, timeoutMs = 20_000 }) {
  let output = '';
  const started = performance.now();
  const proc = spawn(process.execPath, [...nodeArgs, script], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.on('data', (chunk) => (output += chunk));
  proc.stderr.on('data', (chunk) => (output += chunk));
  let exited = false;
  proc.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${script} exited before answering (code ${proc.exitCode}):\n${output}`);
    if (performance.now() - started > timeoutMs) {
      proc.kill('SIGKILL');
      throw new Error(`${script} did not answer GET ${readyPath} within ${timeoutMs} ms:\n${output}`);
    }
    try {
      if ((await httpGet(port, readyPath)) === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(2);
  }
  const startupMs = performance.now() - started;
  return { proc, pid: /** @type {number} */ (proc.pid), port, output: () => output, startupMs };
}

/**
 * SIGTERM (the server finishes in-flight requests and exits), SIGKILL after a grace period.
 * @param {Child} child
 */
export async function stopServer(child) {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  const exited = new Promise((resolve) => child.proc.once('exit', resolve));
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Resident memory of a process from /proc/<pid>/status, in MiB: now (VmRSS) and its peak so far (VmHWM).
 * @param {number} pid
 */
export function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (/** @type {string} */ name) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) / 1024 : NaN;
  };
  return { rssMiB: field('VmRSS'), hwmMiB: field('VmHWM') };
}

/**
 * Samples VmRSS every `everyMs` until stopped; returns the highest sample.
 * @param {number} pid
 * @param {number} [everyMs]
 */
export function sampleRss(pid, everyMs = 100) {
  let max = 0;
  const take = () => {
    try {
      max = Math.max(max, memory(pid).rssMiB);
    } catch {
      // the process is gone
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return max;
    },
  };
}

/** Clock ticks of the whole machine (/proc/stat): user + nice + system, and steal, as counted so far. */
function machineTicks() {
  const fields = readFileSync('/proc/stat', 'utf8')
    .split('\n', 1)[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const [user = 0, nice = 0, system = 0, , , , , steal = 0] = fields;
  return { work: user + nice + system, steal };
}

/**
 * Clock ticks a process (all its threads) spent on a CPU so far, user + system; for this process, with
 * those of its exited children.
 * @param {number} pid
 */
function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // This process also owns what its children used once they have exited (cutime, cstime).
    const children = pid === process.pid ? Number(fields[13]) + Number(fields[14]) : 0;
    return Number(fields[11]) + Number(fields[12]) + children;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds a process (all its threads) has used so far.
 * @param {number} pid
 */
export function cpuSeconds(pid) {
  return processTicks(pid) / 100;
}

/**
 * How busy the rest of the machine was while a measurement ran: CPU used by processes other than `pids`
 * (in cores, from /proc/stat minus /proc/<pid>/stat) and CPU stolen by the hypervisor. Another workload
 * on a 2-core machine skews every figure; the bench reports this next to each one.
 * @param {number[]} pids  the bench's own processes
 */
export function watchOtherLoad(pids) {
  const ticksPerSecond = 100; // USER_HZ on Linux
  const ours = () => pids.reduce((sum, pid) => sum + processTicks(pid), 0);
  let before;
  try {
    before = { machine: machineTicks(), ours: ours(), at: performance.now() };
  } catch {
    return { stop: () => ({ otherCores: NaN, stealCores: NaN }) };
  }
  return {
    stop() {
      const machine = machineTicks();
      const seconds = (performance.now() - before.at) / 1000;
      const other = machine.work - before.machine.work - (ours() - before.ours);
      return {
        otherCores: Math.max(0, other / ticksPerSecond / seconds),
        stealCores: (machine.steal - before.machine.steal) / ticksPerSecond / seconds,
      };
    },
  };
}
