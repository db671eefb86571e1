import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FEATURES } from '../features/features.js';
import { createTestContext, type TestContext } from '../testing/test-app.js';
import type { Feature } from './core.js';
import { createOneTimeTokens, oneTimeTokenKey } from './one-time-tokens/one-time-tokens.js';
import { createSignInPipeline } from './sign-in.js';
import { TEST_KEY_ENCRYPTION_KEY } from '../testing/test-app.js';

/** A second factor as a feature would add one: enrolled for `mfa-user` only. */
const otpForMfaUser: Feature = async (_app, { signIn }) => {
  signIn.addSecondFactor({ method: 'otp', enrolled: async (user) => user.username === 'mfa-user' });
};

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext(
    { GATEHOUSE_RATE_LIMITS: 'false' },
    { features: [...FEATURES, otpForMfaUser] },
  );
  await ctx.createUser({ username: 'mfa-user', email: 'mfa@example.com', password: 'password1' });
  await ctx.createUser({ username: 'plain-user', email: 'plain@example.com', password: 'password1' });
});
afterEach(() => ctx.close());

const post = (url: string, payload: object) => ctx.app.inject({ method: 'POST', url, payload });

const LOGIN_ROUTES: [string, (identifier: string) => object][] = [
  ['/api/token/', (identifier) => ({ username: identifier, password: 'password1' })],
  ['/token/', (identifier) => ({ email: identifier, password: 'password1' })],
  ['/api/auth/login/', (identifier) => ({ email: identifier, password: 'password1' })],
  ['/user/login', (identifier) => ({ email: identifier, password: 'password1' })],
];

describe('the sign-in pipeline', () => {
  test('every login route, the tutorials’ aliases included, asks for the second factor and starts no session', async () => {
    const user = await ctx.rows.userByUsernameKey('mfa-user');
    for (const [url, credentials] of LOGIN_ROUTES) {
      const response = await post(url, credentials(url === '/api/token/' ? 'mfa-user' : 'mfa@example.com'));
      expect(response.statusCode, url).toBe(401);
      expect(response.headers['www-authenticate'], url).toBe('Bearer realm="api"');
      const body = response.json();
      expect(body, url).toEqual({
        detail: 'Second factor required.',
        code: 'mfa_required',
        mfa_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        methods: ['otp'],
      });
      // No token of any kind in the answer: a simplejwt client finds no `access` and stays signed out.
      expect(Object.keys(body)).not.toContain('access');
    }
    expect(await ctx.store.listSessions(user?.id ?? 0, ctx.clock())).toEqual([]);
    expect(user).toBeDefined();
  });

  test('the challenge is a one-time token bound to the user and to what the first factor proved', async () => {
    const response = await post('/api/auth/login/', { email: 'mfa-user', password: 'password1' });
    const { mfa_token: challenge } = response.json();
    const tokens = createOneTimeTokens({
      store: ctx.store,
      key: await oneTimeTokenKey(ctx.store, ctx.clock(), ctx.config.jwt.keyEncryptionKey),
      clock: ctx.clock,
    });
    // The purpose is part of its hash: under another purpose it is no token at all. As the MFA
    // challenge it is good once.
    expect(await tokens.consume('password_reset', challenge)).toEqual({ ok: false, code: 'unknown' });
    const user = await ctx.rows.userByUsernameKey('mfa-user');
    expect(await tokens.consume('mfa_challenge', challenge)).toEqual({
      ok: true,
      userId: user?.id,
      data: { methods: ['pwd'], second_factors: ['otp'] },
    });
    expect(await tokens.consume('mfa_challenge', challenge)).toEqual({ ok: false, code: 'used' });
  });

  test('a wrong password is refused as before, with no challenge', async () => {
    const response = await post('/api/auth/login/', { email: 'mfa-user', password: 'wrong-password' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ detail: 'No active account found with the given credentials' });
  });

  test('an account without a second factor signs in as before', async () => {
    for (const [url, credentials] of LOGIN_ROUTES) {
      const response = await post(
        url,
        credentials(url === '/api/token/' ? 'plain-user' : 'plain@example.com'),
      );
      expect(response.statusCode, url).toBe(200);
    }
  });

  test('registration goes through the pipeline too', async () => {
    const response = await post('/api/users/', { username: 'newcomer', password: 'tangerine-kayak-42' });
    expect(response.statusCode).toBe(201);
  });
});

describe('createSignInPipeline', () => {
  const user = { id: 7, username: 'u' } as Parameters<ReturnType<typeof createSignInPipeline>['complete']>[0];
  const client = { userAgent: '', ip: '' };

  test('a proof that already includes an enrolled factor needs no other; the session gets every method', async () => {
    const issued: unknown[] = [];
    const pipeline = createSignInPipeline({
      sessions: {
        issue: async (who, options) => {
          issued.push(options.methods);
          return {
            user: who,
            sessionId: 's',
            methods: options.methods,
            authTime: 0,
            tokens: { access: 'a', refresh: 'r' },
          };
        },
      },
      challenge: async () => 'challenge',
    });
    pipeline.addSecondFactor({ method: 'hwk', enrolled: async () => true });
    expect(await pipeline.complete(user, { methods: ['pwd'], client })).toEqual({
      ok: false,
      next: 'second_factor',
      challenge: 'challenge',
      methods: ['hwk'],
    });
    expect((await pipeline.complete(user, { methods: ['hwk', 'user'], client })).ok).toBe(true);
    expect(issued).toEqual([['hwk', 'user']]);
  });

  test('one factor per method', () => {
    const pipeline = createSignInPipeline({
      sessions: { issue: async () => Promise.reject(new Error('unused')) },
      challenge: async () => '',
    });
    pipeline.addSecondFactor({ method: 'otp', enrolled: async () => false });
    expect(() => pipeline.addSecondFactor({ method: 'otp', enrolled: async () => false })).toThrow(/twice/);
  });
});

test('without a key-encryption key the one-time token key is kept in the store; with one it is derived', async () => {
  const stored = await oneTimeTokenKey(ctx.store, ctx.clock());
  expect(await oneTimeTokenKey(ctx.store, ctx.clock())).toEqual(stored);
  const kek = Buffer.from(TEST_KEY_ENCRYPTION_KEY, 'base64');
  const derived = await oneTimeTokenKey(ctx.store, ctx.clock(), kek);
  expect(derived).toHaveLength(32);
  expect(derived).not.toEqual(stored);
  expect(await oneTimeTokenKey(ctx.store, ctx.clock(), kek)).toEqual(derived);
});
