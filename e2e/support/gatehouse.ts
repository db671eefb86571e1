import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assertServerBuilt,
  startServer,
  waitReady,
} from '../../packages/server/src/testing/server-process.js';

const CLI_JS = fileURLToPath(new URL('../../packages/server/dist/cli/main.js', import.meta.url));
/** What `npm run build` makes of apps/web, which the server serves at `/`. */
export const WEB_DIST = fileURLToPath(new URL('../../apps/web/dist/', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Gatehouse {
  /** http://127.0.0.1:<port> */
  base: string;
  /** The `gatehouse` command on this server's database. */
  cli(args: string[], input?: string): Promise<CliResult>;
  stop(): Promise<void>;
}

/**
 * The real built server (`node packages/server/dist/server.js`) as a child process, on a free port (or
 * `port`), with a SQLite database in a temp directory and the demo users (user1, user2, admin) created by
 * the CLI. `env` adds settings (a short access lifetime, CORS origins, ...).
 */
export async function startGatehouse(
  env: Record<string, string> = {},
  options: { port?: number } = {},
): Promise<Gatehouse> {
  assertServerBuilt();
  if (!fs.existsSync(CLI_JS)) throw new Error(`${CLI_JS} does not exist: run \`npm run build\` first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-e2e-'));
  const settings = {
    DATABASE_URL: `sqlite:${path.join(dir, 'gatehouse.sqlite3')}`,
    GATEHOUSE_LOG_LEVEL: 'warn',
    ...env,
  };
  const cli = (args: string[], input = '') => runCli(args, input, dir, settings);
  try {
    const demo = await cli(['demo']);
    if (demo.code !== 0)
      throw new Error(`gatehouse demo failed (${demo.code}):\n${demo.stdout}${demo.stderr}`);
    const server = await startServer(settings, options);
    const stop = async () => {
      server.child.kill('SIGTERM');
      const stuck = setTimeout(() => server.child.kill('SIGKILL'), 5_000);
      await server.closed;
      clearTimeout(stuck);
      fs.rmSync(dir, { recursive: true, force: true });
    };
    await waitReady(server).catch(async (error: unknown) => {
      await stop();
      throw error;
    });
    return { base: server.base, cli, stop };
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function runCli(
  args: string[],
  input: string,
  cwd: string,
  settings: Record<string, string>,
): Promise<CliResult> {
  // As the server gets it: the parent's GATEHOUSE_* settings (a signing key) would change what is tested.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('GATEHOUSE_')),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_JS, ...args], { cwd, env: { ...inherited, ...settings } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
