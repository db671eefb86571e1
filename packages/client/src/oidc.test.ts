import { describe, expect, test } from 'vitest';
import { createAuthClient } from './auth-client.js';
import { GatehouseError, SecondFactorRequired } from './errors.js';
import { credentials, setup } from './testing/setup.js';

const json = (status: number, body: unknown) =>
  new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('resolved'),
    (error: unknown) => {
      expect(error).toBeInstanceOf(GatehouseError);
      return error as GatehouseError;
    },
  );

const IDENTITY = {
  id: 'id1',
  provider: 'corp',
  display_name: 'Corp SSO',
  issuer: 'https://sso.corp.example',
  subject: '24400320',
  email: 'ada@corp.example',
  created_at: '2026-01-01T00:00:00.000Z',
  last_used_at: null,
};

describe('the start URL of a provider’s sign-in', () => {
  test('on the base URL, the provider named safely, next and intent in the query', () => {
    const auth = createAuthClient({ baseUrl: 'https://auth.example.com/', mode: 'token', tabs: null });
    expect(auth.oidcStartUrl('google')).toBe('https://auth.example.com/api/auth/oidc/google/start');
    expect(auth.oidcStartUrl('corp', { next: '/account?tab=1#top', intent: 'link' })).toBe(
      'https://auth.example.com/api/auth/oidc/corp/start?next=%2Faccount%3Ftab%3D1%23top&intent=link',
    );
    expect(auth.oidcStartUrl('../x', { intent: 'login' })).toBe(
      'https://auth.example.com/api/auth/oidc/..%2Fx/start?intent=login',
    );
  });

  test('this page’s origin by default (the web app): a path', () => {
    const auth = createAuthClient({ mode: 'cookie', tabs: null });
    expect(auth.oidcStartUrl('github', { next: '/' })).toBe('/api/auth/oidc/github/start?next=%2F');
  });
});

describe('signing in with a provider', () => {
  test('the providers, as the server lists them', async () => {
    const { client, server } = setup();
    server.respondOnce(
      '/api/auth/oidc/providers/',
      json(200, [{ name: 'corp', display_name: 'Corp SSO', extra: 1 }]),
    );
    expect(await client().oidcProviders()).toEqual([{ name: 'corp', display_name: 'Corp SSO' }]);
  });

  test('an answer that is not a list of providers is unexpected_response', async () => {
    const { client, server } = setup();
    server.respondOnce('/api/auth/oidc/providers/', json(200, { results: [] }));
    expect(await failure(client().oidcProviders())).toMatchObject({ code: 'unexpected_response' });
    server.respondOnce('/api/auth/oidc/providers/', json(200, [{ name: 'corp' }]));
    expect(await failure(client().oidcProviders())).toMatchObject({ code: 'unexpected_response' });
  });

  test('a start for another origin keeps an S256 verifier for the landing page; its exchange sends it, once', async () => {
    const { client, server } = setup();
    const user = await client().login(credentials);
    const items = new Map<string, string>();
    const flowStorage = {
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => void items.set(key, value),
      removeItem: (key: string) => void items.delete(key),
    };
    const auth = client({ flowStorage });
    const url = new URL(await auth.oidcCrossOriginStartUrl('corp', { next: 'https://app.example/done?x=1' }));
    expect(`${url.origin}${url.pathname}`).toBe('http://gatehouse.test/api/auth/oidc/corp/start');
    expect(url.searchParams.get('next')).toBe('https://app.example/done?x=1');
    const challenge = url.searchParams.get('code_challenge');
    const [[key, verifier] = []] = [...items];
    expect(key).toBe('gatehouse.oidc_verifier:https://app.example/done?x=1');
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    expect(challenge).toBe(Buffer.from(digest).toString('base64url'));

    server.respondOnce('/api/auth/oidc/exchange/', json(200, { access: 'ey.a.b', user }));
    await auth.exchangeOidcCode('c0de', { landing: 'https://app.example/done?x=1#code=c0de' });
    const call = server.calls.findLast((c) => c.path === '/api/auth/oidc/exchange/');
    expect(call?.body).toEqual({ code: 'c0de', code_verifier: verifier });
    expect(items.size).toBe(0);
    // Another page's code (or a second try) has no verifier to send.
    server.respondOnce('/api/auth/oidc/exchange/', json(200, { access: 'ey.a.b', user }));
    await auth.exchangeOidcCode('c0de', { landing: 'https://app.example/done?x=1' });
    expect(server.calls.findLast((c) => c.path === '/api/auth/oidc/exchange/')?.body).toEqual({
      code: 'c0de',
    });
  });

  test('the code exchange signs in as a login does', async () => {
    const { client, server } = setup();
    const user = await client().login(credentials);
    const auth = client();
    server.respondOnce('/api/auth/oidc/exchange/', json(200, { access: 'ey.a.b', user }));
    expect(await auth.exchangeOidcCode('c0de')).toEqual(user);
    const call = server.calls.findLast((c) => c.path === '/api/auth/oidc/exchange/');
    expect(call?.body).toEqual({ code: 'c0de' });
    // Browser mode, as a login: the refresh token comes (and goes) as the cookie.
    expect(call?.headers.get('x-gatehouse-session')).toBe('cookie');
    expect(call?.credentials).toBe('include');
    expect(auth.getState()).toEqual({ status: 'signed-in', user });
    expect(await auth.getAccessToken()).toBe('ey.a.b');
  });

  test('token mode keeps the refresh token the exchange answers with', async () => {
    const stored: (string | null)[] = [];
    const { client, server } = setup();
    const user = await client().login(credentials);
    const auth = client({
      mode: 'token',
      storage: { get: () => stored.at(-1) ?? null, set: (value) => void stored.push(value) },
    });
    server.respondOnce('/api/auth/oidc/exchange/', json(200, { access: 'ey.a.b', refresh: 'ey.r.t', user }));
    await auth.exchangeOidcCode('c0de');
    expect(stored).toEqual(['ey.r.t']);
  });

  test('a second factor due: a SecondFactorRequired, as a login throws, and no session yet', async () => {
    const { client, server } = setup();
    const auth = client();
    server.respondOnce(
      '/api/auth/oidc/exchange/',
      json(401, {
        detail: 'Second factor required.',
        code: 'mfa_required',
        mfa_token: 'm1',
        methods: ['otp'],
      }),
    );
    const challenge = await failure(auth.exchangeOidcCode('c0de'));
    expect(challenge).toBeInstanceOf(SecondFactorRequired);
    expect(challenge).toMatchObject({ status: 401, mfaToken: 'm1', methods: ['otp'], enrollment: false });
    expect(auth.getState()).toEqual({ status: 'loading' });
  });

  test('a used or expired code: oidc_code_invalid, and no session', async () => {
    const { client, server } = setup();
    const auth = client();
    server.respondOnce(
      '/api/auth/oidc/exchange/',
      json(400, { detail: 'The code is invalid or has expired.', code: 'oidc_code_invalid' }),
    );
    expect(await failure(auth.exchangeOidcCode('spent'))).toMatchObject({
      status: 400,
      code: 'oidc_code_invalid',
    });
    expect(auth.getState()).toEqual({ status: 'loading' });
  });
});

