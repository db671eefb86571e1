import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FEATURES } from '../features/features.js';
import { mfaFeature } from '../features/mfa/plugin.js';
import { createTestContext, type TestContext } from '../testing/test-app.js';
import type { Feature } from './core.js';
import type { User } from '../store/users/store.js';
import { createOneTimeTokens, oneTimeTokenKey } from './one-time-tokens/one-time-tokens.js';
import { createSignInPipeline, mustHaveSecondFactor } from './sign-in.js';
import { TEST_KEY_ENCRYPTION_KEY } from '../testing/test-app.js';

/** A second factor as a feature would add one: enrolled for `mfa-user` only. */
const otpForMfaUser: Feature = async (_app, { signIn }) => {
  signIn.addSecondFactor({ method: 'otp', enrolled: async (user) => user.username === 'mfa-user' });
};

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext(
    { GATEHOUSE_RATE_LIMITS: 'false' },
    // The stand-in replaces the real authenticator-app factor (features/mfa), which tests its own.
    { features: [...FEATURES.filter((feature) => feature !== mfaFeature), otpForMfaUser] },
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
  const client = { userAgent: '', ip: '' };
  let issued: (readonly string[])[];
  let pipeline: ReturnType<typeof createSignInPipeline>;
  let user: User;

  beforeEach(async () => {
    issued = [];
    user = (await ctx.store.findUserById((await ctx.rows.userByUsernameKey('mfa-user'))?.id ?? 0)) as User;
    const challenges = createOneTimeTokens({
      store: ctx.store,
      key: await oneTimeTokenKey(ctx.store, ctx.clock()),
      clock: ctx.clock,
    });
    pipeline = createSignInPipeline({
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
      challenges,
      findUser: (id) => ctx.store.findUserById(id),
    });
    pipeline.addSecondFactor({ method: 'otp', enrolled: async () => true });
  });

  async function challenge(): Promise<string> {
    const outcome = await pipeline.complete(user, { methods: ['pwd'], client });
    if (outcome.ok || !('challenge' in outcome)) throw new Error('no challenge');
    expect(outcome.methods).toEqual(['otp']);
    return outcome.challenge;
  }
  const right = async () => ({ ok: true as const, methods: ['otp' as const] });
  const wrong = async () => ({ ok: false as const });

  test('a proof that already includes an enrolled factor needs no other; the session gets every method', async () => {
    expect((await pipeline.complete(user, { methods: ['otp'], client })).ok).toBe(true);
    expect((await pipeline.complete(user, { methods: ['swk', 'user', 'mfa'], client })).ok).toBe(true);
    expect(issued).toEqual([['otp'], ['swk', 'user', 'mfa']]);
  });

  test('a right answer starts the session with the first factor, the answer and mfa; once', async () => {
    const token = await challenge();
    let seen: unknown;
    const outcome = await pipeline.answer(
      token,
      async (who, pending) => {
        seen = { id: who.id, pending };
        return right();
      },
      client,
    );
    expect(outcome.ok).toBe(true);
    expect(seen).toEqual({ id: user.id, pending: { methods: ['pwd'], secondFactors: ['otp'] } });
    expect(issued).toEqual([['pwd', 'otp', 'mfa']]);
    expect(await pipeline.answer(token, right, client)).toEqual({ ok: false, code: 'invalid_challenge' });
  });

  test('five wrong answers kill the challenge; a right one after them is refused', async () => {
    const token = await challenge();
    for (const attemptsLeft of [4, 3, 2, 1, 0]) {
      expect(await pipeline.answer(token, wrong, client)).toEqual({
        ok: false,
        code: 'wrong_answer',
        attemptsLeft,
      });
    }
    expect(await pipeline.answer(token, right, client)).toEqual({ ok: false, code: 'invalid_challenge' });
    expect(await pipeline.answer(token, wrong, client)).toEqual({ ok: false, code: 'invalid_challenge' });
    expect(issued).toEqual([]);
  });

  test('two right answers at once: one session', async () => {
    const token = await challenge();
    const outcomes = await Promise.all([1, 2, 3].map(() => pipeline.answer(token, right, client)));
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(1);
    expect(issued).toHaveLength(1);
  });

  test('expired, forged, or its user deactivated: invalid, and nothing is asked of the factor', async () => {
    const checked: unknown[] = [];
    const spy = async () => {
      checked.push(1);
      return right();
    };
    const late = await challenge();
    ctx.clock.advance(5 * 60 + 1);
    expect(await pipeline.answer(late, spy, client)).toEqual({ ok: false, code: 'invalid_challenge' });
    expect(await pipeline.answer('x'.repeat(43), spy, client)).toEqual({
      ok: false,
      code: 'invalid_challenge',
    });
    const token = await challenge();
    await ctx.store.updateUser(user.id, { isActive: false }, ctx.clock());
    expect(await pipeline.answer(token, spy, client)).toEqual({ ok: false, code: 'invalid_challenge' });
    expect(checked).toEqual([]);
  });

  test('one factor per method', () => {
    expect(() => pipeline.addSecondFactor({ method: 'otp', enrolled: async () => false })).toThrow(/twice/);
  });
});

