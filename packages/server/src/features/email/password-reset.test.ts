import { afterEach, describe, expect, test } from 'vitest';
import type { Feature } from '../../core/core.js';
import type { QueuedMail } from '../../mail/message.js';
import { outboxProbe, tokenOfLink } from '../../testing/outbox.js';
import { createTestContext, type TestContext } from '../../testing/test-app.js';
import { FEATURES } from '../features.js';
import { mfaFeature } from '../mfa/plugin.js';

const PUBLIC_URL = 'https://auth.example.com';
/** Passes the password policy for every username and email used here. */
const NEW_PASSWORD = 'tangerine-kayak-42';
const QUEUED = { detail: 'If an account uses this address, a link to reset its password is on its way.' };
const DONE = { detail: 'Your password has been reset. Sign in with the new password.' };
const INVALID = { detail: 'This link is invalid or has expired.', code: 'invalid_token' };
const BAD_CREDENTIALS = { detail: 'No active account found with the given credentials' };

/** A second factor as a feature would add one: enrolled for `mfa-user` only. */
const otpForMfaUser: Feature = async (_app, { signIn }) => {
  signIn.addSecondFactor({ method: 'otp', enrolled: async (user) => user.username === 'mfa-user' });
};

let ctx: TestContext;
let probe: ReturnType<typeof outboxProbe>;

async function setUp(env: Record<string, string> = {}) {
  probe = outboxProbe();
  ctx = await createTestContext(
    { GATEHOUSE_PUBLIC_URL: PUBLIC_URL, GATEHOUSE_RATE_LIMITS: 'false', ...env },
    // The stand-in replaces the real authenticator-app factor (features/mfa).
    { features: [...FEATURES.filter((feature) => feature !== mfaFeature), otpForMfaUser, probe.feature] },
  );
  await ctx.createUser({ username: 'alice', email: 'alice@example.com', password: 'password1' });
}
afterEach(() => ctx.close());

function post(url: string, payload: unknown, headers: Record<string, string> = {}) {
  return ctx.app.inject({ method: 'POST', url, payload: payload as object, headers });
}
const forgot = (email: string, headers: Record<string, string> = {}) =>
  post('/api/auth/password/reset/', { email }, headers);
const confirm = (token: string, newPassword = NEW_PASSWORD) =>
  post('/api/auth/password/reset/confirm/', { token, new_password: newPassword });
const login = (email: string, password: string) => post('/api/auth/login/', { email, password });
const resets = (to?: string) => probe.messages(ctx.rows, 'password_reset', to);

/** The reset link's token, the message filled in as the sender would fill it now. */
async function linkOf(mail: QueuedMail | undefined): Promise<string> {
  if (!mail) throw new Error('no reset message queued');
  const composed = await probe.compose(mail);
  if (!('variables' in composed)) throw new Error(`skipped: ${composed.skip}`);
  return tokenOfLink(composed.variables['link'], PUBLIC_URL, 'reset-password');
}

/** Asks for a reset of alice's password and follows the mail's link: its token. */
async function resetToken(address = 'alice@example.com'): Promise<string> {
  const before = (await resets(address)).length;
  const response = await forgot(address);
  expect(response.statusCode).toBe(202);
  const queued = await resets(address);
  expect(queued).toHaveLength(before + 1);
  return linkOf(queued.at(-1));
}

