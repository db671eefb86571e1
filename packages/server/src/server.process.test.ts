import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  assertServerBuilt,
  inheritedEnv,
  killServers,
  spawnNode,
  startServer as startBuiltServer,
  waitReady,
  type ServerProcess,
} from './testing/server-process.js';

/** The built CLI: these tests run it, as the server, as a separate process. */
const CLI_JS = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

let dir: string;
let dbFile: string;

beforeAll(() => {
  assertServerBuilt();
  if (!fs.existsSync(CLI_JS)) {
    throw new Error(`${CLI_JS} does not exist: run npm run build first (these tests spawn the built CLI)`);
  }
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-server-'));
  dbFile = path.join(dir, 'gatehouse.sqlite3');
});

afterEach(async () => {
  await killServers();
  fs.rmSync(dir, { recursive: true, force: true });
});

afterAll(killServers);

/** The built server on this test's database, in its directory, with `extra` settings. */
function startServer(extra: Record<string, string> = {}): Promise<ServerProcess> {
  return startBuiltServer({ DATABASE_URL: `sqlite:${dbFile}`, ...extra }, { cwd: dir });
}

async function startReadyServer(): Promise<ServerProcess> {
  return waitReady(await startServer());
}

/** Runs the gatehouse CLI bin against this test's database, as an operator would next to the server. */
async function gatehouse(
  args: string[],
  input = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = spawnNode(CLI_JS, args, {
    env: { ...inheritedEnv(), DATABASE_URL: `sqlite:${dbFile}`, NODE_ENV: 'production' },
    cwd: dir,
  });
  run.child.stdin?.end(input);
  const { code } = await run.closed;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

async function createDemoUsers(): Promise<void> {
  const demo = await gatehouse(['demo']);
  expect(demo).toEqual({
    code: 0,
    stdout:
      'user1: created (password password1)\n' +
      'user2: created (password password2)\n' +
      'admin: created (password adminpass123)\n',
    stderr: '',
  });
}

function post(server: ServerProcess, url: string, body: unknown): Promise<Response> {
  return fetch(server.base + url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function getProfile(server: ServerProcess, url: string, access: string): Promise<Response> {
  return fetch(server.base + url, { headers: { authorization: `Bearer ${access}` } });
}

async function login(server: ServerProcess, username: string, password: string) {
  const response = await post(server, '/api/token/', { username, password });
  const body = (await response.json()) as Record<string, unknown>;
  expect(response.status).toBe(200);
  expect(Object.keys(body)).toEqual(['refresh', 'access']);
  return body as { refresh: string; access: string };
}

async function refresh(server: ServerProcess, token: string) {
  const response = await post(server, '/api/token/refresh/', { refresh: token });
  return { response, body: (await response.json()) as Record<string, unknown> };
}

const BLACKLISTED = '{"detail":"Token is blacklisted","code":"token_not_valid"}';

async function expectBlacklisted(server: ServerProcess, token: string): Promise<void> {
  const response = await post(server, '/api/token/refresh/', { refresh: token });
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  expect(await response.text()).toBe(BLACKLISTED);
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the built server over real HTTP', () => {
  test("tutorial A's flow: obtain, profile, rotate, replay is blacklisted", async () => {
    const server = await startReadyServer();
    await createDemoUsers();

    const root = await fetch(`${server.base}/api/`);
    expect(await root.json()).toEqual(['/api/token', '/api/token/refresh']);

    const pair = await login(server, 'user1', 'password1');

    const profile = await getProfile(server, '/api/profile', pair.access);
    expect(profile.status).toBe(200);
    const body = (await profile.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      first_name: 'Sam',
      last_name: 'Smith',
      email: 'sam@smith.com',
      user: { username: 'user1', email: 'user1@example.com' },
    });

    const rotated = await refresh(server, pair.refresh);
    expect(rotated.response.status).toBe(200);
    expect(Object.keys(rotated.body)).toEqual(['access', 'refresh']);
    expect(rotated.body.refresh).not.toBe(pair.refresh);
    expect(rotated.body.access).not.toBe(pair.access);

    await expectBlacklisted(server, pair.refresh);

    // A spent token presented again means two parties hold the session: reuse detection ended it,
    // so its newest refresh token is refused as well.
    await expectBlacklisted(server, rotated.body.refresh as string);
  });

  test('request log lines on stdout are JSON and never carry a password or a token', async () => {
    const server = await startReadyServer();
    await createDemoUsers();

    expect((await fetch(`${server.base}/api/`)).status).toBe(200);
    const pair = await login(server, 'user1', 'password1');
    const wrong = await post(server, '/api/token/', { username: 'user1', password: 'wrongpassword9' });
    expect(wrong.status).toBe(401);
    await wrong.arrayBuffer();
    expect((await getProfile(server, '/api/profile/', pair.access)).status).toBe(200);
    const rotated = await refresh(server, pair.refresh);
    expect(rotated.response.status).toBe(200);

    const requestLines = () =>
      server
        .stdout()
        .split('\n')
        .filter((line) => line.includes('"msg":"request"'));
    await waitFor(() => requestLines().some((line) => line.includes('"path":"/api/token/refresh/"')), 'log');

    const lines = server.stdout().trimEnd().split('\n');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.some((record) => record.msg === `Gatehouse listening on ${server.base}`)).toBe(true);
    const requests = records
      .filter((record) => record.msg === 'request')
      .map(({ method, path: url, status }) => ({ method, path: url, status }));
    expect(requests).toEqual(
      expect.arrayContaining([
        { method: 'GET', path: '/api/', status: 200 },
        { method: 'POST', path: '/api/token/', status: 200 },
        { method: 'POST', path: '/api/token/', status: 401 },
        { method: 'GET', path: '/api/profile/', status: 200 },
        { method: 'POST', path: '/api/token/refresh/', status: 200 },
      ]),
    );

    const log = server.stdout() + server.stderr();
    for (const secret of [
      'password1',
      'wrongpassword9',
      pair.access,
      pair.refresh,
      rotated.body.access as string,
      rotated.body.refresh as string,
    ]) {
      expect(log).not.toContain(secret);
    }
    // Nor the signature part on its own.
    expect(log).not.toContain(pair.access.split('.')[2] as string);
  });

  test('after a SIGKILL the restarted server keeps its generated key, its blacklist and its users', async () => {
    const first = await startReadyServer();
    await createDemoUsers();
    const created = await gatehouse(
      ['users', 'create', '--username', 'erin', '--password-stdin'],
      'silver-orchid-33\n',
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^User "erin" created \(public id [0-9a-f-]{36}\)\.\n$/);

    const pair = await login(first, 'user1', 'password1');
    const rotated = await refresh(first, pair.refresh);
    expect(rotated.response.status).toBe(200);
    first.child.kill('SIGKILL');
    expect(await first.closed).toEqual({ code: null, signal: 'SIGKILL' });

    const second = await startReadyServer();

    for (const access of [pair.access, rotated.body.access as string]) {
      const profile = await getProfile(second, '/api/profile/', access);
      expect(profile.status).toBe(200);
      expect(await profile.json()).toMatchObject({ first_name: 'Sam', user: { username: 'user1' } });
    }

    const again = await refresh(second, rotated.body.refresh as string);
    expect(again.response.status).toBe(200);
    expect(Object.keys(again.body)).toEqual(['access', 'refresh']);

    await expectBlacklisted(second, pair.refresh);

    await login(second, 'erin', 'silver-orchid-33');
  });
});

