import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort } from './testing/free-port.js';

// The README's commands, run as a newcomer would: `npm start` from the repository root, then the quick
// start block in bash, unchanged.
const root = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => (m[1] ?? '').trim());

let server: ChildProcess | undefined;
let dir: string;
let base: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-readme-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = {
    ...process.env,
    PORT: String(port),
    DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite3')}`,
    BASE: base,
  };
  delete env.GATEHOUSE_SIGNING_KEY;
  server = spawn('npm', ['start'], { cwd: root, env, detached: true, stdio: 'ignore' });
  await waitFor(`${base}/api/`, 60_000);
}, 90_000);

afterAll(() => {
  // npm start runs the server as a grandchild: stop the whole process group.
  if (server?.pid) process.kill(-server.pid, 'SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

test('the README opens with the install-and-run and install-and-test commands', () => {
  expect(blocks[0]).toBe('npm install && npm start');
  expect(blocks[1]).toBe('npm install && npm test');
});

test('the first command shows the web app: `npm start` built it and serves it at /', async () => {
  const page = await fetch(`${base}/`, { headers: { accept: 'text/html' } });
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  const html = await page.text();
  expect(html).toContain('<div id="root"></div>');
  const script = /<script[^>]* src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  expect(script, html).toBeDefined();
  const asset = await fetch(`${base}${script}`);
  expect(asset.status).toBe(200);
  expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
});

test('the quick start works as written against `npm start`', () => {
  const quickStart = blocks[2] ?? '';
  expect(quickStart).toContain('npx gatehouse demo');
  const run = spawnSync('bash', ['-euo', 'pipefail', '-c', quickStart], { cwd: root, env, encoding: 'utf8' });
  expect(run.stderr).not.toMatch(/error/i);
  expect(run.status).toBe(0);
  const out = run.stdout;
  expect(out).toContain('user1: created (password password1)');
  expect(out).toContain('["/api/token","/api/token/refresh"]');
  expect(out).toMatch(/"first_name":"Sam","last_name":"Smith","email":"sam@smith.com"}/);
  expect(out).toContain('{"detail":"Token is blacklisted","code":"token_not_valid"}');
  // verify, logout, the spent token refused, then tutorial C's login.
  expect(out).toMatch(/\{\}\{\}\{"detail":"Token is blacklisted","code":"token_not_valid"\}\{"refresh":"ey/);
});

test('the CLI answers both ways the README gives: npx gatehouse and npm run gatehouse --', () => {
  for (const [command, args] of [
    ['npx', ['gatehouse', 'help']],
    ['npm', ['run', '--silent', 'gatehouse', '--', 'help']],
  ] as const) {
    const run = spawnSync(command, args, { cwd: root, env, encoding: 'utf8' });
    expect(run.status, `${command} ${args.join(' ')}`).toBe(0);
    expect(run.stdout).toMatch(/^Usage: gatehouse <command> \[options\]/m);
  }
});

async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
