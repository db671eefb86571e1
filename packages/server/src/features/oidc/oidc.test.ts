import { createHash } from 'node:crypto';
import { testAuditEntry } from '../../testing/store-rows.js';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../../testing/free-port.js';
import { bearer, codeOf, enableTotp } from '../../testing/mfa.js';
import { startOidcProvider, type TestOidcProvider, type TestOidcUser } from '../../testing/oidc-provider.js';
import { outboxProbe } from '../../testing/outbox.js';
import { createTestContext, decodePayload, type TestContext } from '../../testing/test-app.js';
import { FEATURES } from '../features.js';
import { EXCHANGE_TTL, FLOW_TTL } from './service.js';

const PUBLIC_URL = 'http://127.0.0.1:8000';
const SPA = 'http://localhost:5173';
const callbackOf = (name: string) => `${PUBLIC_URL}/api/auth/oidc/${name}/callback`;

/** `corp`: trusted for email; `other`: another issuer, not trusted (the default). */
let corp: TestOidcProvider;
let other: TestOidcProvider;
beforeAll(async () => {
  corp = await startOidcProvider({ redirectUris: [callbackOf('corp')] });
  other = await startOidcProvider({ redirectUris: [callbackOf('other')] });
});
afterAll(async () => {
  await corp.close();
  await other.close();
});

let ctx: TestContext;
const probe = outboxProbe();
async function open(env: Record<string, string> = {}) {
  ctx = await createTestContext(
    {
      GATEHOUSE_PUBLIC_URL: PUBLIC_URL,
      GATEHOUSE_CORS_ALLOWED_ORIGINS: SPA,
      GATEHOUSE_OIDC_PROVIDERS: 'corp,other',
      GATEHOUSE_OIDC_CORP_ISSUER: corp.issuer,
      GATEHOUSE_OIDC_CORP_CLIENT_ID: corp.clientId,
      GATEHOUSE_OIDC_CORP_CLIENT_SECRET: corp.clientSecret,
      GATEHOUSE_OIDC_CORP_DISPLAY_NAME: 'Corp SSO',
      GATEHOUSE_OIDC_CORP_TRUST_EMAIL: 'true',
      GATEHOUSE_OIDC_OTHER_ISSUER: other.issuer,
      GATEHOUSE_OIDC_OTHER_CLIENT_ID: other.clientId,
      GATEHOUSE_OIDC_OTHER_CLIENT_SECRET: other.clientSecret,
      ...env,
    },
    { features: [...FEATURES, probe.feature] },
  );
  return ctx;
}
afterEach(async () => {
  await ctx?.close();
});

const user = (login: string, claims: Omit<TestOidcUser, 'login'> = {}): TestOidcUser => ({
  login,
  email: `${login}@example.com`,
  email_verified: true,
  ...claims,
});

function cookieOf(response: LightMyRequestResponse, name: string): string | undefined {
  const headers = response.headers['set-cookie'];
  const lines = Array.isArray(headers) ? headers : headers === undefined ? [] : [headers];
  const line = lines.find((value) => value.startsWith(`${name}=`));
  return line?.slice(name.length + 1).split(';')[0];
}

async function start(query = '', name = 'corp', headers: Record<string, string> = {}) {
  const response = await ctx.app.inject({
    method: 'GET',
    url: `/api/auth/oidc/${name}/start${query}`,
    headers,
  });
  expect(response.statusCode, response.body).toBe(302);
  return {
    url: String(response.headers.location),
    binding: cookieOf(response, 'gatehouse_oidc') ?? '',
    response,
  };
}

function arrive(url: URL, binding?: string) {
  return ctx.app.inject({
    method: 'GET',
    url: `${url.pathname}${url.search}`,
    headers: binding === undefined ? {} : { cookie: `gatehouse_oidc=${binding}` },
  });
}

/** A whole flow: start, the provider's login as `login`, the callback in the same browser. */
async function signIn(login: string, { name = 'corp', query = '', op = corp } = {}) {
  const started = await start(query, name);
  const back = await op.authorize(started.url, login);
  const response = await arrive(back, started.binding);
  return { response, back, binding: started.binding };
}

/** An app's PKCE pair for a sign-in on its origin (S256). */
const pkce = (verifier = 'v'.repeat(43)) => ({
  verifier,
  challenge: createHash('sha256').update(verifier).digest('base64url'),
});
/** The start query of a sign-in for another origin's `next`, with the app's challenge. */
const crossQuery = (next: string, challenge = pkce().challenge) =>
  `?next=${encodeURIComponent(next)}&code_challenge=${challenge}`;
const exchangeCode = (code: string | undefined, verifier?: string) =>
  ctx.app.inject({
    method: 'POST',
    url: '/api/auth/oidc/exchange/',
    payload: { code, ...(verifier !== undefined && { code_verifier: verifier }) },
  });

const location = (response: LightMyRequestResponse) => String(response.headers.location);
const errorOf = (response: LightMyRequestResponse) =>
  /#oidc_error=(.+)$/.exec(location(response))?.[1] ?? `(no error: ${location(response)})`;

async function identitiesOf(userId: number) {
  return ctx.store.listIdentities(userId);
}

