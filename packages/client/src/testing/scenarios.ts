import { AccountResponse, Messages, type ErrorBody } from '@gatehouse/contract';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';

/** A server to run the scenarios against, with the account ada / password1 / ada@example.com (unverified). */
export interface ScenarioServer {
  baseUrl: string;
  /** One browser's fetch: it keeps the refresh cookie the server sets and sends it back. */
  fetch: typeof globalThis.fetch;
  /** That browser's refresh cookie, to present an older one as a browser that lost an answer would. */
  cookie: { get(): string | null; set(value: string | null): void };
  /** Moves the server's clock. */
  advance(seconds: number): void;
  accessTokenLifetime: number;
  rotationGracePeriod: number;
  close(): Promise<void>;
}

const JWT = /^ey[\w-]+\.[\w-]+\.[\w-]+$/;
// Every account carries email_verified, last (issue 14; the Set keeps it once when the contract has it).
const ACCOUNT_KEYS = [...new Set([...Object.keys(AccountResponse.properties), 'email_verified'])];
const COOKIE_MODE = { 'x-gatehouse-session': 'cookie' };
const CSRF_REFUSED: ErrorBody = { detail: 'CSRF check failed.' };
const blacklisted: ErrorBody = { detail: Messages.tokenBlacklisted, code: 'token_not_valid' };
const accessRefused = (message: string): ErrorBody => ({
  detail: Messages.tokenNotValidForAnyType,
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
});

interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

/**
 * What the client relies on, through plain fetch: run against the fake server and the real one, so the
 * fake cannot drift from the server unnoticed (as Lucia's one contract suite for every adapter).
 */
