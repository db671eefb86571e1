import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTestContext, type TestContext } from '../testing/test-app.js';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext({ GATEHOUSE_CORS_ALLOWED_ORIGINS: 'http://localhost:5173' });
  await ctx.createUser({ username: 'user1', email: 'user1@example.com' });
});
afterEach(() => ctx.close());

const BROWSER = { 'x-gatehouse-session': 'cookie' };
const SAME_ORIGIN = {
  ...BROWSER,
  origin: 'http://localhost:80',
  host: 'localhost:80',
  'sec-fetch-site': 'same-origin',
};

const post = (url: string, headers: Record<string, string>, payload: object = {}) =>
  ctx.app.inject({ method: 'POST', url, headers, payload });

function refreshCookie(setCookie: string | string[] | number | undefined): {
  value: string;
  attributes: string;
} {
  const header = Array.isArray(setCookie) ? setCookie.join('\n') : String(setCookie);
  const match = /gatehouse_refresh=([^;]*);(.*)/.exec(header);
  return { value: match?.[1] ?? '', attributes: match?.[2] ?? '' };
}

async function browserLogin(headers: Record<string, string> = SAME_ORIGIN) {
  const response = await post('/api/auth/login/', headers, { username: 'user1', password: 'password1' });
  return { response, cookie: refreshCookie(response.headers['set-cookie']) };
}

