import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTestContext, decodeHeader, decodePayload, type TestContext } from '../../testing/test-app.js';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await ctx.createUser({ username: 'user1', email: 'user1@example.com', password: 'password1' });
});
afterEach(() => ctx.close());

const post = (url: string, payload: unknown) =>
  ctx.app.inject({ method: 'POST', url, payload: payload as object });

const BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' };
const INVALID = { detail: 'Token is invalid or expired', code: 'token_not_valid' };
const WRONG_TYPE = { detail: 'Token has wrong type', code: 'token_not_valid' };
const NO_ACCOUNT = { detail: 'No active account found with the given credentials' };

describe('POST /api/token/', () => {
  test('returns refresh then access, both carrying the username claim', async () => {
    const response = await post('/api/token/', { username: 'user1', password: 'password1' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    expect(Object.keys(body)).toEqual(['refresh', 'access']);
    // Tutorial A's client decodes the stored JSON string and reads whichever token comes first.
    expect(response.body.indexOf('"refresh"')).toBe(1);

    const access = decodePayload(body.access);
    // RFC 9068's typ for access tokens (simplejwt wrote JWT; its clients never read the header).
    expect(decodeHeader(body.access)).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    expect(decodeHeader(body.refresh)).toEqual({ alg: 'HS256', typ: 'rt+jwt' });
    expect(Object.keys(access)).toEqual([
      'token_type',
      'exp',
      'iat',
      'jti',
      'user_id',
      'username',
      'sid',
      'amr',
      'auth_time',
      'roles',
    ]);
    // Both tokens name the same session.
    expect(access.sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(decodePayload(body.refresh).sid).toBe(access.sid);
    expect(access).toMatchObject({ token_type: 'access', user_id: 1, username: 'user1' });
    expect(access.exp).toBe((access.iat as number) + 300);
    expect(access.jti).toMatch(/^[0-9a-f]{32}$/);

    const refresh = decodePayload(body.refresh);
    expect(refresh).toMatchObject({ token_type: 'refresh', user_id: 1, username: 'user1' });
    expect(refresh.exp).toBe((refresh.iat as number) + 86400);
    expect(refresh.jti).not.toBe(access.jti);
  });

  test('accepts the email in the username field, the email field, any case and full-width forms', async () => {
    for (const payload of [
      { username: 'user1@example.com', password: 'password1' },
      { email: 'USER1@Example.com', password: 'password1' },
      { username: 'USER1', password: 'password1' },
      { username: 'ｕｓｅｒ１', password: 'password1' },
      { username: '  user1 ', password: 'password1' },
    ]) {
      const response = await post('/api/token/', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(200);
    }
  });

  test('accepts a form-encoded body, as DRF does', async () => {
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/api/token/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'username=user1&password=password1',
    });
    expect(response.statusCode).toBe(200);
  });

  test('wrong password, unknown user and inactive user get the same 401', async () => {
    const inactive = await ctx.createUser({ username: 'sleepy', password: 'password1' });
    await ctx.store.updateUser(inactive.id, { isActive: false }, new Date());
    for (const payload of [
      { username: 'user1', password: 'wrong' },
      { username: 'nobody', password: 'password1' },
      { username: 'sleepy', password: 'password1' },
    ]) {
      const response = await post('/api/token/', payload);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual(NO_ACCOUNT);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
    }
  });

  test('missing and blank fields are named in the order the client sends them', async () => {
    let response = await post('/api/token/', {});
    expect(response.statusCode).toBe(400);
    expect(response.body).toBe(
      '{"username":["This field is required."],"password":["This field is required."]}',
    );
    response = await post('/api/token/', { username: '', password: '' });
    expect(response.body).toBe(
      '{"username":["This field may not be blank."],"password":["This field may not be blank."]}',
    );
    response = await post('/api/token/', { password: 'x' });
    expect(response.json()).toEqual({ username: ['This field is required.'] });
    response = await post('/api/token/', { username: 'user1' });
    expect(response.json()).toEqual({ password: ['This field is required.'] });
    response = await post('/api/token/', { username: 5, password: ['x'] });
    expect(response.json()).toEqual({ username: ['Not a valid string.'], password: ['Not a valid string.'] });
  });

  test('a huge password is refused before any hashing', async () => {
    const response = await post('/api/token/', { username: 'user1', password: 'x'.repeat(1025) });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ password: ['Ensure this field has no more than 1024 characters.'] });
  });

  test('ignores a bad Authorization header, as simplejwt token views skip authentication', async () => {
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/api/token/',
      headers: { authorization: 'Bearer not.a.jwt' },
      payload: { username: 'user1', password: 'password1' },
    });
    expect(response.statusCode).toBe(200);
  });

  test('answers without the trailing slash too, and 405 for other methods', async () => {
    expect((await post('/api/token', { username: 'user1', password: 'password1' })).statusCode).toBe(200);
    const response = await ctx.app.inject({ method: 'GET', url: '/api/token/' });
    expect(response.statusCode).toBe(405);
    expect(response.json()).toEqual({ detail: 'Method "GET" not allowed.' });
    expect(response.headers.allow).toBe('POST, OPTIONS');
  });
});

