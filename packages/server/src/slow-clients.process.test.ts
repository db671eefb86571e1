import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test, type ExpectStatic } from 'vitest';
import { freePort } from './testing/free-port.js';

/**
 * Slow clients (slowloris) against the built server: many connections that never finish their request
 * must neither starve real clients nor stay open for ever. app.ts sets Fastify's requestTimeout to 15 s;
 * Node only looks for expired requests every connectionsCheckingInterval (30 s by default, counted from
 * listen), so a slow connection is dropped between 15 s and 45 s after it opened.
 */

const SERVER_JS = fileURLToPath(new URL('../dist/server.js', import.meta.url));
const READY_TIMEOUT_MS = 15_000;
const PASSWORD = 'tangerine-kayak-42';
const SLOW_CLIENTS = 50;
/** requestTimeout (15 s) + Node's connectionsCheckingInterval (30 s) + slack. */
const CLOSE_DEADLINE_MS = 25_000;
/** Every real request made while the slow clients hang must be answered within this. */
const PROMPT_MS = 2_000;
const PROBE_EVERY_MS = 1_000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface ServerProcess {
  child: ChildProcess;
  port: number;
  stdout(): string;
  stderr(): string;
  closed: Promise<Exit>;
}

type SlowKind = 'body-trickle' | 'body-stall' | 'header-trickle' | 'request-line-stall';

interface SlowClient {
  kind: SlowKind;
  socket: net.Socket;
  openedAt: number;
  closedAt?: number;
  received: string;
  timer?: NodeJS.Timeout;
}

const running = new Set<ChildProcess>();

beforeAll(() => {
  if (!fs.existsSync(SERVER_JS)) {
    throw new Error(
      `${SERVER_JS} does not exist: run npm run build first (these tests spawn the built server)`,
    );
  }
});

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

afterAll(async () => {
  await Promise.all([...running].map(kill));
  running.clear();
});