describe('providers and the start of a flow', () => {
  test('the enabled providers, by name and display name', async () => {
    await open();
    const response = await ctx.app.inject({ method: 'GET', url: '/api/auth/oidc/providers/' });
    expect(response.json()).toEqual([
      { name: 'corp', display_name: 'Corp SSO' },
      { name: 'other', display_name: 'other' },
    ]);
  });

  test('start: 302 to the provider with PKCE S256, state and nonce; bound by an httpOnly Lax cookie; nothing secret stored', async () => {
    await open();
    const { url, binding, response } = await start('?next=/account');
    const target = new URL(url);
    expect(target.origin).toBe(corp.issuer);
    expect(Object.fromEntries(target.searchParams)).toMatchObject({
      client_id: corp.clientId,
      redirect_uri: callbackOf('corp'),
      response_type: 'code',
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    const state = target.searchParams.get('state') ?? '';
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(target.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(target.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(binding).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(String(response.headers['set-cookie'])).toMatch(
      /^gatehouse_oidc=[^;]+; Path=\/api\/auth\/oidc\/; Max-Age=600; HttpOnly; SameSite=Lax$/,
    );
    const stored = JSON.stringify(await ctx.rows.all('select * from one_time_tokens'));
    expect(stored).toContain('oidc_flow');
    for (const secret of [state, binding, target.searchParams.get('nonce') ?? ''])
      expect(stored).not.toContain(secret);
  });
});

describe('signing up and in', () => {
  test('a new identity makes an account without a password, signed in by the refresh cookie; its address verified (trusted, verified)', async () => {
    await open();
    corp.setUser(user('newbie', { preferred_username: 'Newbie', name: 'New Bie' }));
    const { response } = await signIn('newbie', { query: '?next=/account?tab=1' });
    expect(response.statusCode).toBe(302);
    expect(location(response)).toBe('/account?tab=1');
    const refresh = cookieOf(response, 'gatehouse_refresh');
    expect(refresh).toBeDefined();
    expect(String(response.headers['set-cookie'])).toContain('SameSite=Strict');
    expect(decodePayload(refresh ?? '')['amr']).toEqual(['fed']);
    const created = await ctx.rows.userByUsernameKey('newbie');
    expect(created).toMatchObject({
      username: 'Newbie',
      email: 'newbie@example.com',
      emailVerified: true,
      name: 'New Bie',
    });
    expect(await ctx.store.findPasswordHash(created?.id ?? 0)).toBeNull();
    expect(await identitiesOf(created?.id ?? 0)).toMatchObject([
      { provider: 'corp', issuer: corp.issuer, subject: 'newbie', email: 'newbie@example.com' },
    ]);
    const audit = await ctx.store.listAudit(0, 10, created?.id);
    expect(audit.items.map((entry) => entry.action)).toEqual(['user.created_by_provider']);

    // The refresh cookie works (browser mode).
    const refreshed = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/refresh/',
      headers: { 'x-gatehouse-session': 'cookie', cookie: `gatehouse_refresh=${refresh}` },
      payload: {},
    });
    expect(refreshed.statusCode, refreshed.body).toBe(200);

    // Again: the same account, by (issuer, subject); its address may have changed at the provider.
    corp.setUser(user('newbie', { email: 'renamed@example.com' }));
    ctx.clock.advance(60);
    const again = await signIn('newbie');
    expect(location(again.response)).toBe('/');
    expect(decodePayload(cookieOf(again.response, 'gatehouse_refresh') ?? '')['user_id']).toBe(created?.id);
    expect(await identitiesOf(created?.id ?? 0)).toMatchObject([
      { email: 'renamed@example.com', lastUsedAt: ctx.clock() },
    ]);
    expect((await ctx.store.listUsers()).length).toBe(1);
  });

  test('a taken username gets a variant; a mixed-script one is not used', async () => {
    await open();
    const sam = await ctx.createUser({ username: 'sam', email: 'sam.other@example.com' });
    corp.setUser(user('sam', { email: 'sam@example.org', preferred_username: 'sаm' /* Cyrillic а */ }));
    await signIn('sam');
    const created = (await ctx.store.listUsers()).find((one) => one.id !== sam.id);
    expect(created?.username).toMatch(/^sam\d{4,5}$/);
  });

  test('an untrusted provider makes accounts without an address: it cannot squat one; without sign-up allowed, none', async () => {
    await open();
    other.setUser(user('olga', { email: 'alice@example.com', preferred_username: 'olga' }));
    const { response } = await signIn('olga', { name: 'other', op: other });
    expect(location(response)).toBe('/');
    const olga = await ctx.rows.userByUsernameKey('olga');
    expect(olga).toMatchObject({ email: null, emailVerified: false });
    // The identity keeps what the provider said, to tell identities apart.
    expect(await identitiesOf(olga?.id ?? 0)).toMatchObject([{ email: 'alice@example.com' }]);
    // The address's owner can still sign up with it.
    const registered = await ctx.app.inject({
      method: 'POST',
      url: '/api/users/',
      payload: { username: 'alice', email: 'alice@example.com', password: 'a long passphrase 1' },
    });
    expect(registered.statusCode, registered.body).toBe(201);
    expect(await ctx.rows.userByUsernameKey('alice')).toMatchObject({ email: 'alice@example.com' });
    await ctx.close();

    await open({ GATEHOUSE_OIDC_OTHER_ALLOW_SIGNUP: 'false' });
    const refused = await signIn('olga', { name: 'other', op: other });
    expect(errorOf(refused.response)).toBe('oidc_signup_disabled');
    expect(await ctx.store.listUsers()).toEqual([]);
  });

  test('with mandatory verification, no account without a verified address (it could never sign in); with one, it signs in', async () => {
    await open({ GATEHOUSE_EMAIL_VERIFICATION: 'mandatory' });
    other.setUser(user('olga', { email: 'olga@example.com', preferred_username: 'olga' }));
    const refused = await signIn('olga', { name: 'other', op: other });
    expect(errorOf(refused.response)).toBe('oidc_email_unverified');
    expect(await ctx.store.listUsers()).toEqual([]);

    corp.setUser(user('vera'));
    const { response } = await signIn('vera');
    expect(location(response)).toBe('/');
    expect(await ctx.rows.userByUsernameKey('vera')).toMatchObject({ emailVerified: true });
  });

  test.each([
    ['false', false],
    ['"true" (a string)', 'true'],
    ['absent', undefined],
  ])(
    'a trusted provider whose email_verified is %s: a new account without an address',
    async (_label, emailVerified) => {
      await open();
      const claims = user('vera');
      if (emailVerified === undefined) delete claims.email_verified;
      else claims.email_verified = emailVerified;
      corp.setUser(claims);
      await signIn('vera');
      const vera = await ctx.rows.userByUsernameKey('vera');
      expect(vera).toMatchObject({ email: null, emailVerified: false });
      expect(await identitiesOf(vera?.id ?? 0)).toMatchObject([{ email: 'vera@example.com' }]);
    },
  );

  test('a deactivated account is not signed in', async () => {
    await open();
    corp.setUser(user('dora'));
    await signIn('dora');
    const dora = await ctx.rows.userByUsernameKey('dora');
    await ctx.store.updateUser(dora?.id ?? 0, { isActive: false }, ctx.clock());
    expect(errorOf((await signIn('dora')).response)).toBe('oidc_account_inactive');
  });

  test('a provider that cannot be reached: back to the login page, not a 500', async () => {
    await open({ GATEHOUSE_OIDC_OTHER_ISSUER: `http://127.0.0.1:${await freePort()}` });
    const response = await ctx.app.inject({ method: 'GET', url: '/api/auth/oidc/other/start' });
    expect(response.statusCode).toBe(302);
    expect(location(response)).toBe('/login#oidc_error=oidc_failed');
    // A link: back to the page that started it.
    await ctx.createUser({ username: 'alice' });
    const { refresh } = await ctx.login('alice');
    const link = await ctx.app.inject({
      method: 'GET',
      url: '/api/auth/oidc/other/start?intent=link',
      headers: { cookie: `gatehouse_refresh=${refresh}` },
    });
    expect(location(link)).toBe('/account/security#oidc_error=oidc_failed');
  });

  test('with mandatory email verification, a known identity of an unverified account is answered by the exchange as a login is', async () => {
    await open({ GATEHOUSE_EMAIL_VERIFICATION: 'mandatory' });
    // An account from before verification became mandatory, its identity linked then.
    const uma = await ctx.createUser({ username: 'uma', email: 'uma@example.com' });
    await ctx.store.linkIdentity(
      uma.id,
      { provider: 'other', issuer: other.issuer, subject: 'uma', email: null, createdAt: ctx.clock() },
      {
        audit: testAuditEntry(ctx.clock()),
        now: ctx.clock(),
      },
    );
    other.setUser(user('uma'));
    const { response } = await signIn('uma', { name: 'other', op: other });
    expect(cookieOf(response, 'gatehouse_refresh')).toBeUndefined();
    const code = /^\/login\/oidc#code=(.+)$/.exec(location(response))?.[1];
    const exchanged = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/oidc/exchange/',
      payload: { code },
    });
    expect(exchanged.statusCode).toBe(401);
    expect(exchanged.json()).toMatchObject({ code: 'email_not_verified' });
  });

  test('the user cancels at the provider', async () => {
    await open();
    const started = await start();
    const back = await corp.deny(started.url);
    expect(errorOf(await arrive(back, started.binding))).toBe('oidc_access_denied');
  });
});

