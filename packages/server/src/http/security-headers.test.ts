import { afterEach, expect, test } from 'vitest';
import { createTestContext, type TestContext } from '../testing/test-app.js';

let ctx: TestContext;
afterEach(() => ctx.close());

test('every response, errors included, carries the security headers and no X-Powered-By', async () => {
  ctx = await createTestContext();
  for (const [method, url] of [
    ['GET', '/api/'],
    ['GET', '/nope'],
    ['GET', '/api/profile/'],
    ['POST', '/api/token/'],
  ] as const) {
    const response = await ctx.app.inject({ method, url });
    expect(response.headers).toMatchObject({
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'same-origin',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    });
    expect(response.headers['x-powered-by']).toBeUndefined();
  }
});

test('CORS: same origin only by default, an arbitrary Origin is never reflected', async () => {
  ctx = await createTestContext();
  const response = await ctx.app.inject({ url: '/api/', headers: { origin: 'http://localhost:3000' } });
  expect(response.statusCode).toBe(200);
  expect(response.headers['access-control-allow-origin']).toBeUndefined();
});

test('CORS: a listed origin is allowed, on errors too, and preflights succeed; others are not', async () => {
  ctx = await createTestContext({
    GATEHOUSE_CORS_ALLOWED_ORIGINS: 'http://localhost:3000, https://app.example.com',
  });
  const allowed = await ctx.app.inject({
    url: '/api/profile/',
    headers: { origin: 'http://localhost:3000' },
  });
  expect(allowed.statusCode).toBe(401);
  expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:3000');
  expect(allowed.headers.vary).toMatch(/Origin/);

  const preflight = await ctx.app.inject({
    method: 'OPTIONS',
    url: '/api/token/',
    headers: {
      origin: 'https://app.example.com',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,authorization',
    },
  });
  expect(preflight.statusCode).toBe(204);
  expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
  expect(preflight.headers['access-control-allow-methods']).toContain('POST');
  expect(String(preflight.headers['access-control-allow-headers'])).toContain('authorization');

  for (const origin of ['http://evil.example', 'null', 'http://localhost:3000.evil.example']) {
    const refused = await ctx.app.inject({ url: '/api/', headers: { origin } });
    expect(refused.headers['access-control-allow-origin'], origin).toBeUndefined();
  }
});

test('CORS: a preflight is answered before authentication, on any path; a plain OPTIONS reaches the route', async () => {
  ctx = await createTestContext({ GATEHOUSE_CORS_ALLOWED_ORIGINS: 'https://app.example.com' });
  for (const url of ['/api/profile/', '/api/admin/users/', '/api/nowhere/']) {
    const preflight = await ctx.app.inject({
      method: 'OPTIONS',
      url,
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' },
    });
    expect(preflight.statusCode, url).toBe(204);
    expect(preflight.body).toBe('');
    expect(preflight.headers, url).toMatchObject({
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '86400',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
  }
  const plain = await ctx.app.inject({
    method: 'OPTIONS',
    url: '/api/profile/',
    headers: { origin: 'https://app.example.com' },
  });
  expect(plain.statusCode).toBe(204);
  expect(plain.headers.allow).toBe('GET, PATCH, HEAD, OPTIONS');
  expect(plain.headers['access-control-allow-methods']).toBeUndefined();
  // Another origin's preflight gets no CORS header at all: the browser refuses the request.
  const refused = await ctx.app.inject({
    method: 'OPTIONS',
    url: '/api/profile/',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
  });
  expect(Object.keys(refused.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  expect(refused.headers.vary).toMatch(/Origin/);
});

test('CORS: without listed origins, no answer varies by Origin', async () => {
  ctx = await createTestContext();
  const response = await ctx.app.inject({
    method: 'OPTIONS',
    url: '/api/token/',
    headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
  });
  expect(response.headers.vary).toBeUndefined();
  expect(response.headers['access-control-allow-origin']).toBeUndefined();
});
