import { afterEach, beforeEach, expect, test } from 'vitest';
import { createTestContext, type TestContext } from '../../testing/test-app.js';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
});
afterEach(() => ctx.close());

test('GET /api/ lists tutorial A routes, with and without the slash', async () => {
  for (const url of ['/api/', '/api']) {
    const response = await ctx.app.inject({ url });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('["/api/token","/api/token/refresh"]');
  }
});

test('POST /api/ is 405', async () => {
  const response = await ctx.app.inject({ method: 'POST', url: '/api/' });
  expect(response.statusCode).toBe(405);
  expect(response.json()).toEqual({ detail: 'Method "POST" not allowed.' });
  expect(response.headers.allow).toBe('GET, HEAD, OPTIONS');
});

test('a plain OPTIONS answers 204 with the Allow header; unknown paths stay 404', async () => {
  const response = await ctx.app.inject({ method: 'OPTIONS', url: '/api/' });
  expect(response.statusCode).toBe(204);
  expect(response.headers.allow).toBe('GET, HEAD, OPTIONS');
  expect((await ctx.app.inject({ method: 'OPTIONS', url: '/api/token/' })).headers.allow).toBe(
    'POST, OPTIONS',
  );
  expect((await ctx.app.inject({ method: 'OPTIONS', url: '/nope/' })).statusCode).toBe(404);
});