/** Spawns the server (pushed onto `children` at once, for clean-up) and waits until it answers. */
async function startReadyServer(dir: string, children: ChildProcess[]): Promise<ServerProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('GATEHOUSE_')),
  );
  const child = spawn(process.execPath, [SERVER_JS], {
    cwd: dir,
    env: {
      ...env,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite3')}`,
      NODE_ENV: 'production',
      GATEHOUSE_RATE_LIMITS: 'false',
    },
    stdio: 'pipe',
  });
  running.add(child);
  children.push(child);
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let exited: Exit | undefined;
  const closed = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => {
      running.delete(child);
      exited = { code, signal };
      resolve(exited);
    });
  });
  const server = { child, port, stdout: () => stdout, stderr: () => stderr, closed };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`server exited (${JSON.stringify(exited)}) before it was ready:\n${stderr}`);
    try {
      if ((await request(server, 'GET', '/api/')).status === 200) return server;
    } catch {
      // Not listening yet.
    }
    await sleep(50);
  }
  throw new Error(`server not ready within ${READY_TIMEOUT_MS} ms:\n${stdout}\n${stderr}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** One request on a connection of its own (no keep-alive pool), so every probe goes through accept(). */
function request(server: ServerProcess, method: string, url: string, body?: unknown): Promise<Answer> {
  const started = performance.now();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        method,
        path: url,
        agent: false,
        timeout: 10_000,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - started }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within 10 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

const BODY_HEAD =
  'POST /api/token/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user';

/** A raw connection that starts a request and never finishes it. */
function openSlowClient(server: ServerProcess, kind: SlowKind): Promise<SlowClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1');
    const client: SlowClient = { kind, socket, openedAt: 0, received: '' };
    socket.setEncoding('utf8');
    // Read whatever the server sends, so that its FIN is seen and 'close' fires.
    socket.on('data', (chunk: string) => (client.received += chunk));
    socket.on('error', () => {
      // A reset from the server is one way of being dropped.
    });
    socket.on('close', () => {
      client.closedAt = Date.now();
      clearInterval(client.timer);
    });
    socket.once('connect', () => {
      client.openedAt = Date.now();
      let line = 0;
      switch (kind) {
        case 'body-trickle':
          // The head is complete, the body (100 bytes announced) comes one byte a second.
          socket.write(BODY_HEAD);
          client.timer = setInterval(() => socket.write('a'), 1_000);
          break;
        case 'body-stall':
          socket.write(BODY_HEAD);
          break;
        case 'header-trickle':
          // One header line a second; the blank line that ends the head never comes.
          socket.write('POST /api/token/ HTTP/1.1\r\nHost: x\r\n');
          client.timer = setInterval(() => socket.write(`X-Slow-${line++}: ${'z'.repeat(20)}\r\n`), 1_000);
          break;
        case 'request-line-stall':
          socket.write('GET /api/ HT');
          break;
      }
      resolve(client);
    });
    socket.once('error', reject);
  });
}

function closeSlowClients(clients: SlowClient[]): void {
  for (const client of clients) {
    clearInterval(client.timer);
    client.socket.destroy();
  }
}

/**
 * Real requests, one after another, every PROBE_EVERY_MS until `done()` or the deadline: each must be
 * answered correctly within PROMPT_MS. Counts the probes made while every slow client still hung.
 */
async function probeUntil(
  expect: ExpectStatic,
  server: ServerProcess,
  username: string,
  done: () => boolean,
  deadline: number,
  hanging: () => boolean,
): Promise<{ probes: number; probesWhileHanging: number; slowestMs: number }> {
  let probes = 0;
  let probesWhileHanging = 0;
  let slowestMs = 0;
  while (!done() && Date.now() < deadline) {
    const allHanging = hanging();
    const root = await request(server, 'GET', '/api/');
    expect({ status: root.status, body: root.body }).toEqual({
      status: 200,
      body: '["/api/token","/api/token/refresh"]',
    });
    const login = await request(server, 'POST', '/api/token/', { username, password: PASSWORD });
    expect(login.status, login.body).toBe(200);
    expect(Object.keys(JSON.parse(login.body) as object)).toEqual(['refresh', 'access']);
    for (const answer of [root, login]) {
      expect(answer.ms, `a real request took ${Math.round(answer.ms)} ms`).toBeLessThan(PROMPT_MS);
      slowestMs = Math.max(slowestMs, answer.ms);
    }
    probes++;
    // Counted only if no slow connection had been dropped from before the probe to after it.
    if (allHanging && hanging()) probesWhileHanging++;
    await sleep(PROBE_EVERY_MS);
  }
  return { probes, probesWhileHanging, slowestMs: Math.round(slowestMs) };
}

function closeTimes(clients: SlowClient[]): number[] {
  return clients
    .filter((client) => client.closedAt !== undefined)
    .map((client) => (client.closedAt as number) - client.openedAt)
    .sort((a, b) => a - b);
}

/** A server with one registered user, cleaned up (killed, sockets destroyed, files removed) after the test. */
async function setUp(onTestFinished: (fn: () => Promise<void>) => void, clients: SlowClient[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-slow-'));
  const children: ChildProcess[] = [];
  onTestFinished(async () => {
    closeSlowClients(clients);
    await Promise.all(children.map(kill));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const server = await startReadyServer(dir, children);
  const username = 'patience';
  const registered = await request(server, 'POST', '/api/users/', { username, password: PASSWORD });
  if (registered.status !== 201) throw new Error(`registration: ${registered.status} ${registered.body}`);
  return { server, username };
}

describe.concurrent('slow clients against the built server', () => {
  test(
    'slowloris request bodies: real requests are still answered promptly while 50 connections hang',
    async ({ expect, onTestFinished }) => {
      const clients: SlowClient[] = [];
      const { server, username } = await setUp(onTestFinished, clients);

      for (let i = 0; i < SLOW_CLIENTS; i++) {
        clients.push(await openSlowClient(server, i % 2 === 0 ? 'body-trickle' : 'body-stall'));
      }
      const opened = Date.now();
      const allClosed = () => clients.every((client) => client.closedAt !== undefined);

      const noneClosed = () => clients.every((client) => client.closedAt === undefined);
      const { probes, probesWhileHanging, slowestMs } = await probeUntil(
        expect,
        server,
        username,
        allClosed,
        opened + CLOSE_DEADLINE_MS,
        noneClosed,
      );
      // Real requests were served while all 50 slow connections hung.
      expect(probesWhileHanging).toBeGreaterThanOrEqual(5);

      const times = closeTimes(clients);
      const stillOpen = clients.length - times.length;
      console.log(
        `slowloris bodies: ${probes} probe rounds (${probesWhileHanging} while all hung), slowest real request ${slowestMs} ms; ` +
          `${times.length}/${clients.length} slow connections closed by the server` +
          (times.length > 0 ? ` after ${times[0]}–${times[times.length - 1]} ms` : '') +
          (stillOpen > 0 ? `; ${stillOpen} still open ${Date.now() - opened} ms after opening` : ''),
      );
      // Every one is dropped: not before the 15 s a request is given, and soon after (checked every second).
      expect(stillOpen).toBe(0);
      for (const ms of times) expect(ms).toBeGreaterThanOrEqual(14_000);
      for (const client of clients) {
        expect(client.received).toMatch(/^HTTP\/1\.1 408 /);
        expect(client.received).toContain('{"detail":"Request Timeout"}');
        expect(client.received).toContain('X-Content-Type-Options: nosniff');
      }
    },
    CLOSE_DEADLINE_MS + 20_000,
  );

  test(
    'slow request heads (one header line a second, or a stalled request line) are dropped with 408',
    async ({ expect, onTestFinished }) => {
      const clients: SlowClient[] = [];
      const { server, username } = await setUp(onTestFinished, clients);

      for (let i = 0; i < SLOW_CLIENTS; i++) {
        clients.push(await openSlowClient(server, i % 2 === 0 ? 'header-trickle' : 'request-line-stall'));
      }
      const opened = Date.now();
      const allClosed = () => clients.every((client) => client.closedAt !== undefined);

      const noneClosed = () => clients.every((client) => client.closedAt === undefined);
      const { probes, probesWhileHanging, slowestMs } = await probeUntil(
        expect,
        server,
        username,
        allClosed,
        opened + CLOSE_DEADLINE_MS,
        noneClosed,
      );
      expect(probesWhileHanging).toBeGreaterThanOrEqual(5);

      // Give the last close event a moment if the deadline and the server's check coincided.
      if (!allClosed()) await sleep(500);
      const times = closeTimes(clients);
      console.log(
        `slow heads: ${probes} probe rounds (${probesWhileHanging} while all hung), slowest real request ${slowestMs} ms; ` +
          `${times.length}/${clients.length} slow connections closed by the server` +
          (times.length > 0 ? ` after ${times[0]}–${times[times.length - 1]} ms` : ''),
      );
      expect(
        clients.filter((client) => client.closedAt === undefined).map((client) => client.kind),
        `slow connections still open ${Date.now() - opened} ms after opening`,
      ).toEqual([]);
      for (const client of clients) {
        const ms = (client.closedAt as number) - client.openedAt;
        // A head gets 10 s (headersTimeout).
        expect(ms, client.kind).toBeGreaterThanOrEqual(9_000);
        expect(ms, client.kind).toBeLessThanOrEqual(CLOSE_DEADLINE_MS);
        expect(client.received, client.kind).toMatch(/^HTTP\/1\.1 408 /);
        expect(client.received, client.kind).toContain('{"detail":"Request Timeout"}');
      }
    },
    CLOSE_DEADLINE_MS + 20_000,
  );
});