describe('forgot password -> mail -> new password', () => {
  test('every session and its access tokens end; the new password signs in, the old one not', async () => {
    await setUp();
    const first = await ctx.login('alice');
    const second = await ctx.login('alice');
    const token = await resetToken();

    const response = await confirm(token);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual(DONE);
    // A reset signs nobody in.
    expect(response.headers['set-cookie']).toBeUndefined();

    for (const pair of [first, second]) {
      const me = await ctx.app.inject({
        method: 'GET',
        url: '/api/users/me/',
        headers: { authorization: `Bearer ${pair.access}` },
      });
      expect(me.statusCode).toBe(401);
      const refreshed = await post('/api/auth/refresh/', { refresh: pair.refresh });
      expect(refreshed.statusCode).toBe(401);
      expect(refreshed.json()).toEqual({ detail: 'Token is blacklisted', code: 'token_not_valid' });
    }
    expect((await login('alice@example.com', 'password1')).json()).toEqual(BAD_CREDENTIALS);
    const signedIn = await login('alice@example.com', NEW_PASSWORD);
    expect(signedIn.statusCode, signedIn.body).toBe(200);
    // The link proved the address.
    expect(signedIn.json().user).toMatchObject({ username: 'alice', email_verified: true });

    // Used once.
    expect((await confirm(token, 'another-kayak-43')).json()).toEqual(INVALID);
    const { items } = await ctx.store.listAudit(0, 10);
    expect(items[0]).toMatchObject({
      action: 'password.reset',
      actor: 'alice',
      detail: { sessions_ended: 2 },
    });
  });

  test('the mail: its link carries the token in the fragment only; 1 hour by default', async () => {
    await setUp();
    await forgot('Alice@Example.com');
    const [mail] = await resets();
    // Queued with no account looked up and no secret: the address and nothing else.
    expect(mail).toMatchObject({ kind: 'password_reset', to: 'alice@example.com', userId: null, data: {} });
    expect(await probe.compose(mail as QueuedMail)).toEqual({
      variables: {
        username: 'alice',
        link: expect.stringMatching(/^https:\/\/auth\.example\.com\/reset-password#token=[A-Za-z0-9_-]{43}$/),
        expires_in: '1 hour',
      },
    });
  });

  test('the notice: queued with the reset, about it; off when GATEHOUSE_SECURITY_NOTICES leaves it out', async () => {
    await setUp();
    await confirm(await resetToken());
    const [notice] = await probe.messages(ctx.rows, 'password_reset_done');
    expect(notice).toMatchObject({ to: 'alice@example.com', userId: expect.any(Number) });
    const time = `${ctx.clock().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    expect(await probe.compose(notice as QueuedMail)).toEqual({ variables: { username: 'alice', time } });
    await ctx.close();

    await setUp({ GATEHOUSE_SECURITY_NOTICES: 'password_changed' });
    expect((await confirm(await resetToken())).statusCode).toBe(200);
    expect(await probe.messages(ctx.rows, 'password_reset_done')).toEqual([]);
  });

  test('a reset clears the login throttle of the account', async () => {
    await setUp();
    for (let i = 0; i < 8; i++) await login('alice@example.com', 'wrong-password');
    expect((await login('alice@example.com', 'password1')).statusCode).toBe(429);
    await confirm(await resetToken());
    expect((await login('alice@example.com', NEW_PASSWORD)).statusCode).toBe(200);
  });

  test('a reset skips no second factor', async () => {
    await setUp();
    await ctx.createUser({ username: 'mfa-user', email: 'mfa@example.com', password: 'password1' });
    expect((await confirm(await resetToken('mfa@example.com'))).statusCode).toBe(200);
    const response = await login('mfa@example.com', NEW_PASSWORD);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'mfa_required' });
  });
});

describe('no enumeration', () => {
  test('an unknown, an inactive and a known address: the same status and body; only the known gets mail', async () => {
    await setUp();
    const inactive = await ctx.createUser({ username: 'ina', email: 'ina@example.com' });
    await ctx.store.updateUser(inactive.id, { isActive: false }, ctx.clock());

    const answers = [];
    for (const email of ['nobody@example.com', 'ina@example.com', 'alice@example.com']) {
      const response = await forgot(email);
      answers.push({ status: response.statusCode, body: response.body });
    }
    expect(answers).toEqual(Array.from({ length: 3 }, () => ({ status: 202, body: JSON.stringify(QUEUED) })));
    // The same work each time: one queued message; whether it is mail is decided when it is sent.
    const queued = await resets();
    expect(queued.map((mail) => [mail.to, mail.userId, mail.data])).toEqual(
      expect.arrayContaining([
        ['nobody@example.com', null, {}],
        ['ina@example.com', null, {}],
        ['alice@example.com', null, {}],
      ]),
    );
    const composed = Object.fromEntries(
      await Promise.all(queued.map(async (mail) => [mail.to, await probe.compose(mail)])),
    );
    expect(composed).toEqual({
      'nobody@example.com': { skip: 'no such account' },
      'ina@example.com': { skip: 'the account is deactivated' },
      'alice@example.com': { variables: expect.objectContaining({ username: 'alice' }) },
    });
  });

  test('send limits: a second request in a minute is answered the same and queues nothing', async () => {
    await setUp();
    const first = await forgot('alice@example.com');
    const second = await forgot('alice@example.com');
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    expect(second.body).toBe(first.body);
    expect(await resets()).toHaveLength(1);
    ctx.clock.advance(61);
    await forgot('alice@example.com');
    expect(await resets()).toHaveLength(2);
  });

  test('send limits per IP: over them, the same answer and nothing queued', async () => {
    await setUp({ GATEHOUSE_MAIL_LIMIT_PER_IP: '3/m' });
    for (let i = 0; i < 5; i++) expect((await forgot(`user${i}@example.com`)).json()).toEqual(QUEUED);
    expect(await resets()).toHaveLength(3);
  });
});

describe('refused tokens', () => {
  test('expired, used, wrong-purpose, tampered and malformed tokens: 400 invalid_token', async () => {
    await setUp();
    const token = await resetToken();
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const bad of [tampered, 'nope', `${token}=`, token.toUpperCase()]) {
      const response = await confirm(bad);
      expect(response.statusCode, bad).toBe(400);
      expect(response.json(), bad).toEqual(INVALID);
    }
    // Expired: GATEHOUSE_PASSWORD_RESET_TTL, an hour by default.
    ctx.clock.advance(3600);
    expect((await confirm(token)).json()).toEqual(INVALID);
    expect((await login('alice@example.com', 'password1')).statusCode).toBe(200);

    // A verification token is no reset token.
    const registered = await post('/api/users/', {
      username: 'vera',
      email: 'vera@example.com',
      password: NEW_PASSWORD,
    });
    expect(registered.statusCode).toBe(201);
    const [verification] = await probe.messages(ctx.rows, 'verify_email');
    const composed = await probe.compose(verification as QueuedMail);
    if (!('variables' in composed)) throw new Error('verification skipped');
    const verificationToken = tokenOfLink(composed.variables['link'], PUBLIC_URL, 'verify-email');
    expect((await confirm(verificationToken)).json()).toEqual(INVALID);
  });

  test('a newer link replaces the earlier one', async () => {
    await setUp();
    const first = await resetToken();
    ctx.clock.advance(61);
    const second = await resetToken();
    expect((await confirm(first)).json()).toEqual(INVALID);
    expect((await confirm(second)).json()).toEqual(DONE);
  });

  test('a link to an address the account no longer has, or of an account deactivated since: refused', async () => {
    await setUp();
    const token = await resetToken();
    await ctx.rows.setEmail('alice', 'alice@new.example.com');
    expect((await confirm(token)).json()).toEqual(INVALID);

    const bob = await ctx.createUser({ username: 'bob', email: 'bob@example.com' });
    const bobToken = await resetToken('bob@example.com');
    await ctx.store.updateUser(bob.id, { isActive: false }, ctx.clock());
    expect((await confirm(bobToken)).json()).toEqual(INVALID);
  });

  test('a weak password is refused before the token is spent: the link still works', async () => {
    await setUp();
    const token = await resetToken();
    const weak = await confirm(token, 'password');
    expect(weak.statusCode).toBe(400);
    expect(weak.json()).toEqual({ new_password: ['This password is too common.'] });
    const similar = await confirm(token, 'alice@example.com');
    expect(similar.statusCode).toBe(400);
    expect(Object.keys(similar.json())).toEqual(['new_password']);
    expect((await confirm(token)).json()).toEqual(DONE);
  });

  test('two concurrent confirms of one link: exactly one succeeds', async () => {
    await setUp();
    const token = await resetToken();
    const responses = await Promise.all([
      confirm(token, 'first-kayak-41'),
      confirm(token, 'second-kayak-42'),
      confirm(token, 'third-kayak-43'),
    ]);
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 400, 400]);
    const winner = ['first-kayak-41', 'second-kayak-42', 'third-kayak-43'][
      responses.findIndex((r) => r.statusCode === 200)
    ];
    for (const password of ['first-kayak-41', 'second-kayak-42', 'third-kayak-43']) {
      expect((await login('alice@example.com', password)).statusCode, password).toBe(
        password === winner ? 200 : 401,
      );
    }
    expect(
      (await ctx.store.listAudit(0, 10)).items.filter((e) => e.action === 'password.reset'),
    ).toHaveLength(1);
  });

  test('bad input: 400 field errors, never a 500', async () => {
    await setUp();
    for (const [url, payload, errors] of [
      ['/api/auth/password/reset/', {}, { email: ['This field is required.'] }],
      ['/api/auth/password/reset/', { email: 'not-an-address' }, { email: ['Enter a valid email address.'] }],
      ['/api/auth/password/reset/', { email: 42 }, { email: ['Not a valid string.'] }],
      [
        '/api/auth/password/reset/confirm/',
        {},
        { token: ['This field is required.'], new_password: ['This field is required.'] },
      ],
      [
        '/api/auth/password/reset/confirm/',
        { token: 'x', new_password: ['a'] },
        { new_password: ['Not a valid string.'] },
      ],
      [
        '/api/auth/password/reset/confirm/',
        ['token'],
        { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] },
      ],
    ] as const) {
      const response = await post(url, payload);
      expect(response.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(400);
      expect(response.json()).toEqual(errors);
    }
    const huge = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/password/reset/confirm/',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ token: 't', new_password: 'x'.repeat(50_000) }),
    });
    expect(huge.statusCode).toBe(413);
    const long = await confirm('t', 'x'.repeat(1025));
    expect(long.statusCode).toBe(400);
    expect(await resets()).toEqual([]);
  });
});

describe('rate limits', () => {
  test('the confirm route is rate limited per IP, as the request route', async () => {
    probe = outboxProbe();
    ctx = await createTestContext(
      { GATEHOUSE_PUBLIC_URL: PUBLIC_URL },
      { features: [...FEATURES, probe.feature] },
    );
    const statuses = [];
    for (let i = 0; i < 31; i++) statuses.push((await confirm('x'.repeat(43))).statusCode);
    expect(statuses.slice(0, 30).every((status) => status === 400)).toBe(true);
    expect(statuses[30]).toBe(429);
    const verify = await post('/api/auth/email/verify/', { token: 'x'.repeat(43) });
    expect(verify.statusCode).toBe(429);
  });
});
