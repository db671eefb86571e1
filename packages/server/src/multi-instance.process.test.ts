import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodeHeader } from './testing/test-app.js';
import { freePort } from './testing/free-port.js';
import { usePostgres, type TestPostgres } from './testing/postgres.js';
import {
  assertServerBuilt,
  call,
  inheritedEnv,
  killServers,
  spawnNode,
  startServer,
  waitReady,
  type Answer,
  type ServerProcess,
} from './testing/server-process.js';

/**
 * Two Gatehouse processes on two ports over one PostgreSQL database, as behind a load balancer: whatever
 * one decides, the other sees at once, because every decision is the database's.
 */

const PASSWORD = 'tangerine-kayak-42';
const NEW_PASSWORD = 'marmalade-canoe-77';
const BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' };

interface Pair {
  refresh: string;
  access: string;
}

const postgres = await usePostgres('the multi-instance tests');
/** Within the tests below, which run only when it was reached. */
const pg = (): TestPostgres => {
  if (!postgres) throw new Error('PostgreSQL is not reachable');
  return postgres;
};

describe.skipIf(!postgres)('two instances over one PostgreSQL database', () => {
  let url: string;
  let a: ServerProcess;
  let b: ServerProcess;
  const env = () => ({
    DATABASE_URL: url,
    GATEHOUSE_DATABASE_POOL_SIZE: '8',
    // Dozens of registrations from 127.0.0.1 within seconds; the login throttle stays on (tested below).
    GATEHOUSE_RATE_LIMITS: 'false',
  });

  beforeAll(async () => {
    assertServerBuilt();
    url = (await pg().createDatabase('gatehouse_multi')).url;
    // Both at once on an empty database: both migrate and both look for the signing key on first start.
    [a, b] = await Promise.all([startServer(env()), startServer(env())]);
    await Promise.all([waitReady(a), waitReady(b)]);
  });
  afterAll(killServers);

  const other = (server: ServerProcess) => (server === a ? b : a);

  test('started together on an empty database, they agree on one signing key', async () => {
    await register(a, 'keyholder');
    for (const issuer of [a, b]) {
      const pair = await login(issuer, 'keyholder');
      const answer = await me(other(issuer), pair.access);
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body).toMatchObject({ username: 'keyholder' });
    }
    const fromA = await login(a, 'keyholder');
    const fromB = await login(b, 'keyholder');
    expect(decodeHeader(fromA.access)).toEqual(decodeHeader(fromB.access));
  });

  test("a token issued by one is accepted by the other, and one's refresh token rotates on the other", async () => {
    const registered = await register(a, 'alice');
    expect((await me(b, registered.access)).status).toBe(200);
    const rotated = await refresh(b, registered.refresh);
    expect(rotated.status, rotated.text).toBe(200);
    const next = pairOf(rotated);
    expect((await me(a, next.access)).status).toBe(200);
    // The spent token is spent for both.
    const replay = await refresh(a, registered.refresh);
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual(BLACKLISTED);
  });

  test('20 concurrent refreshes of one refresh token over both instances: exactly one 200', async () => {
    await register(b, 'racer');
    for (let round = 0; round < 3; round++) {
      const { refresh: token } = await login(round % 2 === 0 ? a : b, 'racer');
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => refresh(i % 2 === 0 ? a : b, token)),
      );
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses, answers.map((answer) => answer.text).join('\n')).toEqual([
        200,
        ...Array.from({ length: 19 }, () => 401),
      ]);
    }
  });

  test('a logout on one ends the session on the other at once: its access token is refused there', async () => {
    await register(a, 'leaver');
    const pair = await login(a, 'leaver');
    const kept = await login(b, 'leaver');
    expect((await me(b, pair.access)).status).toBe(200);

    const logout = await call(a, 'POST', '/api/auth/logout/', { body: { refresh: pair.refresh } });
    expect(logout.status, logout.text).toBe(200);
    // No wait, no cache to expire: the other instance asks the database on every request.
    const refused = await me(b, pair.access);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'token_not_valid' });
    const replay = await refresh(b, pair.refresh);
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual(BLACKLISTED);
    // The user's other session is untouched.
    expect((await me(a, kept.access)).status).toBe(200);
  });

  test('the same username registered on both at once: exactly one 201', async () => {
    for (let round = 0; round < 5; round++) {
      const username = `twin${round}`;
      const answers = await Promise.all(
        [a, b].map((server) =>
          call(server, 'POST', '/api/users/', { body: { username, password: PASSWORD } }),
        ),
      );
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses, answers.map((answer) => answer.text).join('\n')).toEqual([201, 400]);
      const refusal = answers.find((answer) => answer.status === 400);
      expect(refusal?.body).toEqual({ username: ['user with this username already exists.'] });
    }
  });

  test('failed logins are counted across instances: both throttle an account under attack', async () => {
    await register(a, 'target');
    for (let i = 0; i < 5; i++) {
      const server = i % 2 === 0 ? a : b;
      const answer = await call(server, 'POST', '/api/token/', {
        body: { username: 'target', password: 'wrong-password-1' },
      });
      expect(answer.status, answer.text).toBe(401);
    }
    const blocked = await call(b, 'POST', '/api/token/', {
      body: { username: 'target', password: 'wrong-password-1' },
    });
    expect(blocked.status, blocked.text).toBe(401);
    for (const server of [a, b]) {
      const answer = await call(server, 'POST', '/api/token/', {
        body: { username: 'target', password: 'wrong-password-1' },
      });
      expect(answer.status, answer.text).toBe(429);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  test('SIGKILL right after acknowledged writes loses nothing: the other instance sees them all', async () => {
    const changers = names('kpw', 4);
    const leavers = names('kout', 4);
    const rotators = names('krot', 4);
    const pairs = new Map(
      await Promise.all(
        [...changers, ...leavers, ...rotators].map(async (name) => [name, await register(a, name)] as const),
      ),
    );
    const pair = (name: string) => pairs.get(name) as Pair;
    const newcomers = names('knew', 12);

    // The burst on one instance, every answer awaited in full, then SIGKILL at once.
    const burst = await Promise.all([
      ...newcomers.map((username) =>
        call(a, 'POST', '/api/users/', { body: { username, password: PASSWORD } }),
      ),
      ...changers.map((name) =>
        call(a, 'POST', '/api/users/me/password/', {
          body: { current_password: PASSWORD, new_password: NEW_PASSWORD },
          access: pair(name).access,
        }),
      ),
      ...leavers.map((name) =>
        call(a, 'POST', '/api/auth/logout/', { body: { refresh: pair(name).refresh } }),
      ),
      ...rotators.map((name) => refresh(a, pair(name).refresh)),
    ]);
    a.child.kill('SIGKILL');
    expect(
      burst.map((answer) => answer.status),
      burst.map((answer) => answer.text).join('\n'),
    ).toEqual([
      ...newcomers.map(() => 201),
      ...changers.map(() => 204),
      ...leavers.map(() => 200),
      ...rotators.map(() => 200),
    ]);
    expect(await a.closed).toEqual({ code: null, signal: 'SIGKILL' });

    await Promise.all(newcomers.map((name) => login(b, name)));
    await Promise.all(changers.map((name) => login(b, name, NEW_PASSWORD)));
    for (const name of changers) {
      const old = await call(b, 'POST', '/api/token/', { body: { username: name, password: PASSWORD } });
      expect(old.status, `${name} with the old password`).toBe(401);
    }
    for (const name of leavers) {
      expect((await me(b, pair(name).access)).status, `${name}'s ended session`).toBe(401);
    }
    const rotated = burst.slice(newcomers.length + changers.length + leavers.length);
    for (const [i, name] of rotators.entries()) {
      const next = pairOf(rotated[i] as Answer);
      expect((await me(b, next.access)).status, `${name}'s rotated-in token`).toBe(200);
      expect((await refresh(b, next.refresh)).status, `${name}'s rotated-in refresh token`).toBe(200);
    }
  });
});

describe.skipIf(!postgres)('graceful shutdown (SIGTERM) over PostgreSQL', () => {
  afterAll(killServers);

  test('stops accepting connections, finishes the request in flight, closes its pool, exits 0', async () => {
    assertServerBuilt();
    const database = await pg().createDatabase('gatehouse_sigterm');
    // Its connections carry the database's name, to be found in pg_stat_activity.
    const url = `${database.url}?application_name=${database.name}`;
    const server = await waitReady(await startServer({ DATABASE_URL: url }));
    await register(server, 'sleeper');
    const connections = async (state = '') =>
      (
        await pg().query<{ n: number }>(
          'select count(*)::int as n from pg_stat_activity where application_name = $1 and ' +
            "($2 = '' or wait_event_type = $2)",
          [database.name, state],
        )
      )[0]?.n ?? 0;

    // A lock the test holds keeps a login waiting in the database: a request in flight for as long as needed.
    const lock = new Client({ connectionString: database.url });
    await lock.connect();
    try {
      await lock.query('begin');
      await lock.query('lock table users in access exclusive mode');
      let done = false;
      const inFlight = login(server, 'sleeper').finally(() => (done = true));
      await waitFor(async () => (await connections('Lock')) === 1, 'the login to wait on the lock');

      server.child.kill('SIGTERM');
      const port = Number(new URL(server.base).port);
      await waitFor(async () => !(await accepts(port)), 'the listening socket to close');
      expect(done).toBe(false);
      expect(server.child.exitCode).toBeNull();

      await lock.query('commit');
      const pair = await inFlight;
      expect(pair.access).toEqual(expect.any(String));
    } finally {
      await lock.end();
    }
    const answered = Date.now();
    expect(await server.closed).toEqual({ code: 0, signal: null });
    // At once: the finished request's keep-alive connection does not hold the shutdown for its timeout.
    expect(Date.now() - answered).toBeLessThan(5_000);
    expect(server.stderr()).toBe('');
    expect(server.stdout()).toContain('shutting down: finishing in-flight requests');
    // The pool was ended: no connection of the server's is left on the database server.
    await waitFor(async () => (await connections()) === 0, 'the connections to close');
  });
});

describe.skipIf(!postgres)("the README's recipe for several instances", () => {
  test('runs as written: two instances, a token from one accepted by the other, SIGTERM to both', async () => {
    assertServerBuilt();
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.split('## Running several instances (PostgreSQL)')[1] ?? '';
    const recipe = /```bash\n([\s\S]*?)```/.exec(section)?.[1];
    expect(recipe).toBeDefined();
    const database = await pg().createDatabase('gatehouse_readme');
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('GATEHOUSE_')),
    );
    const [a, b] = [await freePort(), await freePort()];
    const env = { ...inherited, DATABASE_URL: database.url, A: String(a), B: String(b) };
    // Its own process group, so that nothing it started outlives a failure.
    const child = spawn('bash', ['-euc', recipe ?? ''], { cwd: root, env, detached: true });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    try {
      expect(code, output).toBe(0);
      expect(output).toContain('"username":"sam"');
    } finally {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group has already exited.
      }
    }
  });
});

