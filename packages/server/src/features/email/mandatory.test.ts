import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { Feature } from '../../core/core.js';
import type { QueuedMail } from '../../mail/message.js';
import { outboxProbe, tokenOfLink } from '../../testing/outbox.js';
import { createTestContext, type TestContext } from '../../testing/test-app.js';
import { FEATURES } from '../features.js';
import { mfaFeature } from '../mfa/plugin.js';

const PUBLIC_URL = 'https://auth.example.com';
const STRONG = 'tangerine-kayak-42';
const NOT_VERIFIED = { detail: 'Verify your email address before signing in.', code: 'email_not_verified' };
const BAD_CREDENTIALS = { detail: 'No active account found with the given credentials' };
const MANDATORY = { GATEHOUSE_EMAIL_VERIFICATION: 'mandatory' };

/** Every login route, the tutorials' aliases included, with credentials for `identifier`. */
const LOGIN_ROUTES: [string, (identifier: string, password: string) => object][] = [
  ['/api/token/', (identifier, password) => ({ username: identifier, password })],
  ['/token/', (identifier, password) => ({ email: identifier, password })],
  ['/api/auth/login/', (identifier, password) => ({ email: identifier, password })],
  ['/user/login', (identifier, password) => ({ email: identifier, password })],
];

/** A second factor as a feature would add one: enrolled for `mfa-user` only. */
const otpForMfaUser: Feature = async (_app, { signIn }) => {
  signIn.addSecondFactor({ method: 'otp', enrolled: async (user) => user.username === 'mfa-user' });
};

let contexts: TestContext[] = [];
let ctx: TestContext;
let probe: ReturnType<typeof outboxProbe>;
const cleanups: (() => void)[] = [];