export function describeServerScenarios(name: string, start: () => Promise<ScenarioServer>): void {
  describe(`server scenarios: ${name}`, () => {
    let server: ScenarioServer;
    beforeEach(async () => {
      server = await start();
    });
    afterEach(() => server.close());

    async function call(
      method: string,
      path: string,
      { body, headers = {} }: { body?: object; headers?: Record<string, string> } = {},
    ): Promise<Answer> {
      const response = await server.fetch(`${server.baseUrl}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(body && { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body && { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return {
        status: response.status,
        body: text === '' ? undefined : JSON.parse(text),
        headers: response.headers,
      };
    }
    const post = (path: string, body: object = {}, headers: Record<string, string> = {}) =>
      call('POST', path, { body, headers });
    const login = (headers: Record<string, string> = {}) =>
      post('/api/auth/login/', { username: 'ada', password: 'password1' }, headers);
    const tokensOf = (answer: Answer) => answer.body as { access: string; refresh?: string };
    const me = (access: string) =>
      call('GET', '/api/users/me/', { headers: { authorization: `Bearer ${access}` } });

    describe('login', () => {
      test('token mode: refresh, access and the account, in that order', async () => {
        const answer = await login();
        expect(answer.status).toBe(200);
        expect(Object.keys(answer.body as object)).toEqual(['refresh', 'access', 'user']);
        const { refresh, access, user } = answer.body as { refresh: string; access: string; user: object };
        expect(refresh).toMatch(JWT);
        expect(access).toMatch(JWT);
        expect(Object.keys(user)).toEqual(ACCOUNT_KEYS);
        expect(user).toMatchObject({ username: 'ada', email: 'ada@example.com' });
      });

      test('browser mode: no refresh token in the body, it is in the cookie', async () => {
        const answer = await login(COOKIE_MODE);
        expect(answer.status).toBe(200);
        expect(Object.keys(answer.body as object)).toEqual(['access', 'user']);
        expect(server.cookie.get()).toMatch(JWT);
      });

      test('a wrong password: 401 with simplejwt’s body, exactly, and the challenge', async () => {
        const answer = await post('/api/auth/login/', { username: 'ada', password: 'nope' });
        expect(answer.status).toBe(401);
        expect(answer.body).toEqual({ detail: Messages.noActiveAccount });
        expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="api"');
      });
    });

    describe('registration', () => {
      test('a taken username: a field error in DRF’s words', async () => {
        const answer = await post('/api/users/', { username: 'ada', password: 'tangerine-kayak-42' });
        expect(answer.status).toBe(400);
        expect(answer.body).toEqual({ username: ['user with this username already exists.'] });
      });
    });

    describe('refresh', () => {
      test('token mode rotates; the spent token presented again ends the session, at once', async () => {
        const first = tokensOf(await login());
        const rotated = await post('/api/auth/refresh/', { refresh: first.refresh });
        expect(rotated.status).toBe(200);
        expect(Object.keys(rotated.body as object)).toEqual(['access', 'refresh']);
        const second = tokensOf(rotated);
        expect(second.refresh).toMatch(JWT);
        expect(second.refresh).not.toBe(first.refresh);

        // No grace period in token mode: simplejwt's clients expect a spent token refused.
        const reused = await post('/api/auth/refresh/', { refresh: first.refresh });
        expect(reused.status).toBe(401);
        expect(reused.body).toEqual(blacklisted);
        expect((await post('/api/auth/refresh/', { refresh: second.refresh })).body).toEqual(blacklisted);
        const refused = await me(second.access);
        expect([refused.status, refused.body]).toEqual([401, accessRefused(Messages.tokenBlacklisted)]);
      });

      test('token mode without a token: a field error', async () => {
        const answer = await post('/api/auth/refresh/');
        expect([answer.status, answer.body]).toEqual([400, { refresh: [Messages.fieldRequired] }]);
      });

      test('browser mode: a spent cookie within the grace period gets the same successor', async () => {
        await login(COOKIE_MODE);
        const spent = server.cookie.get();
        const first = await post('/api/auth/refresh/', {}, COOKIE_MODE);
        expect(first.status).toBe(200);
        expect(Object.keys(first.body as object)).toEqual(['access']);
        const successor = server.cookie.get();
        expect(successor).not.toBe(spent);

        // The answer was lost: the browser still holds the spent cookie.
        server.cookie.set(spent);
        server.advance(Math.max(0, server.rotationGracePeriod - 1));
        const again = await post('/api/auth/refresh/', {}, COOKIE_MODE);
        expect(again.status).toBe(200);
        expect(server.cookie.get()).toBe(successor);
        expect((await me(tokensOf(again).access)).status).toBe(200);
        expect((await post('/api/auth/refresh/', {}, COOKIE_MODE)).status).toBe(200);
      });

      test('browser mode: a spent cookie after the grace period ends the session', async () => {
        await login(COOKIE_MODE);
        const spent = server.cookie.get();
        const { access } = tokensOf(await post('/api/auth/refresh/', {}, COOKIE_MODE));
        const successor = server.cookie.get();
        server.cookie.set(spent);
        server.advance(server.rotationGracePeriod + 1);
        const reused = await post('/api/auth/refresh/', {}, COOKIE_MODE);
        expect([reused.status, reused.body]).toEqual([401, blacklisted]);
        expect(server.cookie.get()).toBeNull();
        server.cookie.set(successor);
        expect((await post('/api/auth/refresh/', {}, COOKIE_MODE)).body).toEqual(blacklisted);
        expect((await me(access)).body).toEqual(accessRefused(Messages.tokenBlacklisted));
      });

      test('browser mode without a cookie: the token is invalid', async () => {
        const answer = await post('/api/auth/refresh/', {}, COOKIE_MODE);
        expect(answer.status).toBe(401);
        expect(answer.body).toEqual({ detail: Messages.tokenInvalid, code: 'token_not_valid' });
      });
    });

    describe('CSRF in browser mode', () => {
      const foreign = { ...COOKIE_MODE, origin: 'https://evil.example' };
      const crossSite = { ...COOKIE_MODE, 'sec-fetch-site': 'cross-site' };

      test('a foreign Origin or a cross-site request is refused, and the cookie kept', async () => {
        await login(COOKIE_MODE);
        const cookie = server.cookie.get();
        for (const headers of [foreign, crossSite]) {
          for (const path of ['/api/auth/refresh/', '/api/auth/logout/']) {
            const answer = await post(path, {}, headers);
            expect([path, answer.status, answer.body]).toEqual([path, 403, CSRF_REFUSED]);
          }
        }
        expect(server.cookie.get()).toBe(cookie);
        const sameOrigin = {
          ...COOKIE_MODE,
          origin: new URL(server.baseUrl).origin,
          'sec-fetch-site': 'same-origin',
        };
        expect((await post('/api/auth/refresh/', {}, sameOrigin)).status).toBe(200);
      });

      test('a login from a foreign origin sets no cookie', async () => {
        const answer = await login(foreign);
        expect([answer.status, answer.body]).toEqual([403, CSRF_REFUSED]);
        expect(server.cookie.get()).toBeNull();
      });
    });

    describe('a protected route', () => {
      test('without credentials, with a bad token, with an expired one', async () => {
        const anonymous = await call('GET', '/api/users/me/');
        expect([anonymous.status, anonymous.body]).toEqual([401, { detail: Messages.notAuthenticated }]);
        expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="api"');
        const forged = await me('not-a-token');
        expect([forged.status, forged.body]).toEqual([401, accessRefused(Messages.tokenInvalid)]);

        const { access } = tokensOf(await login());
        const ok = await me(access);
        expect(ok.status).toBe(200);
        expect(Object.keys(ok.body as object)).toEqual(ACCOUNT_KEYS);
        server.advance(server.accessTokenLifetime + 1);
        expect((await me(access)).body).toEqual(accessRefused(Messages.tokenInvalid));
      });
    });

    describe('logout', () => {
      test('token mode: ends the session; the token is refused after, a second logout too', async () => {
        const { refresh, access } = tokensOf(await login());
        const answer = await post('/api/auth/logout/', { refresh: refresh as string });
        expect([answer.status, answer.body]).toEqual([200, {}]);
        expect((await post('/api/auth/refresh/', { refresh: refresh as string })).body).toEqual(blacklisted);
        expect((await post('/api/auth/logout/', { refresh: refresh as string })).body).toEqual(blacklisted);
        expect((await me(access)).body).toEqual(accessRefused(Messages.tokenBlacklisted));
      });

      test('a spent token does not log out: the session goes on', async () => {
        const first = tokensOf(await login());
        const second = tokensOf(await post('/api/auth/refresh/', { refresh: first.refresh as string }));
        const answer = await post('/api/auth/logout/', { refresh: first.refresh as string });
        expect([answer.status, answer.body]).toEqual([401, blacklisted]);
        expect((await me(second.access)).status).toBe(200);
      });

      test('browser mode: the cookie is cleared; without one, the token is invalid', async () => {
        await login(COOKIE_MODE);
        expect((await post('/api/auth/logout/', {}, COOKIE_MODE)).status).toBe(200);
        expect(server.cookie.get()).toBeNull();
        const again = await post('/api/auth/logout/', {}, COOKIE_MODE);
        expect([again.status, again.body]).toEqual([
          401,
          { detail: Messages.tokenInvalid, code: 'token_not_valid' },
        ]);
      });

      test('everywhere: every session of the user ends', async () => {
        const phone = tokensOf(await login());
        const laptop = tokensOf(await login());
        const answer = await call('POST', '/api/auth/logout-all/', {
          headers: { authorization: `Bearer ${laptop.access}` },
        });
        expect([answer.status, answer.body]).toEqual([200, { sessions_ended: 2 }]);
        expect((await post('/api/auth/refresh/', { refresh: phone.refresh as string })).body).toEqual(
          blacklisted,
        );
        expect((await me(phone.access)).body).toEqual(accessRefused(Messages.tokenBlacklisted));
      });
    });
  });
}
