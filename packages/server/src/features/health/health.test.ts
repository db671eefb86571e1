import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { createApp } from '../../app.js';
import { createPasswordHasher } from '../../auth/passwords.js';
import { createTestContext, TEST_SIGNING_KEY, type TestContext } from '../../testing/test-app.js';
import { createReadinessCheck } from '../../http/readiness.js';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
});
afterEach(() => ctx.close());

const databaseDown = () => vi.spyOn(ctx.store, 'ping').mockRejectedValue(new Error('connect ECONNREFUSED'));

test('GET /api/health: 200 {status: ok}, without asking the database', async () => {
  const ping = databaseDown();
  for (const url of ['/api/health', '/api/health/']) {
    const response = await ctx.app.inject({ url });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
    expect(response.headers['cache-control']).toBe('no-store');
  }
  expect((await ctx.app.inject({ method: 'HEAD', url: '/api/health' })).statusCode).toBe(200);
  expect(ping).not.toHaveBeenCalled();
});

test('GET /api/ready: 200 {status: ready, database: ok} when the database answers', async () => {
  const ping = vi.spyOn(ctx.store, 'ping');
  for (const url of ['/api/ready', '/api/ready/']) {
    const response = await ctx.app.inject({ url });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', database: 'ok' });
  }
  expect(ping).toHaveBeenCalledTimes(2);
});

test('GET /api/ready: 503 with Retry-After when the database does not answer', async () => {
  databaseDown();
  const response = await ctx.app.inject({ url: '/api/ready' });
  expect(response.statusCode).toBe(503);
  expect(response.json()).toEqual({ status: 'unavailable', database: 'unreachable' });
  expect(response.headers['retry-after']).toBe('5');
  expect(response.headers['cache-control']).toBe('no-store');
  // Liveness is unaffected: a database outage must not get the process restarted.
  expect((await ctx.app.inject({ url: '/api/health' })).statusCode).toBe(200);
});

test('other methods are 405; neither route is rate-limited', async () => {
  for (const url of ['/api/health', '/api/ready']) {
    const response = await ctx.app.inject({ method: 'POST', url });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD, OPTIONS');
  }
  const hit = vi.spyOn(ctx.store, 'hitRateLimit');
  for (let i = 0; i < 5; i++) expect((await ctx.app.inject({ url: '/api/ready' })).statusCode).toBe(200);
  expect(hit).not.toHaveBeenCalled();
});

test('the readiness check gives up after its timeout, and a late failure is not an unhandled rejection', async () => {
  let fail: (error: Error) => void = () => {};
  const hanging = new Promise<void>((_resolve, reject) => (fail = reject));
  const ready = createReadinessCheck({ ping: () => hanging }, 20);
  const started = Date.now();
  expect(await ready()).toBe(false);
  expect(Date.now() - started).toBeLessThan(1_000);
  fail(new Error('too late'));
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(await createReadinessCheck({ ping: async () => {} }, 20)()).toBe(true);
});

test('successful health checks are not logged at info; other requests are', async () => {
  const lines: { msg?: string; path?: string; status?: number }[] = [];
  const app = await createApp({
    config: ctx.config,
    store: ctx.store,
    hasher: createPasswordHasher(ctx.config.passwordHash),
    signingKey: TEST_SIGNING_KEY,
    logger: { level: 'info', stream: { write: (line: string) => lines.push(JSON.parse(line)) } },
  });
  try {
    await app.inject({ url: '/api/health' });
    await app.inject({ url: '/api/ready' });
    await app.inject({ url: '/api/' });
    vi.spyOn(ctx.store, 'ping').mockRejectedValue(new Error('down'));
    await app.inject({ url: '/api/ready' });
  } finally {
    await app.close();
  }
  const requests = lines
    .filter((line) => line.msg === 'request')
    .map(({ path, status }) => ({ path, status }));
  expect(requests).toEqual([{ path: '/api/', status: 200 }]);
  // A failed readiness check is worth a line.
  expect(lines.filter((line) => line.msg?.startsWith('not ready'))).toHaveLength(1);
});