describe('POST /token/ (tutorial C, stock simplejwt view)', () => {
  test('names email when the identifier is missing, and logs in by email', async () => {
    expect((await post('/token/', {})).body).toBe(
      '{"email":["This field is required."],"password":["This field is required."]}',
    );
    const response = await post('/token/', { email: 'user1@example.com', password: 'password1' });
    expect(response.statusCode).toBe(200);
    const refreshed = await post('/token/refresh/', { refresh: response.json().refresh });
    expect(refreshed.statusCode).toBe(200);
  });
});

describe('POST /api/token/refresh/', () => {
  test('rotates: new access and refresh; the old refresh is blacklisted', async () => {
    const pair = await ctx.login('user1');
    ctx.clock.advance(10);
    const response = await post('/api/token/refresh/', { refresh: pair.refresh });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(Object.keys(body)).toEqual(['access', 'refresh']);
    const access = decodePayload(body.access);
    const refresh = decodePayload(body.refresh);
    expect(access).toMatchObject({ token_type: 'access', user_id: 1, username: 'user1' });
    expect(refresh).toMatchObject({ token_type: 'refresh', user_id: 1, username: 'user1' });
    expect(refresh.iat).toBe((decodePayload(pair.refresh).iat as number) + 10);
    expect(refresh.jti).not.toBe(decodePayload(pair.refresh).jti);

    const replay = await post('/api/token/refresh/', { refresh: pair.refresh });
    expect(replay.statusCode).toBe(401);
    expect(replay.json()).toEqual(BLACKLISTED);
    expect(replay.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  test('the successor keeps working when the spent token is not presented again', async () => {
    const pair = await ctx.login('user1');
    const first = (await post('/api/token/refresh/', { refresh: pair.refresh })).json();
    const second = await post('/api/token/refresh/', { refresh: first.refresh });
    expect(second.statusCode).toBe(200);
  });

  test('reuse of a spent refresh token ends its whole session (RFC 9700 §4.14.2), and only that one', async () => {
    const stolen = await ctx.login('user1');
    const other = await ctx.login('user1');
    const rotated = (await post('/api/token/refresh/', { refresh: stolen.refresh })).json();
    ctx.clock.advance(60);
    expect((await post('/api/token/refresh/', { refresh: stolen.refresh })).json()).toEqual(BLACKLISTED);
    // The current refresh and access tokens of that session stop working too.
    expect((await post('/api/token/refresh/', { refresh: rotated.refresh })).json()).toEqual(BLACKLISTED);
    const profile = await ctx.app.inject({
      url: '/api/profile/',
      headers: { authorization: `Bearer ${rotated.access}` },
    });
    expect(profile.statusCode).toBe(401);
    expect(profile.json().messages[0].message).toBe('Token is blacklisted');
    // Another session of the same user is unaffected.
    expect((await post('/api/token/refresh/', { refresh: other.refresh })).statusCode).toBe(200);
    const audit = await ctx.store.listAudit(0, 10);
    expect(audit.items.map((entry) => [entry.action, entry.target])).toEqual([
      ['session.refresh_token_reused', 'user1'],
    ]);
  });

  test('20 concurrent refreshes of one token: exactly one winner, never two live children', async () => {
    const pair = await ctx.login('user1');
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => post('/api/token/refresh/', { refresh: pair.refresh })),
    );
    const winners = responses.filter((r) => r.statusCode === 200);
    expect(winners).toHaveLength(1);
    for (const loser of responses.filter((r) => r.statusCode !== 200)) {
      expect(loser.statusCode).toBe(401);
      expect(loser.json()).toEqual(BLACKLISTED);
    }
    // Without a grace period the losers are reuse of a spent token: the session ended, no child is live.
    const child = winners[0]?.json().refresh as string;
    expect((await post('/api/token/refresh/', { refresh: child })).json()).toEqual(BLACKLISTED);
  });

  test('refuses access tokens, garbage, expired, forged and unknown refresh tokens', async () => {
    const pair = await ctx.login('user1');
    const cases: [unknown, object][] = [
      [pair.access, WRONG_TYPE],
      ['garbage', INVALID],
      [pair.refresh.slice(0, -2) + (pair.refresh.endsWith('AA') ? 'BB' : 'AA'), INVALID],
      [ctx.mint(decodePayload(pair.refresh), 'another-key-another-key-another-key!!'), INVALID],
      // Correctly signed, but never issued by the store.
      [ctx.mint({ ...decodePayload(pair.refresh), jti: 'f'.repeat(32) }), INVALID],
      [
        ctx.mint({ ...decodePayload(pair.refresh), token_type: undefined }),
        { detail: 'Token has no type', code: 'token_not_valid' },
      ],
      [
        ctx.mint({ ...decodePayload(pair.refresh), jti: undefined }),
        { detail: 'Token has no id', code: 'token_not_valid' },
      ],
    ];
    for (const [refresh, expected] of cases) {
      const response = await post('/api/token/refresh/', { refresh });
      expect(response.statusCode, String(refresh)).toBe(401);
      expect(response.json()).toEqual(expected);
    }
    ctx.clock.advance(86400);
    const expired = await post('/api/token/refresh/', { refresh: pair.refresh });
    expect(expired.json()).toEqual(INVALID);
  });

  test('a deactivated or deleted account cannot refresh (simplejwt 5.2 let it)', async () => {
    const pair = await ctx.login('user1');
    await ctx.store.updateUser(1, { isActive: false }, new Date());
    const response = await post('/api/token/refresh/', { refresh: pair.refresh });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({
      detail: 'No active account found for the given token.',
      code: 'no_active_account',
    });
    // Refused without spending the token: reactivated, the same token works.
    await ctx.store.updateUser(1, { isActive: true }, new Date());
    expect((await post('/api/token/refresh/', { refresh: pair.refresh })).statusCode).toBe(200);
  });

  test('missing field', async () => {
    const response = await post('/api/token/refresh/', {});
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ refresh: ['This field is required.'] });
  });
});

