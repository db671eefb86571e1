import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTestContext, type TestContext } from '../testing/test-app.js';
import { WEB_APP_POLICY } from './security-headers.js';

const INDEX =
  '<!doctype html><title>Gatehouse</title><script type="module" src="/assets/app-1a2b3c.js"></script>';
const SCRIPT = 'console.log("app");';
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const API_POLICY = "default-src 'none'; frame-ancestors 'none'";

let ctx: TestContext;
/** Holds the web root `dir` and, beside it, a file no URL may reach. */
let parent: string;
let dir: string;

beforeEach(() => {
  parent = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-web-'));
  dir = path.join(parent, 'web');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(parent, 'outside.txt'), 'outside');
});
afterEach(async () => {
  await ctx.close();
  fs.rmSync(parent, { recursive: true, force: true });
});

function build(): void {
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), INDEX);
  fs.writeFileSync(path.join(dir, 'assets', 'app-1a2b3c.js'), SCRIPT);
  fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  fs.writeFileSync(path.join(dir, '.env'), 'SECRET=1');
}

describe('with a built app', () => {
  beforeEach(async () => {
    build();
    ctx = await createTestContext({ GATEHOUSE_WEB_ROOT: dir });
  });

  test('/ is index.html: never cached stale, with the page policy and the other security headers', async () => {
    for (const accept of [HTML, '*/*']) {
      const response = await ctx.app.inject({ url: '/', headers: { accept } });
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe(INDEX);
      expect(response.headers).toMatchObject({
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
        'content-security-policy': WEB_APP_POLICY,
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
      });
      expect(response.headers.etag).toBeDefined();
    }
    expect(WEB_APP_POLICY).not.toContain('unsafe-inline');
    expect(WEB_APP_POLICY).toContain("frame-ancestors 'none'");
  });

  test('a page of the app (a navigation, asking for HTML) is index.html, HEAD included', async () => {
    for (const url of [
      '/login',
      '/account/',
      '/admin/users/0b7c4c52-5f2e-4d8e-9b1a-2f3c4d5e6f70',
      '/x?next=/a',
    ]) {
      const response = await ctx.app.inject({ url, headers: { accept: HTML } });
      expect(response.statusCode, url).toBe(200);
      expect(response.body).toBe(INDEX);
      expect(response.headers['content-security-policy']).toBe(WEB_APP_POLICY);
    }
    const head = await ctx.app.inject({ method: 'HEAD', url: '/login', headers: { accept: HTML } });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  test('the pages of mailed links are the app, and tell no other site where they came from', async () => {
    for (const page of [
      '/reset-password',
      '/verify-email',
      '/confirm-email',
      '/revert-email',
      '/end-sessions',
      '/forgot-password',
      '/reset-password/',
    ]) {
      const response = await ctx.app.inject({ url: page, headers: { accept: HTML } });
      expect(response.statusCode, page).toBe(200);
      expect(response.body).toBe(INDEX);
      expect(response.headers).toMatchObject({
        'referrer-policy': 'no-referrer',
        'content-security-policy': WEB_APP_POLICY,
        'cache-control': 'no-cache',
      });
    }
    // The API keeps its own policy.
    const api = await ctx.app.inject({ url: '/api/', headers: { accept: 'application/json' } });
    expect(api.headers['referrer-policy']).toBe('same-origin');
  });

  test('a revalidation of index.html is a 304', async () => {
    const first = await ctx.app.inject({ url: '/', headers: { accept: HTML } });
    const again = await ctx.app.inject({
      url: '/',
      headers: { accept: HTML, 'if-none-match': String(first.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
  });

  test('hashed assets are cached for a year, immutable', async () => {
    const response = await ctx.app.inject({ url: '/assets/app-1a2b3c.js' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(SCRIPT);
    expect(response.headers['content-type']).toMatch(/^text\/javascript|^application\/javascript/);
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  test('other files of the build are served as they are (even to a navigation), revalidated', async () => {
    const response = await ctx.app.inject({ url: '/favicon.svg', headers: { accept: HTML } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(response.headers['cache-control']).toBe('no-cache');
  });

  test('a missing asset or file is the JSON 404, never index.html', async () => {
    for (const url of ['/assets/gone-000000.js', '/robots.txt']) {
      const response = await ctx.app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json()).toEqual({ detail: 'Not found.' });
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['content-security-policy']).toBe(API_POLICY);
    }
  });

  test('dotfiles and paths out of the directory are never served', async () => {
    for (const url of [
      '/.env',
      '/assets/../.env',
      '/%2e%2e/outside.txt',
      '/..%2foutside.txt',
      '/assets/%2e%2e/%2e%2e/outside.txt',
      '/%00',
      '/%zz',
    ]) {
      const response = await ctx.app.inject({ url });
      expect(response.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(response.body, url).not.toMatch(/SECRET|outside/);
    }
  });

  test('the API keeps its JSON answers: unknown /api paths 404, POST-only routes 405, other methods 404', async () => {
    const unknown = await ctx.app.inject({ url: '/api/nope', headers: { accept: HTML } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ detail: 'Not found.' });
    expect(unknown.headers['content-security-policy']).toBe(API_POLICY);

    for (const url of ['/token/', '/token/refresh/', '/user/login', '/api/token/', '/api/auth/login/']) {
      const response = await ctx.app.inject({ url, headers: { accept: HTML } });
      expect(response.statusCode, url).toBe(405);
      expect(response.json()).toEqual({ detail: 'Method "GET" not allowed.' });
    }

    const root = await ctx.app.inject({ url: '/api/', headers: { accept: HTML } });
    expect(root.json()).toEqual(['/api/token', '/api/token/refresh']);
    expect(root.headers['cache-control']).toBe('no-store');

    const post = await ctx.app.inject({ method: 'POST', url: '/login', headers: { accept: HTML } });
    expect(post.statusCode).toBe(404);
    expect(post.json()).toEqual({ detail: 'Not found.' });
  });

  test('a fetch (not asking for HTML) of an unknown path is the JSON 404', async () => {
    const response = await ctx.app.inject({ url: '/nope', headers: { accept: 'application/json' } });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ detail: 'Not found.' });
  });

  test('the catch-all is not in the OpenAPI document', async () => {
    const document = (await ctx.app.inject({ url: '/api/docs' })).json();
    expect(Object.keys(document.paths)).not.toContain('/*');
  });
});

test('source maps are served outside production, and in production only with GATEHOUSE_WEB_SOURCE_MAPS=true', async () => {
  build();
  fs.writeFileSync(path.join(dir, 'assets', 'app-1a2b3c.js.map'), '{"version":3}');
  const get = () => ctx.app.inject({ url: '/assets/app-1a2b3c.js.map' });
  ctx = await createTestContext({ GATEHOUSE_WEB_ROOT: dir });
  expect((await get()).statusCode).toBe(200);
  await ctx.close();
  ctx = await createTestContext({ GATEHOUSE_WEB_ROOT: dir, NODE_ENV: 'production' });
  expect((await get()).statusCode).toBe(404);
  expect((await ctx.app.inject({ url: '/assets/app-1a2b3c.js' })).statusCode).toBe(200);
  await ctx.close();
  ctx = await createTestContext({
    GATEHOUSE_WEB_ROOT: dir,
    NODE_ENV: 'production',
    GATEHOUSE_WEB_SOURCE_MAPS: 'true',
  });
  expect((await get()).statusCode).toBe(200);
});

test('without index.html, / says how to build the app instead of failing', async () => {
  ctx = await createTestContext({ GATEHOUSE_WEB_ROOT: dir });
  for (const url of ['/', '/login']) {
    const response = await ctx.app.inject({ url, headers: { accept: HTML } });
    expect(response.statusCode, url).toBe(404);
    expect(response.json().detail).toContain('npm run build');
  }
});

test('a directory that does not exist is the same note, not a crash', async () => {
  ctx = await createTestContext({ GATEHOUSE_WEB_ROOT: path.join(dir, 'missing') });
  const response = await ctx.app.inject({ url: '/', headers: { accept: HTML } });
  expect(response.statusCode).toBe(404);
  expect(response.json().detail).toContain('npm run build');
});

test('GATEHOUSE_WEB_ROOT empty: no web app, / is the JSON 404', async () => {
  build();
  ctx = await createTestContext({ GATEHOUSE_WEB_ROOT: '' });
  const response = await ctx.app.inject({ url: '/', headers: { accept: HTML } });
  expect(response.statusCode).toBe(404);
  expect(response.json()).toEqual({ detail: 'Not found.' });
});