const CLI_JS = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

describe.skipIf(!postgres)('gatehouse keys rotate and retire while two instances run', () => {
  let url: string;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    assertServerBuilt();
    url = (await pg().createDatabase('gatehouse_keys')).url;
    a = await waitReady(await startServer({ DATABASE_URL: url, GATEHOUSE_RATE_LIMITS: 'false' }));
    b = await waitReady(await startServer({ DATABASE_URL: url, GATEHOUSE_RATE_LIMITS: 'false' }));
  });
  afterAll(killServers);

  /** The built CLI, in a process of its own, on the servers' database. */
  const gatehouse = async (...args: string[]) => {
    const run = spawnNode(CLI_JS, args, { env: { ...inheritedEnv(), DATABASE_URL: url } });
    run.child.stdin?.end();
    const exit = await run.closed;
    expect(exit.code, `gatehouse ${args.join(' ')}: ${run.stderr()}`).toBe(0);
    return run.stdout();
  };
  const kid = (pair: Pair) => decodeHeader(pair.access).kid;
  /** Polls (once a second; a login hashes a password) until `condition` holds. */
  const eventually = async (condition: () => Promise<boolean>, what: string) => {
    // An instance reloads its keys every RELOAD_INTERVAL (60 s), on a request, in the background.
    const deadline = Date.now() + 100_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };

  test("both pick up a rotated key, each verifies the other's tokens, and both refuse a retired key's", async () => {
    await register(a, 'rotator');
    const old = await login(a, 'rotator');
    const first = kid(old);
    expect(kid(await login(b, 'rotator'))).toBe(first);

    const added = /^Added HMAC key ([\w-]+): published now/m.exec(await gatehouse('keys', 'rotate'))?.[1];
    expect(added).toBeDefined();
    // Published, not signing yet: both still sign with the first key and verify both.
    expect(kid(await login(b, 'rotator'))).toBe(first);

    // The activation delay (ACTIVATION_DELAY, 120 s) passed, without waiting for it: every key is
    // moved 130 s into the past, the order of their creation kept.
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ kid: string; created_at: string }>(
        'select kid, created_at from signing_keys',
      );
      for (const row of rows) {
        const earlier = new Date(Date.parse(row.created_at) - 130_000).toISOString();
        await client.query('update signing_keys set created_at = $1 where kid = $2', [earlier, row.kid]);
      }
    } finally {
      await client.end();
    }

    // Polled with another account: each poll is a login, and after GATEHOUSE_MAX_SESSIONS_PER_USER of them
    // the rotator's first session (whose tokens are checked below) would be ended as its oldest.
    await register(a, 'poller');
    const signed: Record<string, Pair> = {};
    await eventually(async () => {
      for (const [name, server] of [
        ['a', a],
        ['b', b],
      ] as const) {
        if (signed[name] === undefined) {
          const pair = await login(server, 'poller');
          if (kid(pair) === added) signed[name] = pair;
        }
      }
      return signed['a'] !== undefined && signed['b'] !== undefined;
    }, 'both instances to sign with the rotated key');
    for (const [issuer, verifier] of [
      [signed['a'], b],
      [signed['b'], a],
    ] as const) {
      const answer = await me(verifier, (issuer as Pair).access);
      expect(answer.status, answer.text).toBe(200);
    }
    // Not retired yet: the first key's tokens still verify on both.
    for (const server of [a, b]) expect((await me(server, old.access)).status).toBe(200);

    expect(await gatehouse('keys', 'retire', first as string)).toMatch(new RegExp(`^Retired ${first}:`));
    await eventually(
      async () => (await me(a, old.access)).status === 401 && (await me(b, old.access)).status === 401,
      "both instances to refuse the retired key's tokens",
    );
    for (const server of [a, b]) {
      const refused = await me(server, old.access);
      expect(refused.body).toMatchObject({ code: 'token_not_valid' });
      // The refresh token signed with it too.
      expect((await refresh(server, old.refresh)).status).toBe(401);
      expect((await me(server, (signed['a'] as Pair).access)).status).toBe(200);
    }
  }, 300_000);
});

async function register(server: ServerProcess, username: string): Promise<Pair> {
  const answer = await call(server, 'POST', '/api/users/', { body: { username, password: PASSWORD } });
  expect(answer.status, `register ${username}: ${answer.text}`).toBe(201);
  return pairOf(answer);
}

async function login(server: ServerProcess, username: string, password = PASSWORD): Promise<Pair> {
  const answer = await call(server, 'POST', '/api/token/', { body: { username, password } });
  expect(answer.status, `login ${username}: ${answer.text}`).toBe(200);
  return pairOf(answer);
}

const me = (server: ServerProcess, access: string) => call(server, 'GET', '/api/users/me/', { access });
const refresh = (server: ServerProcess, token: string) =>
  call(server, 'POST', '/api/token/refresh/', { body: { refresh: token } });

/** Whether a new TCP connection to the port is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function pairOf(answer: Answer): Pair {
  const { refresh, access } = answer.body ?? {};
  if (typeof refresh !== 'string' || typeof access !== 'string') {
    throw new Error(`no token pair in HTTP ${answer.status} ${answer.text}`);
  }
  return { refresh, access };
}

const names = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);
