import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { DatabaseUnavailableError } from '../store/database-errors.js';
import { createTestContext, type TestContext } from '../testing/test-app.js';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
});
afterEach(() => ctx.close());

const UNAVAILABLE = {
  detail: 'Service temporarily unavailable, try again shortly.',
  code: 'service_unavailable',
};
const adminShutdown = () =>
  Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });

test('a database out of reach is 503 with Retry-After, on public and protected routes alike', async () => {
  await ctx.createUser({ username: 'user1' });
  const { access, refresh } = await ctx.login('user1');

  vi.spyOn(ctx.store, 'findLoginCandidate').mockRejectedValueOnce(adminShutdown());
  vi.spyOn(ctx.store, 'findAccessSubject').mockRejectedValueOnce(
    new DatabaseUnavailableError(new Error('connect ECONNREFUSED 127.0.0.1:5432')),
  );
  vi.spyOn(ctx.store, 'rotateRefreshToken').mockRejectedValueOnce(
    new Error('Connection terminated unexpectedly'),
  );
  const answers = [
    await ctx.app.inject({
      method: 'POST',
      url: '/api/token/',
      payload: { username: 'user1', password: 'password1' },
    }),
    await ctx.app.inject({ url: '/api/profile/', headers: { authorization: `Bearer ${access}` } }),
    await ctx.app.inject({ method: 'POST', url: '/api/token/refresh/', payload: { refresh } }),
  ];
  for (const response of answers) {
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual(UNAVAILABLE);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.headers['cache-control']).toBe('no-store');
  }

  // Back: the same requests succeed (the refresh token was never spent).
  expect(
    (await ctx.app.inject({ url: '/api/profile/', headers: { authorization: `Bearer ${access}` } }))
      .statusCode,
  ).toBe(200);
  expect(
    (await ctx.app.inject({ method: 'POST', url: '/api/token/refresh/', payload: { refresh } })).statusCode,
  ).toBe(200);
});

test('SQLite: another process holding the write lock past the busy timeout is 503, not 500', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-busy-'));
  const file = path.join(dir, 'db.sqlite3');
  const busy = await createTestContext({ DATABASE_URL: `sqlite:${file}` });
  const other = new SqliteDatabase(file);
  try {
    other.exec('begin immediate');
    const response = await busy.app.inject({
      method: 'POST',
      url: '/api/users/',
      payload: { username: 'alice', password: 'tangerine-kayak-42' },
    });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual(UNAVAILABLE);
    expect(response.headers['retry-after']).toBe('5');
    other.exec('rollback');
    const again = await busy.app.inject({
      method: 'POST',
      url: '/api/users/',
      payload: { username: 'alice', password: 'tangerine-kayak-42' },
    });
    expect(again.statusCode).toBe(201);
  } finally {
    other.close();
    await busy.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('any other failure stays a bare 500 that tells nothing', async () => {
  vi.spyOn(ctx.store, 'findLoginCandidate').mockRejectedValueOnce(
    Object.assign(new Error('relation "users" does not exist'), { code: '42P01' }),
  );
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/api/token/',
    payload: { username: 'user1', password: 'password1' },
  });
  expect(response.statusCode).toBe(500);
  expect(response.json()).toEqual({ detail: 'A server error occurred.' });
  expect(response.headers['retry-after']).toBeUndefined();
});
