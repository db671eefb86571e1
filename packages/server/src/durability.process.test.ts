import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  assertServerBuilt,
  killServers,
  startServer,
  waitReady,
  type ServerProcess,
} from './testing/server-process.js';

/**
 * "Nothing acknowledged is ever lost": a burst of writes is answered, the server is SIGKILLed the moment
 * the last answer arrives (no graceful shutdown, no chance to flush anything), and a fresh server on the
 * same database must show every acknowledged change in effect.
 */

const CYCLES = 3;
const PASSWORD = 'tangerine-kayak-42';
const NEW_PASSWORD = 'marmalade-canoe-77';
const BLACKLISTED = '{"detail":"Token is blacklisted","code":"token_not_valid"}';

interface Pair {
  refresh: string;
  access: string;
}

let dir: string;
let dbFile: string;

beforeAll(assertServerBuilt);

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-durability-'));
  dbFile = path.join(dir, 'db.sqlite3');
});

afterEach(async () => {
  await killServers();
  fs.rmSync(dir, { recursive: true, force: true });
});

afterAll(killServers);

function startReadyServer(): Promise<ServerProcess> {
  // Dozens of registrations from 127.0.0.1 in a few seconds: no rate limits.
  return startServer({ DATABASE_URL: `sqlite:${dbFile}`, GATEHOUSE_RATE_LIMITS: 'false' }).then(waitReady);
}

interface Answer {
  status: number;
  text: string;
}

