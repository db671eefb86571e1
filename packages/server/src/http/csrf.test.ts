/**
 * CSRF on every route that reads or sets the browser-mode refresh cookie (http/token-delivery.ts: the
 * routes calling deliverTokens, presentedRefreshToken or checkBrowserRequest): login and registration in
 * browser mode set it, refresh and logout read it. A request a page of another site can make is refused
 * with 403 and changes nothing: no account, session, token, audit entry, throttle counter or mail, and
 * no Set-Cookie. The same request from the page's own origin, or a listed one, goes through: the refusal
 * is the CSRF check's, not something else's.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTestContext, type TestContext } from '../testing/test-app.js';

const LISTED = 'http://localhost:5173';
let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext({ GATEHOUSE_CORS_ALLOWED_ORIGINS: LISTED });
  await ctx.createUser({ username: 'user1', email: 'user1@example.com' });
});
afterEach(() => ctx.close());

const BROWSER = { 'x-gatehouse-session': 'cookie', host: 'localhost:80' };
const SAME_ORIGIN = { ...BROWSER, origin: 'http://localhost:80', 'sec-fetch-site': 'same-origin' };
const CSRF_FAILED = { detail: 'CSRF check failed.' };

interface CookieRoute {
  url: string;
  body: object;
  /** The status of the same request from the page's own origin. */
  allowed: number;
}

const ROUTES: CookieRoute[] = [
  { url: '/api/auth/login/', body: { username: 'user1', password: 'password1' }, allowed: 200 },
  { url: '/api/users/', body: { username: 'newbie', password: 'tangerine-kayak-42' }, allowed: 201 },
  { url: '/api/auth/refresh/', body: {}, allowed: 200 },
  { url: '/api/auth/logout/', body: {}, allowed: 200 },
];

/** What a page of another site can send with the custom header (a script's fetch, once preflighted). */
const CROSS_SITE: [string, Record<string, string>][] = [
  ['a foreign Origin', { origin: 'https://evil.example' }],
  [
    'a foreign Origin and Sec-Fetch-Site: cross-site',
    { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
  ],
  ['Origin: null (a sandboxed frame, a file)', { origin: 'null' }],
  ['Sec-Fetch-Site: cross-site without an Origin', { 'sec-fetch-site': 'cross-site' }],
  ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'sec-fetch-site': 'same-site' }],
  ['this host over another scheme', { origin: 'https://localhost:80' }],
  ['a listed host on another port', { origin: 'http://localhost:5174' }],
  ['a listed origin with a trailing slash', { origin: `${LISTED}/` }],
];

/**
 * Every table a request could change. rate_limits is left out: the per-IP limit counts refused requests
 * too (a flood of forged registrations is still a flood).
 */
const TABLES = ['users', 'sessions', 'refresh_tokens', 'audit_log', 'login_failures', 'mail_outbox'];

async function snapshot(): Promise<Record<string, string[]>> {
  const state: Record<string, string[]> = {};
  for (const table of TABLES) {
    state[table] = (await ctx.rows.all(`SELECT * FROM ${table}`)).map((row) => JSON.stringify(row)).sort();
  }
  return state;
}

const post = (url: string, headers: Record<string, string>, payload: object = {}) =>
  ctx.app.inject({ method: 'POST', url, headers, payload });

function cookieOf(response: LightMyRequestResponse): string {
  return /gatehouse_refresh=([^;]*)/.exec(String(response.headers['set-cookie']))?.[1] ?? '';
}

/** A signed-in browser: its cookie jar, as it is sent to every /api/auth route. */
async function signedInJar(): Promise<string> {
  const login = await post('/api/auth/login/', SAME_ORIGIN, { username: 'user1', password: 'password1' });
  expect(login.statusCode).toBe(200);
  return `gatehouse_refresh=${cookieOf(login)}`;
}

async function expectRefusedAndUnchanged(route: CookieRoute, headers: Record<string, string>) {
  const before = await snapshot();
  const response = await post(route.url, headers, route.body);
  expect(response.statusCode, route.url).toBe(403);
  expect(response.json()).toEqual(CSRF_FAILED);
  expect(response.headers['set-cookie'], route.url).toBeUndefined();
  expect(await snapshot(), route.url).toEqual(before);
}

describe.each(ROUTES)('CSRF on $url', (route) => {
  test.each(CROSS_SITE)('%s: 403, nothing changes', async (_, crossSite) => {
    const cookie = await signedInJar();
    await expectRefusedAndUnchanged(route, { ...BROWSER, cookie, ...crossSite });
    // The same request from the page's own origin goes through, and changes something.
    const before = await snapshot();
    const allowed = await post(route.url, { ...SAME_ORIGIN, cookie }, route.body);
    expect(allowed.statusCode, allowed.body).toBe(route.allowed);
    expect(await snapshot()).not.toEqual(before);
  });

  test('a listed origin, even cross-site, goes through', async () => {
    const cookie = await signedInJar();
    const response = await post(
      route.url,
      { ...BROWSER, cookie, origin: LISTED, 'sec-fetch-site': 'cross-site' },
      route.body,
    );
    expect(response.statusCode, response.body).toBe(route.allowed);
  });
});

describe('the cookie-reading routes: refresh and logout', () => {
  const reading = ROUTES.filter(
    (route) => route.url === '/api/auth/refresh/' || route.url === '/api/auth/logout/',
  );

  test.each(reading)(
    '$url: a cookie without the custom header (a cross-site form) is never read: token mode, nothing changes',
    async (route) => {
      const cookie = await signedInJar();
      for (const [contentType, payload] of [
        ['application/x-www-form-urlencoded', ''],
        ['application/x-www-form-urlencoded', 'refresh='],
        ['application/json', '{}'],
      ] as const) {
        const before = await snapshot();
        const response = await ctx.app.inject({
          method: 'POST',
          url: route.url,
          headers: {
            cookie,
            host: 'localhost:80',
            origin: 'https://evil.example',
            'content-type': contentType,
          },
          payload,
        });
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        expect(response.statusCode).toBeLessThan(500);
        expect(response.headers['set-cookie']).toBeUndefined();
        expect(await snapshot()).toEqual(before);
      }
      // The cookie still works from the page itself.
      expect((await post(route.url, { ...SAME_ORIGIN, cookie })).statusCode).toBe(route.allowed);
    },
  );

  test.each(reading)(
    '$url: a cross-site request carrying the cookie twice is refused as CSRF first: the cookie is not cleared',
    async (route) => {
      const cookie = await signedInJar();
      const planted = await signedInJar();
      await expectRefusedAndUnchanged(route, {
        ...BROWSER,
        cookie: `${planted}; ${cookie}`,
        origin: 'https://evil.example',
      });
    },
  );
});

describe('logging out everywhere', () => {
  test('needs the access token, which a cross-site request cannot send: 401, no session ended, no cookie cleared', async () => {
    const cookie = await signedInJar();
    for (const crossSite of CROSS_SITE.map(([, headers]) => headers)) {
      const before = await snapshot();
      const response = await post('/api/auth/logout-all/', { ...BROWSER, cookie, ...crossSite });
      expect(response.statusCode).toBe(401);
      expect(response.headers['set-cookie']).toBeUndefined();
      expect(await snapshot()).toEqual(before);
    }
    expect((await post('/api/auth/refresh/', { ...SAME_ORIGIN, cookie })).statusCode).toBe(200);
  });
});
