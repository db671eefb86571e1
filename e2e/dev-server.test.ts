import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../packages/server/src/testing/free-port.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startGatehouse, type Gatehouse } from './support/gatehouse.js';

// The README's `npm run dev -w @gatehouse/web`: Vite's dev server with the SPA, proxying /api to a
// Gatehouse server. The proxy must keep the Host header: the browser-mode CSRF check compares the Origin
// with it, and a rewritten Host once refused every silent refresh in dev.

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('the web app on the dev server (npm run dev -w @gatehouse/web)', () => {
  let gatehouse: Gatehouse;
  let vite: ChildProcess;
  let base: string;
  let output = '';

  beforeAll(async () => {
    gatehouse = await startGatehouse();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    vite = spawn(
      'npm',
      [
        'run',
        'dev',
        '-w',
        '@gatehouse/web',
        '--',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--strictPort',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, GATEHOUSE_API: gatehouse.base },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    vite.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    vite.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await fetch(base).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline || vite.exitCode !== null) throw new Error(`vite did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 60_000);

  afterAll(async () => {
    // npm runs vite in a process of its own and does not pass SIGTERM on: end the whole tree.
    if (vite?.pid !== undefined && vite.exitCode === null) {
      const closed = new Promise((resolve) => vite.once('close', resolve));
      for (const pid of [...descendants(vite.pid), vite.pid]) process.kill(pid, 'SIGTERM');
      await closed;
    }
    await gatehouse?.stop();
  });

  test('serves the SPA and proxies the API with the Host unchanged (a browser-mode login and refresh work)', async () => {
    const page = await fetch(`${base}/login`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');

    const browser = { 'content-type': 'application/json', 'x-gatehouse-session': 'cookie', origin: base };
    const login = await fetch(`${base}/api/auth/login/`, {
      method: 'POST',
      headers: browser,
      body: JSON.stringify({ username: 'user1', password: 'password1' }),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^gatehouse_refresh=ey/);

    const refreshed = await fetch(`${base}/api/auth/refresh/`, {
      method: 'POST',
      headers: { ...browser, cookie },
      body: '{}',
    });
    expect(refreshed.status).toBe(200);
    expect(Object.keys((await refreshed.json()) as object)).toEqual(['access']);
  });
});

function descendants(pid: number): number[] {
  // ps exits 1 when there are none.
  const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .map(Number)
    .filter((child) => child > 0);
  return children.flatMap((child) => [...descendants(child), child]);
}