describe('linking by address', () => {
  test('trusted provider, email_verified true, local address verified: linked, signed in, noticed', async () => {
    await open();
    const alice = await ctx.createUser({
      username: 'alice',
      email: 'alice@example.com',
      emailVerified: true,
    });
    corp.setUser(user('alice-at-corp', { email: 'Alice@Example.com' }));
    const { response } = await signIn('alice-at-corp');
    expect(location(response)).toBe('/');
    expect(decodePayload(cookieOf(response, 'gatehouse_refresh') ?? '')['user_id']).toBe(alice.id);
    expect(await identitiesOf(alice.id)).toMatchObject([{ subject: 'alice-at-corp' }]);
    const [notice] = await probe.messages(ctx.rows, 'identity_linked', 'alice@example.com');
    if (!notice) throw new Error('no identity_linked notice');
    expect(await probe.compose(notice)).toMatchObject({
      variables: { username: 'alice', provider: 'Corp SSO' },
    });
    expect((await ctx.store.listAudit(0, 10, alice.id)).items.map((entry) => entry.action)).toEqual([
      'identity.linked',
    ]);
  });

  test.each([
    ['email_verified false', { email_verified: false }, 'corp', true],
    ['email_verified "false"', { email_verified: 'false' }, 'corp', true],
    ['email_verified "true" (a string)', { email_verified: 'true' }, 'corp', true],
    ['email_verified absent', { email_verified: undefined }, 'corp', true],
    ['a provider not trusted for email', {}, 'other', true],
    ['the local address unverified', {}, 'corp', false],
  ] as const)(
    'refused with %s: nothing linked, no account made',
    async (_case, claims, name, localVerified) => {
      await open();
      const alice = await ctx.createUser({
        username: 'alice',
        email: 'alice@example.com',
        emailVerified: localVerified,
      });
      const op = name === 'corp' ? corp : other;
      const claimed: Record<string, unknown> = {
        ...user('mallory', { email: 'alice@example.com' }),
        ...claims,
      };
      if ('email_verified' in claims && claims.email_verified === undefined) delete claimed['email_verified'];
      op.setUser(claimed as unknown as TestOidcUser);
      const { response } = await signIn('mallory', { name, op });
      expect(errorOf(response)).toBe('oidc_account_exists');
      expect(cookieOf(response, 'gatehouse_refresh')).toBeUndefined();
      expect(await identitiesOf(alice.id)).toEqual([]);
      expect((await ctx.store.listUsers()).length).toBe(1);
    },
  );
});