describe('rotation grace period and session lifetimes', () => {
  const BROWSER = { 'x-gatehouse-session': 'cookie' };
  const browserRefresh = (refresh: string) =>
    ctx.app.inject({
      method: 'POST',
      url: '/api/auth/refresh/',
      headers: { ...BROWSER, cookie: `gatehouse_refresh=${refresh}` },
    });
  const cookieOf = (response: { headers: Record<string, unknown> }) =>
    /gatehouse_refresh=([^;]*)/.exec(String(response.headers['set-cookie']))?.[1] ?? '';
  /** A session opened in browser mode: the refresh token only in the cookie. */
  const browserLogin = async () => ({
    refresh: cookieOf(
      await ctx.app.inject({
        method: 'POST',
        url: '/api/auth/login/',
        headers: BROWSER,
        payload: { username: 'user1', password: 'password1' },
      }),
    ),
  });

  test('browser mode: within the grace period the spent cookie gets the same successor again; concurrent refreshes all do', async () => {
    const pair = await browserLogin();
    const responses = await Promise.all(Array.from({ length: 20 }, () => browserRefresh(pair.refresh)));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
    const successors = new Set(responses.map(cookieOf));
    expect(successors.size).toBe(1);
    const [successor] = [...successors] as [string];
    ctx.clock.advance(5);
    expect(cookieOf(await browserRefresh(pair.refresh))).toBe(successor);
    // The successor is the one live token; once it is used, its parent is no longer the immediate one.
    const next = cookieOf(await browserRefresh(successor));
    expect((await browserRefresh(pair.refresh)).json()).toEqual(BLACKLISTED);
    expect((await browserRefresh(next)).json()).toEqual(BLACKLISTED);
  });

  test('browser mode: after the grace period, a spent cookie is reuse and ends the session', async () => {
    const pair = await browserLogin();
    const rotated = cookieOf(await browserRefresh(pair.refresh));
    ctx.clock.advance(6);
    expect((await browserRefresh(pair.refresh)).json()).toEqual(BLACKLISTED);
    expect((await browserRefresh(rotated)).json()).toEqual(BLACKLISTED);
  });

  test('a session opened in token mode gets no grace, even when its token is later sent as the cookie', async () => {
    const pair = await ctx.login('user1');
    expect((await browserRefresh(pair.refresh)).statusCode).toBe(200);
    expect((await browserRefresh(pair.refresh)).json()).toEqual(BLACKLISTED);
  });

  test('token mode has no grace period, on every refresh route: a spent token is refused at once', async () => {
    expect(ctx.config.sessions.rotationGracePeriod).toBe(5);
    for (const url of ['/api/token/refresh/', '/api/auth/refresh/', '/token/refresh/']) {
      const pair = await ctx.login('user1');
      expect((await post(url, { refresh: pair.refresh })).statusCode, url).toBe(200);
      expect((await post(url, { refresh: pair.refresh })).json(), url).toEqual(BLACKLISTED);
    }
  });

  test('a session ends after its idle timeout and after its absolute lifetime', async () => {
    await ctx.close();
    ctx = await createTestContext({
      GATEHOUSE_SESSION_IDLE_TIMEOUT: '1h',
      GATEHOUSE_SESSION_ABSOLUTE_LIFETIME: '3h',
    });
    await ctx.createUser({ username: 'user1' });
    let { refresh } = await ctx.login('user1');
    // Used every 50 minutes: the idle timeout never passes, but the absolute lifetime does.
    for (let i = 0; i < 3; i++) {
      ctx.clock.advance(50 * 60);
      const response = await post('/api/token/refresh/', { refresh });
      expect(response.statusCode, `refresh ${i}`).toBe(200);
      refresh = response.json().refresh;
    }
    ctx.clock.advance(40 * 60);
    expect((await post('/api/token/refresh/', { refresh })).json()).toEqual(INVALID);

    const idle = await ctx.login('user1');
    ctx.clock.advance(60 * 60);
    expect((await post('/api/token/refresh/', { refresh: idle.refresh })).json()).toEqual(INVALID);
  });
});