describe('linking a provider', () => {
  test('a navigation to the start URL with intent=link: nothing is asked of the server first', async () => {
    const { client, server } = setup();
    const auth = client();
    await auth.login(credentials);
    const before = server.calls.length;
    // The server itself sends a refusal (no session, a sign-in too old) back to `next#oidc_error=…`.
    expect(auth.oidcStartUrl('corp', { next: '/account/security', intent: 'link' })).toBe(
      'http://gatehouse.test/api/auth/oidc/corp/start?next=%2Faccount%2Fsecurity&intent=link',
    );
    expect(server.calls.length).toBe(before);
    expect('oidcLinkUrl' in auth).toBe(false);
  });
});

describe('linked identities', () => {
  test('listed and unlinked with the access token', async () => {
    const { client, server } = setup();
    const auth = client();
    await auth.login(credentials);
    server.respondOnce('/api/users/me/identities/', json(200, [IDENTITY]));
    expect(await auth.identities()).toEqual([IDENTITY]);
    const list = server.calls.findLast((c) => c.path === '/api/users/me/identities/');
    expect(list?.headers.get('authorization')).toMatch(/^Bearer ey/);

    server.respondOnce('/api/users/me/identities/id%2F1/', json(204, {}));
    await auth.unlinkIdentity('id/1');
    const removal = server.calls.findLast((c) => c.path === '/api/users/me/identities/id%2F1/');
    expect(removal?.method).toBe('DELETE');
    expect(removal?.headers.get('authorization')).toMatch(/^Bearer ey/);
  });

  test('the last way to sign in is refused with oidc_last_method', async () => {
    const { client, server } = setup();
    const auth = client();
    await auth.login(credentials);
    server.respondOnce(
      '/api/users/me/identities/id1/',
      json(400, { detail: 'This is the last way to sign in.', code: 'oidc_last_method' }),
    );
    expect(await failure(auth.unlinkIdentity('id1'))).toMatchObject({
      status: 400,
      code: 'oidc_last_method',
    });
  });
});