describe('GATEHOUSE_MFA_REQUIRED in the pipeline', () => {
  const client = { userAgent: '', ip: '' };

  test('who must have a second factor: staff includes superusers', () => {
    const who = (isStaff: boolean, isSuperuser: boolean) => ({ isStaff, isSuperuser }) as User;
    const covered = (requirement: 'none' | 'superusers' | 'staff' | 'all') =>
      [who(false, false), who(true, false), who(false, true)].map((user) =>
        mustHaveSecondFactor(requirement, user),
      );
    expect(covered('none')).toEqual([false, false, false]);
    expect(covered('superusers')).toEqual([false, false, true]);
    expect(covered('staff')).toEqual([false, true, true]);
    expect(covered('all')).toEqual([true, true, true]);
  });

  test('a covered account without a factor enrols one before its session; an enrolled one is asked for it', async () => {
    const issued: (readonly string[])[] = [];
    let enrolled = false;
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
      challenges: createOneTimeTokens({
        store: ctx.store,
        key: await oneTimeTokenKey(ctx.store, ctx.clock()),
        clock: ctx.clock,
      }),
      findUser: (id) => ctx.store.findUserById(id),
      mfaRequired: 'all',
    });
    pipeline.addSecondFactor({ method: 'otp', enrolled: async () => enrolled });
    const user = (await ctx.store.findUserById(
      (await ctx.rows.userByUsernameKey('plain-user'))?.id ?? 0,
    )) as User;

    const outcome = await pipeline.complete(user, { methods: ['pwd'], client });
    if (!('enrollment' in outcome)) throw new Error('no enrolment');
    const token = outcome.enrollment;
    expect(issued).toEqual([]);
    // Not a challenge: it answers nothing at the second step.
    expect(await pipeline.pending(token)).toBeUndefined();
    expect((await pipeline.pendingEnrollment(token))?.user.id).toBe(user.id);
    expect(await pipeline.enroll(token, async () => ({ ok: false }), client)).toEqual({
      ok: false,
      code: 'wrong_answer',
      attemptsLeft: 4,
    });
    const enrolling = async () => {
      enrolled = true;
      return { ok: true as const, methods: ['otp' as const] };
    };
    expect((await pipeline.enroll(token, enrolling, client)).ok).toBe(true);
    expect(issued).toEqual([['pwd', 'otp', 'mfa']]);
    expect(await pipeline.enroll(token, enrolling, client)).toEqual({ ok: false, code: 'invalid_challenge' });
    // Enrolled now: the next login is asked for the factor like anyone's.
    const next = await pipeline.complete(user, { methods: ['pwd'], client });
    expect('challenge' in next).toBe(true);
    // A proof that is multi-factor already (a passkey with user verification) needs no enrolment.
    enrolled = false;
    expect((await pipeline.complete(user, { methods: ['hwk', 'user', 'mfa'], client })).ok).toBe(true);
  });

  test('the enrolment token lasts 10 minutes', async () => {
    const pipeline = createSignInPipeline({
      sessions: { issue: async () => ({}) as never },
      challenges: createOneTimeTokens({
        store: ctx.store,
        key: await oneTimeTokenKey(ctx.store, ctx.clock()),
        clock: ctx.clock,
      }),
      findUser: (id) => ctx.store.findUserById(id),
      mfaRequired: 'all',
    });
    const user = (await ctx.store.findUserById(
      (await ctx.rows.userByUsernameKey('plain-user'))?.id ?? 0,
    )) as User;
    const outcome = await pipeline.complete(user, { methods: ['pwd'], client });
    if (!('enrollment' in outcome)) throw new Error('no enrolment');
    ctx.clock.advance(10 * 60 - 1);
    expect(await pipeline.pendingEnrollment(outcome.enrollment)).toBeDefined();
    ctx.clock.advance(2);
    expect(await pipeline.pendingEnrollment(outcome.enrollment)).toBeUndefined();
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