describe('the callback refuses', () => {
  test('a tampered state, code, nonce or iss; a missing iss; a state of another provider', async () => {
    await open();
    corp.setUser(user('tim'));
    const tamper = async (change: (url: URL) => void) => {
      const started = await start();
      const back = await corp.authorize(started.url, 'tim');
      change(back);
      return errorOf(await arrive(back, started.binding));
    };
    expect(await tamper((url) => url.searchParams.set('state', 'A'.repeat(43)))).toBe('oidc_state_invalid');
    expect(await tamper((url) => url.searchParams.delete('state'))).toBe('oidc_state_invalid');
    expect(await tamper((url) => url.searchParams.set('code', 'forged'))).toBe('oidc_failed');
    // Mix-up (RFC 9207): the other provider's issuer in the answer.
    expect(await tamper((url) => url.searchParams.set('iss', other.issuer))).toBe('oidc_failed');
    // The provider says it sends iss: an answer without one is refused.
    expect(await tamper((url) => url.searchParams.delete('iss'))).toBe('oidc_failed');

    // The nonce changed on the way to the provider: the ID token carries another.
    const started = await start();
    const authorization = new URL(started.url);
    authorization.searchParams.set('nonce', 'N'.repeat(43));
    const back = await corp.authorize(authorization.href, 'tim');
    expect(errorOf(await arrive(back, started.binding))).toBe('oidc_failed');

    // A flow of `other` brought to corp's callback.
    other.setUser(user('tim'));
    const otherFlow = await start('', 'other');
    const otherBack = await other.authorize(otherFlow.url, 'tim');
    const mixed = new URL(callbackOf('corp') + otherBack.search);
    expect(errorOf(await arrive(mixed, otherFlow.binding))).toBe('oidc_state_invalid');
    expect(await ctx.store.listUsers()).toEqual([]);
  });

  test('a missing or wrong binding cookie; the right browser still finishes', async () => {
    await open();
    corp.setUser(user('bea'));
    const started = await start();
    const back = await corp.authorize(started.url, 'bea');
    expect(errorOf(await arrive(back))).toBe('oidc_state_invalid');
    expect(errorOf(await arrive(back, 'B'.repeat(43)))).toBe('oidc_state_invalid');
    const response = await arrive(back, started.binding);
    expect(location(response)).toBe('/');
    expect(cookieOf(response, 'gatehouse_refresh')).toBeDefined();
  });

  test('an expired flow', async () => {
    await open();
    corp.setUser(user('eve'));
    const started = await start();
    const back = await corp.authorize(started.url, 'eve');
    ctx.clock.advance(FLOW_TTL + 1);
    expect(errorOf(await arrive(back, started.binding))).toBe('oidc_state_invalid');
  });
});