/** One request, answered in full (status and body), so "acknowledged" means the client has it all. */
async function call(server: ServerProcess, url: string, body: unknown, access?: string): Promise<Answer> {
  const response = await fetch(server.base + url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(access !== undefined && { authorization: `Bearer ${access}` }),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

function pairOf(answer: Answer, what: string): Pair {
  if (answer.status !== 200 && answer.status !== 201) {
    throw new Error(`${what}: HTTP ${answer.status} ${answer.text}`);
  }
  const body = JSON.parse(answer.text) as Partial<Pair>;
  if (typeof body.refresh !== 'string' || typeof body.access !== 'string') {
    throw new Error(`${what}: no token pair in ${answer.text}`);
  }
  return { refresh: body.refresh, access: body.access };
}

async function register(server: ServerProcess, username: string): Promise<Pair> {
  const answer = await call(server, '/api/users/', { username, password: PASSWORD });
  expect(answer.status, `register ${username}: ${answer.text}`).toBe(201);
  return pairOf(answer, `register ${username}`);
}

function login(server: ServerProcess, username: string, password: string): Promise<Answer> {
  return call(server, '/api/token/', { username, password });
}

async function expectLogin(server: ServerProcess, username: string, password: string): Promise<void> {
  const answer = await login(server, username, password);
  expect(answer.status, `login ${username}: ${answer.text}`).toBe(200);
  expect(Object.keys(JSON.parse(answer.text) as object)).toEqual(['refresh', 'access']);
}

async function expectBlacklisted(server: ServerProcess, token: string, what: string): Promise<void> {
  const answer = await call(server, '/api/token/refresh/', { refresh: token });
  expect({ what, status: answer.status, text: answer.text }).toEqual({
    what,
    status: 401,
    text: BLACKLISTED,
  });
}

const names = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);

describe('durability across SIGKILL', () => {
  test('nothing acknowledged is ever lost: a burst of writes, SIGKILL on the last answer, restart', async () => {
    const started = Date.now();
    /** Every user registered (and acknowledged) in any cycle, with the password it must log in with. */
    const everyone = new Map<string, string>();

    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const first = await startReadyServer();

      // Set-up (acknowledged too): users whose password changes, logs out or rotates in the burst.
      const changers = names(`c${cycle}pw`, 5);
      const leavers = names(`c${cycle}out`, 5);
      const rotators = names(`c${cycle}rot`, 5);
      const setup = await Promise.all(
        [...changers, ...leavers, ...rotators].map(
          async (name) => [name, await register(first, name)] as const,
        ),
      );
      const pairs = new Map(setup);
      const pair = (name: string) => pairs.get(name) as Pair;
      // A second session for each password changer: changing the password must end it.
      const otherSessions = await Promise.all(
        changers.map(async (name) => pairOf(await login(first, name, PASSWORD), `login ${name}`)),
      );

      // The burst: everything at once, every answer awaited in full, then SIGKILL at once.
      const newcomers = names(`c${cycle}new`, 20);
      const burst = await Promise.all([
        ...newcomers.map((username) => call(first, '/api/users/', { username, password: PASSWORD })),
        ...changers.map((name) =>
          call(
            first,
            '/api/users/me/password/',
            { current_password: PASSWORD, new_password: NEW_PASSWORD },
            pair(name).access,
          ),
        ),
        ...leavers.map((name) => call(first, '/api/auth/logout/', { refresh: pair(name).refresh })),
        ...rotators.map((name) => call(first, '/api/token/refresh/', { refresh: pair(name).refresh })),
      ]);
      first.child.kill('SIGKILL');

      const expected = [
        ...newcomers.map(() => 201),
        ...changers.map(() => 204),
        ...leavers.map(() => 200),
        ...rotators.map(() => 200),
      ];
      expect(
        burst.map((answer) => answer.status),
        burst.map((answer) => answer.text).join('\n'),
      ).toEqual(expected);
      expect(await first.closed).toEqual({ code: null, signal: 'SIGKILL' });

      const rotated = rotators.map((name, i) => ({
        name,
        old: pair(name).refresh,
        next: pairOf(burst[newcomers.length + changers.length + leavers.length + i] as Answer, name).refresh,
      }));
      for (const name of [...newcomers, ...leavers, ...rotators]) everyone.set(name, PASSWORD);
      for (const name of changers) everyone.set(name, NEW_PASSWORD);

      // A fresh process on the same database.
      const second = await startReadyServer();

      // Every user ever acknowledged (this cycle's and the earlier ones') logs in with its current password.
      // Ten at a time: one client address may have only so many logins in flight (IN_FLIGHT_PER_IP).
      const accounts = [...everyone];
      for (let i = 0; i < accounts.length; i += 10) {
        await Promise.all(
          accounts.slice(i, i + 10).map(([name, password]) => expectLogin(second, name, password)),
        );
      }
      // The old password of a changer is refused.
      for (const name of changers) {
        const answer = await login(second, name, PASSWORD);
        expect(answer.status, `${name} with the old password: ${answer.text}`).toBe(401);
      }
      // The password change ended the changer's other session, but not the one that made the change.
      await Promise.all(
        changers.map((name, i) =>
          expectBlacklisted(second, (otherSessions[i] as Pair).refresh, `${name}'s other session`),
        ),
      );
      for (const name of changers) {
        const answer = await call(second, '/api/token/refresh/', { refresh: pair(name).refresh });
        expect(answer.status, `${name}'s own session after the change: ${answer.text}`).toBe(200);
      }
      // Logged-out refresh tokens stay blacklisted.
      await Promise.all(
        leavers.map((name) => expectBlacklisted(second, pair(name).refresh, `${name}'s logout`)),
      );
      // The rotated-in refresh tokens work; only then the spent ones are presented (reuse detection
      // would end the session and so also refuse the new one).
      for (const { name, next } of rotated) {
        const answer = await call(second, '/api/token/refresh/', { refresh: next });
        expect(answer.status, `${name}'s rotated-in token: ${answer.text}`).toBe(200);
      }
      for (const { name, old } of rotated)
        await expectBlacklisted(second, old, `${name}'s rotated-away token`);

      second.child.kill('SIGKILL');
      await second.closed;
    }
    // No assertion on the total (it depends on the machine's load); about 15 s on an idle 2-core box.
    console.log(`durability: ${CYCLES} kill/restart cycles in ${Date.now() - started} ms`);
  }, 60_000);
});
