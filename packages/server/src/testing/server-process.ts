import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

/** The built server: process tests run it as a separate process, as it is deployed. */
export const SERVER_JS = fileURLToPath(new URL('../../dist/server.js', import.meta.url));
const READY_TIMEOUT_MS = 20_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A Node process a test started: tracked for killServers, its output collected. */
export interface NodeProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once the process has exited and its output is drained. */
  closed: Promise<Exit>;
}

export interface ServerProcess extends NodeProcess {
  base: string;
}

const running = new Set<ChildProcess>();

export function assertServerBuilt(): void {
  if (!fs.existsSync(SERVER_JS)) {
    throw new Error(
      `${SERVER_JS} does not exist: run npm run build first (these tests spawn the built server)`,
    );
  }
}

/** process.env less any GATEHOUSE_* setting of the parent's (a signing key above all would change what is tested). */
export function inheritedEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GATEHOUSE_')));
}

/** Runs `script` (the built server or CLI) in a Node process of its own. */
export function spawnNode(
  script: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string },
): NodeProcess {
  const child = spawn(process.execPath, [script, ...args], {
    env: options.env,
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closed = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, closed };
}

/**
 * Starts the built server on loopback (`port`, or a free one) with `env` added to inheritedEnv(). Its
 * standard input is closed at once.
 */
export async function startServer(
  env: Record<string, string>,
  options: { port?: number; cwd?: string } = {},
): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const spawned = spawnNode(SERVER_JS, [], {
    env: { ...inheritedEnv(), HOST: '127.0.0.1', PORT: String(port), NODE_ENV: 'production', ...env },
    ...(options.cwd !== undefined && { cwd: options.cwd }),
  });
  spawned.child.stdin?.end();
  return { ...spawned, base: `http://127.0.0.1:${port}` };
}

/** Waits until the server answers its readiness check (its database included). */
export async function waitReady(server: ServerProcess): Promise<ServerProcess> {
  let exited: Exit | undefined;
  void server.closed.then((exit) => (exited = exit));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(`server exited (${JSON.stringify(exited)}) before it was ready:\n${server.stderr()}`);
    }
    try {
      const response = await fetch(`${server.base}/api/ready`);
      await response.arrayBuffer();
      if (response.status === 200) return server;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`server not ready within ${READY_TIMEOUT_MS} ms:\n${server.stdout()}\n${server.stderr()}`);
}

/** SIGKILLs every server still running (for afterEach/afterAll). */
export async function killServers(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
  running.clear();
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body as JSON (undefined when it is not). */
  body: Record<string, unknown> | undefined;
}

/** One request, answered in full, so "acknowledged" means the client has all of it. */
export async function call(
  server: ServerProcess,
  method: string,
  url: string,
  options: { body?: unknown; access?: string } = {},
): Promise<Answer> {
  const response = await fetch(server.base + url, {
    method,
    headers: {
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
      ...(options.access !== undefined && { authorization: `Bearer ${options.access}` }),
    },
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}