describe('a second arrival of the same callback', () => {
  test('is answered like the first, without a second session; another browser gets nothing', async () => {
    await open();
    corp.setUser(user('dan'));
    const { response, back, binding } = await signIn('dan', { query: '?next=/home' });
    expect(location(response)).toBe('/home');
    const again = await arrive(back, binding);
    expect(again.statusCode).toBe(302);
    expect(location(again)).toBe('/home');
    expect(cookieOf(again, 'gatehouse_refresh')).toBeUndefined();
    const dan = await ctx.rows.userByUsernameKey('dan');
    expect(await ctx.store.listSessions(dan?.id ?? 0, ctx.clock())).toHaveLength(1);
    expect(errorOf(await arrive(back))).toBe('oidc_state_invalid');
    expect(errorOf(await arrive(back, 'B'.repeat(43)))).toBe('oidc_state_invalid');
    // Past the flow's lifetime it is forgotten.
    ctx.clock.advance(FLOW_TTL + 1);
    expect(errorOf(await arrive(back, binding))).toBe('oidc_state_invalid');
  });

  test('two arrivals at once: one session, the same answer for both', async () => {
    await open();
    corp.setUser(user('zed'));
    const started = await start('?next=/z');
    const back = await corp.authorize(started.url, 'zed');
    const [first, second] = await Promise.all([arrive(back, started.binding), arrive(back, started.binding)]);
    expect([location(first), location(second)]).toEqual(['/z', '/z']);
    expect(
      [cookieOf(first, 'gatehouse_refresh'), cookieOf(second, 'gatehouse_refresh')].filter(Boolean),
    ).toHaveLength(1);
    const zed = await ctx.rows.userByUsernameKey('zed');
    expect(await ctx.store.listSessions(zed?.id ?? 0, ctx.clock())).toHaveLength(1);
  });

  test('two browsers signing up the same new identity at once: one account, both signed in to it', async () => {
    await open();
    corp.setUser(user('twin'));
    const [a, b] = [await start(), await start()];
    const [backA, backB] = [await corp.authorize(a.url, 'twin'), await corp.authorize(b.url, 'twin')];
    const [first, second] = await Promise.all([arrive(backA, a.binding), arrive(backB, b.binding)]);
    const ids = [first, second].map(
      (response) => decodePayload(cookieOf(response, 'gatehouse_refresh') ?? '')['user_id'],
    );
    expect((await ctx.store.listUsers()).map((one) => one.id)).toEqual([ids[0]]);
    expect(ids[1]).toBe(ids[0]);
  });

  test('a refusal is repeated as it was', async () => {
    await open();
    corp.setUser(user('tom'));
    const started = await start();
    const back = await corp.authorize(started.url, 'tom');
    back.searchParams.set('code', 'forged');
    expect(errorOf(await arrive(back, started.binding))).toBe('oidc_failed');
    expect(errorOf(await arrive(back, started.binding))).toBe('oidc_failed');
  });
});

describe('next', () => {
  test.each(['/.//evil.example.com', '/%2e%2e//evil.example.com'])(
    'a link refused at its start does not send the browser to %s',
    async (next) => {
      await open();
      const refused = await ctx.app.inject({
        method: 'GET',
        url: `/api/auth/oidc/corp/start?intent=link&next=${encodeURIComponent(next)}`,
      });
      expect(refused.statusCode).toBe(302);
      expect(location(refused)).toBe('/account/security#oidc_error=not_authenticated');
    },
  );

  test.each([
    '//evil.example.com/x',
    'https://evil.example.com/x',
    '/\\evil.example.com',
    'javascript:alert(1)',
    'http://localhost:5174/',
    // Dot-segments that the URL parser collapses into `//evil…` (another host to a browser).
    '/.//evil.example.com',
    '/..//evil.example.com',
    '/a/..//evil.example.com',
    '/%2e//evil.example.com',
    `${PUBLIC_URL}/.//evil.example.com`,
  ])('%s is not followed: the path / instead', async (next) => {
    await open();
    corp.setUser(user('nina'));
    const { response } = await signIn('nina', { query: `?next=${encodeURIComponent(next)}` });
    expect(location(response)).toBe('/');
  });

  test('a listed CORS origin gets a single-use code, exchanged once for tokens with its verifier (token mode)', async () => {
    await open();
    corp.setUser(user('carl'));
    const { verifier, challenge } = pkce();
    const { response, back, binding } = await signIn('carl', { query: crossQuery(`${SPA}/done`, challenge) });
    expect(cookieOf(response, 'gatehouse_refresh')).toBeUndefined();
    const match = /^http:\/\/localhost:5173\/done#code=([A-Za-z0-9_-]{43})$/.exec(location(response));
    expect(match).not.toBeNull();
    const code = match?.[1] ?? '';
    expect(JSON.stringify(await ctx.rows.all('select * from one_time_tokens'))).not.toContain(code);
    const exchange = () => exchangeCode(code, verifier);
    const exchanged = await exchange();
    expect(exchanged.statusCode, exchanged.body).toBe(200);
    expect(Object.keys(exchanged.json())).toEqual(['refresh', 'access', 'user']);
    expect(decodePayload(exchanged.json().access)['amr']).toEqual(['fed']);
    expect((await exchange()).json()).toEqual({
      detail: 'The sign-in code is invalid, used or expired. Sign in again.',
      code: 'oidc_code_invalid',
    });
    // The callback again: back to the app, no new code.
    expect(location(await arrive(back, binding))).toBe(`${SPA}/done`);
  });

  test('a code expires after a minute', async () => {
    await open();
    corp.setUser(user('carl'));
    const { response } = await signIn('carl', { query: crossQuery(SPA) });
    const code = location(response).split('#code=')[1] ?? '';
    ctx.clock.advance(EXCHANGE_TTL + 1);
    expect((await exchangeCode(code, pkce().verifier)).statusCode).toBe(400);
  });

  test('a sign-in for another origin without a code_challenge is not started: back to next, saying oidc_failed', async () => {
    await open();
    const response = await ctx.app.inject({
      method: 'GET',
      url: `/api/auth/oidc/corp/start?next=${encodeURIComponent(`${SPA}/done`)}`,
    });
    expect(response.statusCode).toBe(302);
    expect(location(response)).toBe(`${SPA}/done#oidc_error=oidc_failed`);
    expect(cookieOf(response, 'gatehouse_oidc')).toBeUndefined();
    expect(await ctx.rows.all("select * from one_time_tokens where purpose = 'oidc_flow'")).toEqual([]);
  });

  test("login CSRF: the attacker's code, planted in the victim's app, is refused without the attacker's verifier, and spent", async () => {
    await open();
    corp.setUser(user('mallory'));
    // The attacker starts a flow for the app's page, signs in as themselves, and keeps the code.
    const attacker = pkce('a'.repeat(64));
    const { response } = await signIn('mallory', { query: crossQuery(`${SPA}/page`, attacker.challenge) });
    const code = /#code=(.+)$/.exec(location(response))?.[1] ?? '';
    // The victim's app, sent to /page#code=…, exchanges it with its own verifier (or none, or a guess).
    const victim = pkce('b'.repeat(64));
    for (const verifier of [victim.verifier, undefined, attacker.challenge]) {
      const refused = await exchangeCode(code, verifier);
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ code: 'oidc_code_invalid' });
    }
    // Spent by the first try: the right verifier comes too late.
    const late = pkce('c'.repeat(43));
    const second = await signIn('mallory', { query: crossQuery(`${SPA}/page`, late.challenge) });
    const secondCode = /#code=(.+)$/.exec(location(second.response))?.[1] ?? '';
    expect((await exchangeCode(secondCode, victim.verifier)).statusCode).toBe(400);
    expect((await exchangeCode(secondCode, late.verifier)).statusCode).toBe(400);
    expect(await ctx.rows.all('select * from sessions')).toEqual([]);
  });
});