describe('rotation settings', () => {
  test('ROTATE_REFRESH_TOKENS off: only an access token, the refresh token stays usable', async () => {
    await ctx.close();
    ctx = await createTestContext({ GATEHOUSE_ROTATE_REFRESH_TOKENS: 'false' });
    await ctx.createUser({ username: 'user1' });
    const pair = await ctx.login('user1');
    for (let i = 0; i < 2; i++) {
      const response = await post('/api/token/refresh/', { refresh: pair.refresh });
      expect(response.statusCode).toBe(200);
      expect(Object.keys(response.json())).toEqual(['access']);
    }
  });

  test('BLACKLIST_AFTER_ROTATION off: rotation issues a new token and the old one stays usable', async () => {
    await ctx.close();
    ctx = await createTestContext({ GATEHOUSE_BLACKLIST_AFTER_ROTATION: 'false' });
    await ctx.createUser({ username: 'user1' });
    const pair = await ctx.login('user1');
    const first = await post('/api/token/refresh/', { refresh: pair.refresh });
    expect(Object.keys(first.json())).toEqual(['access', 'refresh']);
    expect((await post('/api/token/refresh/', { refresh: pair.refresh })).statusCode).toBe(200);
  });

  test('lifetimes, audience and issuer from the environment', async () => {
    await ctx.close();
    ctx = await createTestContext({
      GATEHOUSE_ACCESS_TOKEN_LIFETIME: '60',
      GATEHOUSE_REFRESH_TOKEN_LIFETIME: '2h',
      GATEHOUSE_AUDIENCE: 'my-api',
      GATEHOUSE_ISSUER: 'https://auth.example.com',
    });
    await ctx.createUser({ username: 'user1' });
    const pair = await ctx.login('user1');
    const access = decodePayload(pair.access);
    expect(access.exp).toBe((access.iat as number) + 60);
    expect(access).toMatchObject({ aud: 'my-api', iss: 'https://auth.example.com' });
    const refresh = decodePayload(pair.refresh);
    expect(refresh.exp).toBe((refresh.iat as number) + 7200);
    const profile = await ctx.app.inject({
      url: '/api/profile/',
      headers: { authorization: `Bearer ${pair.access}` },
    });
    expect(profile.statusCode).toBe(200);
    // A token without the audience is not for this deployment.
    const { aud: _aud, ...withoutAudience } = access;
    const refused = await ctx.app.inject({
      url: '/api/profile/',
      headers: { authorization: `Bearer ${ctx.mint(withoutAudience)}` },
    });
    expect(refused.statusCode).toBe(401);
  });
});