describe('browser mode: the refresh token only in an httpOnly cookie', () => {
  test('login sets an httpOnly, SameSite=Strict cookie scoped to /api/auth; the body has no refresh token', async () => {
    const { response, cookie } = await browserLogin();
    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.json())).toEqual(['access', 'user']);
    expect(response.body).not.toContain(cookie.value);
    expect(cookie.value).toMatch(/^ey/);
    expect(cookie.attributes).toBe(' Path=/api/auth; Max-Age=86400; HttpOnly; SameSite=Strict');
  });

  test('refresh with the cookie rotates it; the old cookie value is then spent', async () => {
    const { cookie } = await browserLogin();
    const refreshed = await post('/api/auth/refresh/', {
      ...SAME_ORIGIN,
      cookie: `gatehouse_refresh=${cookie.value}`,
    });
    expect(refreshed.statusCode).toBe(200);
    expect(Object.keys(refreshed.json())).toEqual(['access']);
    const next = refreshCookie(refreshed.headers['set-cookie']);
    expect(next.value).toMatch(/^ey/);
    expect(next.value).not.toBe(cookie.value);
    const profile = await ctx.app.inject({
      url: '/api/profile/',
      headers: { authorization: `Bearer ${refreshed.json().access}` },
    });
    expect(profile.statusCode).toBe(200);
    // Past the grace period (a browser that lost the answer would get the same successor within it).
    ctx.clock.advance(ctx.config.sessions.rotationGracePeriod + 1);
    const replay = await post('/api/auth/refresh/', {
      ...SAME_ORIGIN,
      cookie: `gatehouse_refresh=${cookie.value}`,
    });
    expect(replay.statusCode).toBe(401);
    expect(replay.json()).toEqual({ detail: 'Token is blacklisted', code: 'token_not_valid' });
    // A refused cookie is cleared, so the browser stops presenting it.
    expect(refreshCookie(replay.headers['set-cookie'])).toEqual({
      value: '',
      attributes: ' Path=/api/auth; Max-Age=0; HttpOnly; SameSite=Strict',
    });
  });

  test('logout with the cookie ends the session and clears the cookie', async () => {
    const { response, cookie } = await browserLogin();
    const access = response.json().access as string;
    const logout = await post('/api/auth/logout/', {
      ...SAME_ORIGIN,
      cookie: `gatehouse_refresh=${cookie.value}`,
    });
    expect(logout.statusCode).toBe(200);
    expect(refreshCookie(logout.headers['set-cookie']).attributes).toContain('Max-Age=0');
    const profile = await ctx.app.inject({
      url: '/api/profile/',
      headers: { authorization: `Bearer ${access}` },
    });
    expect(profile.statusCode).toBe(401);
  });

  test('refresh without a cookie: 401; token mode still needs the body field', async () => {
    const missing = await post('/api/auth/refresh/', SAME_ORIGIN);
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toEqual({ detail: 'Token is invalid or expired', code: 'token_not_valid' });
    const tokenMode = await post('/api/auth/refresh/', {});
    expect(tokenMode.statusCode).toBe(400);
    expect(tokenMode.json()).toEqual({ refresh: ['This field is required.'] });
  });

  test('registration in browser mode sets the cookie too', async () => {
    const response = await post('/api/users/', SAME_ORIGIN, {
      username: 'newbie',
      password: 'tangerine-kayak-42',
    });
    expect(response.statusCode).toBe(201);
    expect(Object.keys(response.json())).toEqual(['access', 'user']);
    expect(refreshCookie(response.headers['set-cookie']).value).toMatch(/^ey/);
  });

  test('Secure is added over HTTPS', async () => {
    await ctx.close();
    ctx = await createTestContext({ GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1' });
    await ctx.createUser({ username: 'user1' });
    const { response, cookie } = await browserLogin({ ...BROWSER, 'x-forwarded-proto': 'https' });
    expect(cookie.attributes).toContain('; Secure');
    // Named with the __Secure- prefix, which browsers accept only from a secure origin, set Secure.
    expect(String(response.headers['set-cookie'])).toMatch(/^__Secure-gatehouse_refresh=ey/);
    const https = { ...BROWSER, 'x-forwarded-proto': 'https' };
    const refreshed = await post('/api/auth/refresh/', {
      ...https,
      cookie: `__Secure-gatehouse_refresh=${cookie.value}`,
    });
    expect(refreshed.statusCode).toBe(200);
    // Over HTTPS the unprefixed name, which any page of the domain could plant, is not read.
    const next = refreshCookie(refreshed.headers['set-cookie']).value;
    const unprefixed = await post('/api/auth/refresh/', { ...https, cookie: `gatehouse_refresh=${next}` });
    expect(unprefixed.statusCode).toBe(401);
  });

  test('a request carrying the cookie twice (tossed from a sibling subdomain) is refused and the cookie cleared', async () => {
    const { cookie } = await browserLogin();
    const planted = (await browserLogin()).cookie;
    for (const url of ['/api/auth/refresh/', '/api/auth/logout/']) {
      for (const jar of [
        `gatehouse_refresh=${planted.value}; gatehouse_refresh=${cookie.value}`,
        `gatehouse_refresh=${cookie.value}; other=1; gatehouse_refresh=${planted.value}`,
      ]) {
        const response = await post(url, { ...SAME_ORIGIN, cookie: jar });
        expect(response.statusCode, url).toBe(400);
        expect(response.json()).toEqual({
          detail: 'The session cookie was sent more than once. Sign in again.',
          code: 'duplicate_cookie',
        });
        expect(String(response.headers['set-cookie'])).toMatch(
          /^gatehouse_refresh=; Path=\/api\/auth; Max-Age=0/,
        );
      }
    }
    // Neither token was spent or revoked: presented alone, the real one still refreshes.
    const alone = await post('/api/auth/refresh/', {
      ...SAME_ORIGIN,
      cookie: `gatehouse_refresh=${cookie.value}`,
    });
    expect(alone.statusCode).toBe(200);
  });
});

describe('the cookie is cleared when its token is refused, never when the database is out of reach', () => {
  /** A PostgreSQL server shutting down (admin_shutdown): the request may succeed shortly. */
  const unavailable = () => Object.assign(new Error('terminating connection'), { code: '57P01' });

  test('a 503 during refresh or logout keeps the cookie; the token still works afterwards', async () => {
    const { cookie } = await browserLogin();
    const jar = { ...SAME_ORIGIN, cookie: `gatehouse_refresh=${cookie.value}` };
    const { rotateRefreshToken, revokeRefreshToken } = ctx.store;
    ctx.store.rotateRefreshToken = () => Promise.reject(unavailable());
    ctx.store.revokeRefreshToken = () => Promise.reject(unavailable());
    for (const url of ['/api/auth/refresh/', '/api/auth/logout/']) {
      const response = await post(url, jar);
      expect(response.statusCode, url).toBe(503);
      expect(response.headers['set-cookie'], url).toBeUndefined();
    }
    ctx.store.rotateRefreshToken = rotateRefreshToken;
    ctx.store.revokeRefreshToken = revokeRefreshToken;
    expect((await post('/api/auth/refresh/', jar)).statusCode).toBe(200);
  });

  test('a refused token is cleared at logout too', async () => {
    const { cookie } = await browserLogin();
    const jar = { ...SAME_ORIGIN, cookie: `gatehouse_refresh=${cookie.value}` };
    expect((await post('/api/auth/logout/', jar)).statusCode).toBe(200);
    const again = await post('/api/auth/logout/', jar);
    expect(again.statusCode).toBe(401);
    expect(refreshCookie(again.headers['set-cookie']).attributes).toContain('Max-Age=0');
  });

  test('without rotation the cookie is kept: refresh issues no new refresh token', async () => {
    await ctx.close();
    ctx = await createTestContext({ GATEHOUSE_ROTATE_REFRESH_TOKENS: 'false' });
    await ctx.createUser({ username: 'user1' });
    const { cookie } = await browserLogin();
    const jar = { ...SAME_ORIGIN, cookie: `gatehouse_refresh=${cookie.value}` };
    for (let i = 0; i < 2; i++) {
      const refreshed = await post('/api/auth/refresh/', jar);
      expect(refreshed.statusCode).toBe(200);
      expect(Object.keys(refreshed.json())).toEqual(['access']);
      expect(refreshed.headers['set-cookie']).toBeUndefined();
    }
  });
});