describe('start-up and shutdown', () => {
  test('a GATEHOUSE_SIGNING_KEY shorter than 32 bytes stops the start with exit code 2', async () => {
    const server = await startServer({ GATEHOUSE_SIGNING_KEY: 'short' });
    expect(await server.closed).toEqual({ code: 2, signal: null });
    expect(server.stderr()).toBe(
      'gatehouse: Invalid configuration:\n' +
        '  - GATEHOUSE_SIGNING_KEY: must be at least 32 bytes (got 5)\n',
    );
    expect(server.stdout()).toBe('');
    // Configuration is checked before the database is opened.
    expect(fs.existsSync(dbFile)).toBe(false);
  });

  test('EdDSA: keys sealed with one key-encryption key; started with another, exit code 2 and why', async () => {
    const eddsa = {
      GATEHOUSE_ALGORITHM: 'EdDSA',
      GATEHOUSE_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 5).toString('hex'),
    };
    const first = await startServer(eddsa);
    await waitReady(first);
    const { keys } = (await (await fetch(`${first.base}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(keys).toHaveLength(1);
    first.child.kill('SIGTERM');
    expect(await first.closed).toEqual({ code: 0, signal: null });

    const wrong = await startServer({
      ...eddsa,
      GATEHOUSE_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 6).toString('base64'),
    });
    expect(await wrong.closed).toEqual({ code: 2, signal: null });
    expect(wrong.stderr()).toMatch(
      new RegExp(
        '^gatehouse: Invalid configuration:\\n  - GATEHOUSE_KEY_ENCRYPTION_KEY: is not the key signing key ' +
          `${keys[0]?.kid} was encrypted with \\(key-encryption key id [\\w-]{11}; this one is [\\w-]{11}\\): ` +
          'set the key it was encrypted with\\n$',
      ),
    );
    const unset = await startServer({ GATEHOUSE_ALGORITHM: 'EdDSA' });
    expect(await unset.closed).toEqual({ code: 2, signal: null });
    expect(unset.stderr()).toMatch(/GATEHOUSE_KEY_ENCRYPTION_KEY: required with GATEHOUSE_ALGORITHM=EdDSA/);
  });

  test('SIGTERM shuts the server down with exit code 0', async () => {
    const server = await startReadyServer();
    server.child.kill('SIGTERM');
    expect(await server.closed).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toBe('');
    const records = server
      .stdout()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(
      records.some((r) => r.msg === 'shutting down: finishing in-flight requests' && r.signal === 'SIGTERM'),
    ).toBe(true);
    await expect(fetch(`${server.base}/api/`)).rejects.toThrow();
  });
});