describe('POST /api/token/verify/', () => {
  test('any valid token is {}; blacklisted refresh is 400; garbage and expired are 401', async () => {
    const pair = await ctx.login('user1');
    for (const token of [pair.access, pair.refresh]) {
      const response = await post('/api/token/verify/', { token });
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe('{}');
    }
    await post('/api/token/blacklist/', { refresh: pair.refresh });
    const blacklisted = await post('/api/token/verify/', { token: pair.refresh });
    expect(blacklisted.statusCode).toBe(400);
    expect(blacklisted.json()).toEqual({ non_field_errors: ['Token is blacklisted'] });

    expect((await post('/api/token/verify/', { token: 'garbage' })).json()).toEqual(INVALID);
    ctx.clock.advance(301);
    const expired = await post('/api/token/verify/', { token: pair.access });
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toEqual(INVALID);
    expect((await post('/api/token/verify/', {})).json()).toEqual({ token: ['This field is required.'] });
  });

  test('a refresh token the store does not know is invalid: never issued, or its user deleted', async () => {
    const pair = await ctx.login('user1');
    const claims = decodePayload(pair.refresh);
    const forged = await post('/api/token/verify/', { token: ctx.mint({ ...claims, jti: 'f'.repeat(32) }) });
    expect(forged.statusCode).toBe(401);
    expect(forged.json()).toEqual(INVALID);

    await ctx.store.deleteUser(1);
    const orphaned = await post('/api/token/verify/', { token: pair.refresh });
    expect(orphaned.statusCode).toBe(401);
    expect(orphaned.json()).toEqual(INVALID);
  });
});

describe('POST /api/token/blacklist/', () => {
  test('logout: 200 {}, then the token is blacklisted everywhere', async () => {
    const pair = await ctx.login('user1');
    const response = await post('/api/token/blacklist/', { refresh: pair.refresh });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('{}');
    expect((await post('/api/token/blacklist/', { refresh: pair.refresh })).json()).toEqual(BLACKLISTED);
    expect((await post('/api/token/refresh/', { refresh: pair.refresh })).json()).toEqual(BLACKLISTED);
    expect((await post('/api/token/blacklist/', { refresh: pair.access })).json()).toEqual(WRONG_TYPE);
    expect((await post('/api/token/blacklist/', {})).json()).toEqual({
      refresh: ['This field is required.'],
    });
  });
});