describe('a second factor after a social first factor', () => {
  test('the callback hands a code to /login/oidc, whose exchange answers mfa_required; the answer gives fed + otp + mfa', async () => {
    await open();
    const alice = await ctx.createUser({
      username: 'alice',
      email: 'alice@example.com',
      emailVerified: true,
    });
    const { secret } = await enableTotp(ctx, 'alice');
    corp.setUser(user('alice-sso', { email: 'alice@example.com' }));
    const { response } = await signIn('alice-sso', { query: '?next=/account' });
    expect(cookieOf(response, 'gatehouse_refresh')).toBeUndefined();
    const match = /^\/login\/oidc\?next=%2Faccount#code=([A-Za-z0-9_-]{43})$/.exec(location(response));
    expect(match, location(response)).not.toBeNull();
    const exchanged = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/oidc/exchange/',
      payload: { code: match?.[1] },
    });
    expect(exchanged.statusCode).toBe(401);
    expect(exchanged.json()).toMatchObject({ code: 'mfa_required', methods: ['otp'] });
    const answered = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/mfa/',
      payload: { mfa_token: exchanged.json().mfa_token, code: codeOf(ctx, secret) },
    });
    expect(answered.statusCode, answered.body).toBe(200);
    const claims = decodePayload(answered.json().access);
    expect(claims['user_id']).toBe(alice.id);
    expect(claims['amr']).toEqual(['fed', 'otp', 'mfa']);
  });
});