describe('CSRF: every cookie-authenticated request', () => {
  test('a cookie without the custom header is never used (a cross-site form cannot send it)', async () => {
    const { cookie } = await browserLogin();
    const forged = await post('/api/auth/refresh/', { cookie: `gatehouse_refresh=${cookie.value}` });
    // Without the header this is token mode: the cookie is ignored and the body field is required.
    expect(forged.statusCode).toBe(400);
    const logout = await post('/api/auth/logout/', { cookie: `gatehouse_refresh=${cookie.value}` });
    expect(logout.statusCode).toBe(400);
    // The session is untouched.
    const refreshed = await post('/api/auth/refresh/', {
      ...SAME_ORIGIN,
      cookie: `gatehouse_refresh=${cookie.value}`,
    });
    expect(refreshed.statusCode).toBe(200);
  });

  test('another Origin or a cross-site Sec-Fetch-Site is refused with 403; a listed origin is allowed', async () => {
    const { cookie } = await browserLogin();
    const jar = `gatehouse_refresh=${cookie.value}`;
    for (const headers of [
      { ...BROWSER, cookie: jar, origin: 'https://evil.example' },
      { ...BROWSER, cookie: jar, origin: 'null' },
      { ...BROWSER, cookie: jar, 'sec-fetch-site': 'cross-site' },
      { ...BROWSER, cookie: jar, 'sec-fetch-site': 'same-site' },
    ]) {
      const response = await post('/api/auth/refresh/', headers);
      expect(response.statusCode, JSON.stringify(headers)).toBe(403);
      expect(response.json()).toEqual({ detail: 'CSRF check failed.' });
    }
    // The refused requests did not spend the token.
    const allowed = await post('/api/auth/refresh/', {
      ...BROWSER,
      cookie: jar,
      origin: 'http://localhost:5173',
      'sec-fetch-site': 'cross-site',
    });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
  });

  test('browser-mode login from another origin is refused too (login CSRF)', async () => {
    const { response } = await browserLogin({ ...BROWSER, origin: 'https://evil.example' });
    expect(response.statusCode).toBe(403);
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  test('preflight: the custom header is allowed for listed origins only', async () => {
    const preflight = (origin: string) =>
      ctx.app.inject({
        method: 'OPTIONS',
        url: '/api/auth/refresh/',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'x-gatehouse-session',
        },
      });
    const listed = await preflight('http://localhost:5173');
    expect(String(listed.headers['access-control-allow-headers'])).toContain('x-gatehouse-session');
    expect(listed.headers['access-control-allow-credentials']).toBe('true');
    const other = await preflight('https://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(other.headers['access-control-allow-credentials']).toBeUndefined();

    // A listed origin's script may read Retry-After (a 429's wait); another origin learns nothing.
    const simple = (origin: string) => ctx.app.inject({ method: 'GET', url: '/api/', headers: { origin } });
    expect((await simple('http://localhost:5173')).headers['access-control-expose-headers']).toBe(
      'retry-after',
    );
    expect((await simple('https://evil.example')).headers['access-control-expose-headers']).toBeUndefined();
  });
});