async function setUp(env: Record<string, string> = MANDATORY) {
  probe = outboxProbe();
  ctx = await createTestContext(
    { GATEHOUSE_PUBLIC_URL: PUBLIC_URL, GATEHOUSE_RATE_LIMITS: 'false', ...env },
    // The stand-in replaces the real authenticator-app factor (features/mfa).
    { features: [...FEATURES.filter((feature) => feature !== mfaFeature), otpForMfaUser, probe.feature] },
  );
  contexts.push(ctx);
  return ctx;
}
afterEach(async () => {
  for (const context of contexts) await context.close();
  contexts = [];
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const post = (url: string, payload: object) => ctx.app.inject({ method: 'POST', url, payload });

/** Asks for a new link anonymously, as a user kept out would, and follows it. */
async function verifyByMail(address: string) {
  ctx.clock.advance(61);
  expect((await post('/api/auth/email/verify/resend/', { email: address })).statusCode).toBe(202);
  const queued = await probe.messages(ctx.rows, 'verify_email', address);
  const composed = await probe.compose(queued.at(-1) as QueuedMail);
  if (!('variables' in composed)) throw new Error(`skipped: ${composed.skip}`);
  const token = tokenOfLink(composed.variables['link'], PUBLIC_URL, 'verify-email');
  const response = await post('/api/auth/email/verify/', { token });
  expect(response.statusCode, response.body).toBe(200);
}

describe('GATEHOUSE_EMAIL_VERIFICATION=mandatory', () => {
  test('every login route refuses an unverified account with email_not_verified, and starts no session', async () => {
    await setUp();
    const alice = await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    for (const [url, credentials] of LOGIN_ROUTES) {
      const identifier = url === '/api/token/' ? 'alice' : 'alice@example.com';
      const response = await post(url, credentials(identifier, 'password1'));
      expect(response.statusCode, url).toBe(401);
      expect(response.json(), url).toEqual(NOT_VERIFIED);
      expect(response.headers['www-authenticate'], url).toBe('Bearer realm="api"');
      // A wrong password learns nothing about the address: the usual answer.
      const wrong = await post(url, credentials(identifier, 'wrong-password'));
      expect(wrong.statusCode, url).toBe(401);
      expect(wrong.json(), url).toEqual(BAD_CREDENTIALS);
    }
    expect(await ctx.store.listSessions(alice.id, ctx.clock())).toEqual([]);

    await verifyByMail('alice@example.com');
    for (const [url, credentials] of LOGIN_ROUTES) {
      const identifier = url === '/api/token/' ? 'alice' : 'alice@example.com';
      const response = await post(url, credentials(identifier, 'password1'));
      expect(response.statusCode, `${url} ${response.body}`).toBe(200);
    }
  });

  test('an account without an address cannot verify one: refused the same way', async () => {
    await setUp();
    await ctx.createUser({ username: 'nomail', email: null });
    const response = await post('/api/token/', { username: 'nomail', password: 'password1' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(NOT_VERIFIED);
  });

  test('the check comes before the second factor: no challenge for an unverified account', async () => {
    await setUp();
    await ctx.createUser({ username: 'mfa-user', email: 'mfa@example.com' });
    const response = await post('/api/auth/login/', { email: 'mfa@example.com', password: 'password1' });
    expect(response.json()).toEqual(NOT_VERIFIED);
    await verifyByMail('mfa@example.com');
    const verified = await post('/api/auth/login/', { email: 'mfa@example.com', password: 'password1' });
    expect(verified.json()).toMatchObject({ code: 'mfa_required' });
  });

  test('registration makes the account and queues its mail, then answers email_not_verified; no session', async () => {
    await setUp();
    const response = await post('/api/users/', {
      username: 'alice',
      email: 'alice@example.com',
      password: STRONG,
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(NOT_VERIFIED);
    const alice = await ctx.rows.userByUsernameKey('alice');
    expect(alice).toMatchObject({ email: 'alice@example.com', emailVerified: false });
    expect(await ctx.store.listSessions(alice?.id ?? 0, ctx.clock())).toEqual([]);
    const [mail] = await probe.messages(ctx.rows, 'verify_email', 'alice@example.com');
    const composed = await probe.compose(mail as QueuedMail);
    if (!('variables' in composed)) throw new Error('skipped');
    const token = tokenOfLink(composed.variables['link'], PUBLIC_URL, 'verify-email');
    expect((await post('/api/auth/email/verify/', { token })).statusCode).toBe(200);
    const login = await post('/api/auth/login/', { email: 'alice@example.com', password: STRONG });
    expect(login.statusCode).toBe(200);
    expect(login.json().user).toMatchObject({ email_verified: true });

    // Tutorial B's registration signs in too: refused the same way; tutorial C's signs nobody in.
    const b = await post('/api/auth/register/', {
      username: 'bea',
      email: 'bea@example.com',
      password: STRONG,
    });
    expect([b.statusCode, b.json()]).toEqual([401, NOT_VERIFIED]);
    const c = await post('/user/register', { name: 'Cy', email: 'cy@example.com', password: STRONG });
    expect(c.statusCode).toBe(200);
    expect((await post('/user/login', { email: 'cy@example.com', password: STRONG })).json()).toEqual(
      NOT_VERIFIED,
    );
    expect((await probe.messages(ctx.rows, 'verify_email')).map((m) => m.to).sort()).toEqual([
      'alice@example.com',
      'bea@example.com',
      'cy@example.com',
    ]);
  });

  test('registration without an address is refused, since the account could never sign in', async () => {
    await setUp();
    const response = await post('/api/users/', { username: 'nomail', password: STRONG });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ email: ['This field is required.'] });
    expect(await ctx.rows.userByUsernameKey('nomail')).toBeUndefined();
  });

  test('optional (the default): an unverified account signs in', async () => {
    await setUp({});
    await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    expect(
      (await post('/api/auth/login/', { email: 'alice@example.com', password: 'password1' })).statusCode,
    ).toBe(200);
  });

  test('a session started before verification became mandatory still refreshes; a new login is refused', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-mandatory-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const database = { DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite3')}` };
    const before = await setUp(database);
    await before.createUser({ username: 'alice', email: 'alice@example.com' });
    const pair = await before.login('alice');

    await setUp({ ...database, ...MANDATORY });
    const refreshed = await post('/api/token/refresh/', { refresh: pair.refresh });
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    expect((await post('/api/token/', { username: 'alice', password: 'password1' })).json()).toEqual(
      NOT_VERIFIED,
    );
  });
});