describe('linking from the account, and unlinking', () => {
  const refreshCookie = (refresh: string) => ({ cookie: `gatehouse_refresh=${refresh}` });

  test('intent=link adds the identity to the caller named by the refresh cookie (recent sign-in)', async () => {
    await open();
    const alice = await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    const { refresh } = await ctx.login('alice');
    corp.setUser(user('a.lice', { email: 'someone-else@example.com', email_verified: false }));
    const started = await start('?intent=link&next=/account', 'corp', refreshCookie(refresh));
    const back = await corp.authorize(started.url, 'a.lice');
    const response = await arrive(back, started.binding);
    expect(location(response)).toBe('/account');
    expect(cookieOf(response, 'gatehouse_refresh')).toBeUndefined();
    expect(await identitiesOf(alice.id)).toMatchObject([
      { subject: 'a.lice', email: 'someone-else@example.com' },
    ]);
    expect(await probe.messages(ctx.rows, 'identity_linked', 'alice@example.com')).toHaveLength(1);

    // The same identity for another account: refused.
    await ctx.createUser({ username: 'bob', email: 'bob@example.com' });
    const bob = await ctx.login('bob');
    // The refusal goes back to the page that started the link (by default the Security page), never to
    // /login, whose guest-only page a signed-in user would be bounced from.
    const theirs = await start('?intent=link', 'corp', refreshCookie(bob.refresh));
    const refused = await arrive(await corp.authorize(theirs.url, 'a.lice'), theirs.binding);
    expect(location(refused)).toBe('/account/security#oidc_error=oidc_identity_in_use');
    const elsewhere = await start('?intent=link&next=/settings?tab=2', 'corp', refreshCookie(bob.refresh));
    const again = await arrive(await corp.authorize(elsewhere.url, 'a.lice'), elsewhere.binding);
    expect(location(again)).toBe('/settings?tab=2#oidc_error=oidc_identity_in_use');
    const cancelled = await start('?intent=link', 'corp', refreshCookie(bob.refresh));
    expect(location(await arrive(await corp.deny(cancelled.url), cancelled.binding))).toBe(
      '/account/security#oidc_error=oidc_access_denied',
    );
  });

  test('intent=link without a session, or with an old sign-in: back to next (a navigation), its fragment saying why', async () => {
    await open();
    await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    const { refresh, access } = await ctx.login('alice');
    const link = (headers: Record<string, string>, query = '') =>
      ctx.app.inject({ method: 'GET', url: `/api/auth/oidc/corp/start?intent=link${query}`, headers });
    const refusedWith = (response: LightMyRequestResponse) => {
      expect(response.statusCode, response.body).toBe(302);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(cookieOf(response, 'gatehouse_oidc')).toBeUndefined();
      return location(response);
    };
    const anonymous = '/account/security#oidc_error=not_authenticated';
    expect(refusedWith(await link({}))).toBe(anonymous);
    expect(refusedWith(await link(refreshCookie(access)))).toBe(anonymous);
    expect(refusedWith(await link(refreshCookie('garbage')))).toBe(anonymous);
    expect(refusedWith(await link({}, '&next=/account'))).toBe('/account#oidc_error=not_authenticated');
    // Only where next may go: anywhere else is the Security page.
    expect(refusedWith(await link({}, `&next=${encodeURIComponent('https://evil.example/x')}`))).toBe(
      anonymous,
    );
    expect(refusedWith(await link({}, '&next=//evil.example/x'))).toBe(anonymous);
    ctx.clock.advance(ctx.config.sessions.reauthenticationWindow + 1);
    expect(refusedWith(await link(refreshCookie(refresh), '&next=/account/security'))).toBe(
      '/account/security#oidc_error=reauthentication_required',
    );
    // Nothing was started.
    expect(await ctx.rows.all("select * from one_time_tokens where purpose = 'oidc_flow'")).toEqual([]);
  });

  test('intent=link from another origin’s page (Sec-Fetch-Site same-site or cross-site) is refused; same-origin, none or no header start it', async () => {
    await open();
    await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    const { refresh } = await ctx.login('alice');
    const link = (site?: string) =>
      ctx.app.inject({
        method: 'GET',
        url: '/api/auth/oidc/corp/start?intent=link&next=/account',
        headers: { ...refreshCookie(refresh), ...(site !== undefined && { 'sec-fetch-site': site }) },
      });
    for (const site of ['same-site', 'cross-site']) {
      const refused = await link(site);
      expect(refused.statusCode).toBe(302);
      expect(location(refused)).toBe('/account#oidc_error=link_not_same_origin');
      expect(cookieOf(refused, 'gatehouse_oidc')).toBeUndefined();
    }
    expect(await ctx.rows.all("select * from one_time_tokens where purpose = 'oidc_flow'")).toEqual([]);
    for (const site of ['same-origin', 'none', undefined]) {
      const started = await link(site);
      expect(new URL(location(started)).origin).toBe(corp.issuer);
    }
    // A sign-in (not a link) may come from anywhere: the other origin's app starts it.
    const login = await ctx.app.inject({
      method: 'GET',
      url: `/api/auth/oidc/corp/start${crossQuery(SPA)}`,
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(new URL(location(login)).origin).toBe(corp.issuer);
  });

  test('list and unlink; the last way to sign in stays', async () => {
    await open();
    corp.setUser(user('pat'));
    other.setUser(user('pat'));
    const { response } = await signIn('pat', { query: crossQuery(SPA) });
    const code = location(response).split('#code=')[1];
    const { access } = (await exchangeCode(code, pkce().verifier)).json<{ access: string }>();
    const listed = await ctx.app.inject({
      method: 'GET',
      url: '/api/users/me/identities/',
      headers: bearer(access),
    });
    expect(listed.statusCode).toBe(200);
    const [only] = listed.json<{ id: string }[]>();
    expect(listed.json()).toEqual([
      {
        id: only?.id,
        provider: 'corp',
        display_name: 'Corp SSO',
        issuer: corp.issuer,
        subject: 'pat',
        email: 'pat@example.com',
        created_at: ctx.clock().toISOString(),
        last_used_at: ctx.clock().toISOString(),
      },
    ]);
    // The admin's view of the account lists it too.
    const admin = await ctx.createUser({ username: 'root', isSuperuser: true });
    const rootToken = (await ctx.login(admin.username)).access;
    const pat = await ctx.rows.userByUsernameKey('pat');
    const detail = await ctx.app.inject({
      method: 'GET',
      url: `/api/users/${pat?.publicId ?? ''}/`,
      headers: bearer(rootToken),
    });
    expect(detail.json().identities).toEqual(listed.json());

    const unlink = (id: string, token = access) =>
      ctx.app.inject({ method: 'DELETE', url: `/api/users/me/identities/${id}/`, headers: bearer(token) });
    const last = await unlink(only?.id ?? '');
    expect(last.statusCode).toBe(400);
    expect(last.json()).toMatchObject({ code: 'oidc_last_method' });
    expect((await unlink('00000000-0000-0000-0000-000000000000')).statusCode).toBe(404);

    // With another identity linked (the `other` provider, by intent=link), the first can go.
    await ctx.store.linkIdentity(
      pat?.id ?? 0,
      { provider: 'other', issuer: other.issuer, subject: 'pat', email: null, createdAt: ctx.clock() },
      {
        audit: testAuditEntry(ctx.clock()),
        now: ctx.clock(),
      },
    );
    expect((await unlink(only?.id ?? '')).statusCode).toBe(204);
    expect((await ctx.store.listAudit(0, 10, pat?.id)).items.map((entry) => entry.action)).toContain(
      'identity.unlinked',
    );
  });

  test('unlinking needs a recent sign-in', async () => {
    await open();
    const alice = await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    const linked = await ctx.store.linkIdentity(
      alice.id,
      { provider: 'corp', issuer: corp.issuer, subject: 'a', email: null, createdAt: ctx.clock() },
      {
        audit: testAuditEntry(ctx.clock()),
        now: ctx.clock(),
      },
    );
    const { refresh } = await ctx.login('alice');
    ctx.clock.advance(ctx.config.sessions.reauthenticationWindow + 1);
    const renewed = await ctx.app.inject({
      method: 'POST',
      url: '/api/token/refresh/',
      payload: { refresh },
    });
    const response = await ctx.app.inject({
      method: 'DELETE',
      url: `/api/users/me/identities/${linked.ok ? linked.identity.id : ''}/`,
      headers: bearer(renewed.json<{ access: string }>().access),
    });
    expect(response.statusCode).toBe(403);
    expect(await identitiesOf(alice.id)).toHaveLength(1);
  });
});

describe('bad input: 4xx JSON, never a 500', () => {
  test.each([
    ['a provider name out of pattern', 'GET', '/api/auth/oidc/Bad!/start', 400],
    ['an unknown provider', 'GET', '/api/auth/oidc/nope/start', 404],
    ['a 3000-character next', 'GET', `/api/auth/oidc/corp/start?next=/${'a'.repeat(3000)}`, 400],
    ['an unknown intent', 'GET', '/api/auth/oidc/corp/start?intent=steal', 400],
    [
      'a code_challenge out of shape',
      'GET',
      `/api/auth/oidc/corp/start?code_challenge=${'c'.repeat(42)}`,
      400,
    ],
    ["an unknown provider's callback", 'GET', '/api/auth/oidc/nope/callback?state=x', 404],
    ['a 600-character state', 'GET', `/api/auth/oidc/corp/callback?state=${'s'.repeat(600)}`, 400],
    ['POST to start', 'POST', '/api/auth/oidc/corp/start', 405],
    ['POST to the providers', 'POST', '/api/auth/oidc/providers/', 405],
    ['GET of the exchange', 'GET', '/api/auth/oidc/exchange/', 405],
    ['the identities, anonymous', 'GET', '/api/users/me/identities/', 401],
    ['an unlink, anonymous', 'DELETE', '/api/users/me/identities/x/', 401],
  ])('%s: %s %s → %i', async (_label, method, url, status) => {
    await open();
    const response = await ctx.app.inject({ method: method as 'GET', url });
    expect(response.statusCode, response.body).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
  });

  test('an unlink of an id out of shape, signed in: 400', async () => {
    await open();
    await ctx.createUser({ username: 'alice' });
    const { access } = await ctx.login('alice');
    const response = await ctx.app.inject({
      method: 'DELETE',
      url: `/api/users/me/identities/${'i'.repeat(65)}/`,
      headers: bearer(access),
    });
    expect(response.statusCode).toBe(400);
  });

  test.each([
    {},
    { code: '' },
    { code: 123 },
    { code: 'x'.repeat(129) },
    { code: 'short' },
    { code: 'x'.repeat(43), code_verifier: 'v'.repeat(42) },
    { code: 'x'.repeat(43), code_verifier: 'v'.repeat(129) },
    { code: 'x'.repeat(43), code_verifier: `${'v'.repeat(42)}+` },
    'not json',
  ])('exchange %j → 400', async (payload) => {
    await open();
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/oidc/exchange/',
      payload: payload as object,
      headers: { 'content-type': 'application/json' },
    });
    expect(response.statusCode, response.body).toBe(400);
  });

  test('a callback with an unknown, malformed or missing state is sent to the login page', async () => {
    await open();
    for (const query of ['', '?state=x', `?state=${'A'.repeat(43)}&code=y`, '?error=access_denied']) {
      const response = await ctx.app.inject({ method: 'GET', url: `/api/auth/oidc/corp/callback${query}` });
      expect(response.statusCode).toBe(302);
      expect(location(response)).toBe('/login#oidc_error=oidc_state_invalid');
    }
  });
});
