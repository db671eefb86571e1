import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTestContext, decodePayload, type TestContext } from '../../testing/test-app.js';

/** Passes the password policy for every username and email used here. */
const STRONG = 'tangerine-kayak-42';

const ACCOUNT_KEYS = [
  'id',
  'public_id',
  'username',
  'email',
  'first_name',
  'last_name',
  'is_active',
  'is_staff',
  'is_superuser',
  'last_login',
  'created',
  'updated',
  'email_verified',
];
const SESSION_KEYS = ['id', 'created_at', 'last_used_at', 'expires_at', 'user_agent', 'ip', 'current'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const NOT_AUTHENTICATED = { detail: 'Authentication credentials were not provided.' };
const NOT_FOUND = { detail: 'Not found.' };
/** An access token of an ended session, on a protected route. */
const ACCESS_BLACKLISTED = {
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is blacklisted' }],
};
/** A refresh token of an ended session, at the token endpoints. */
const REFRESH_BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' };
const BAD_CREDENTIALS = { detail: 'No active account found with the given credentials' };
const USERNAME_TAKEN = { username: ['user with this username already exists.'] };

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
});
afterEach(() => ctx.close());

interface CallOptions {
  token?: string;
  payload?: unknown;
  headers?: Record<string, string>;
}

function call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, options: CallOptions = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  return ctx.app.inject({
    method,
    url,
    headers,
    ...(options.payload !== undefined && { payload: options.payload as Record<string, unknown> }),
  });
}

const me = (token?: string) => call('GET', '/api/users/me/', token === undefined ? {} : { token });
const refreshWith = (refresh: string) => call('POST', '/api/auth/refresh/', { payload: { refresh } });
const register = (payload: Record<string, unknown>) => call('POST', '/api/users/', { payload });

/** POST /api/auth/login/ with the given User-Agent; the pair and the session id. */
async function signIn(identifier: Record<string, string>, password = 'password1', userAgent = 'test-agent') {
  const response = await call('POST', '/api/auth/login/', {
    payload: { ...identifier, password },
    headers: { 'user-agent': userAgent },
  });
  expect(response.statusCode, response.body).toBe(200);
  const body = response.json() as { refresh: string; access: string };
  return { refresh: body.refresh, access: body.access, sessionId: String(decodePayload(body.access).sid) };
}

async function userCount(): Promise<number> {
  return (await ctx.store.listUsers()).length;
}

describe('POST /api/users/ (registration)', () => {
  test('201 with refresh, access and the account, in that order; the tokens work', async () => {
    const response = await register({
      username: 'Alice',
      email: '  Alice@Example.COM ',
      password: STRONG,
      first_name: 'Alice',
      last_name: 'Liddell',
    });
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json();
    expect(Object.keys(body)).toEqual(['refresh', 'access', 'user']);
    expect(Object.keys(body.user)).toEqual(ACCOUNT_KEYS);
    const now = ctx.clock().toISOString();
    expect(body.user).toEqual({
      id: body.user.public_id,
      public_id: expect.stringMatching(UUID),
      username: 'Alice',
      email: 'alice@example.com',
      first_name: 'Alice',
      last_name: 'Liddell',
      is_active: true,
      is_staff: false,
      is_superuser: false,
      last_login: null,
      created: now,
      updated: now,
      email_verified: false,
    });
    expect(response.body).not.toMatch(/password|argon2/);

    // The access token is a token of this account and its session.
    const account = await me(body.access);
    expect(account.statusCode).toBe(200);
    expect(account.json()).toEqual(body.user);
    const refreshed = await refreshWith(body.refresh);
    expect(refreshed.statusCode).toBe(200);
    expect(Object.keys(refreshed.json())).toEqual(['access', 'refresh']);

    const stored = await ctx.store.findUserByPublicId(body.user.id);
    expect(stored).toMatchObject({ username: 'Alice', email: 'alice@example.com', isSuperuser: false });
  });

  test('email and names are optional', async () => {
    const response = await register({ username: 'bob', password: STRONG });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().user).toMatchObject({
      username: 'bob',
      email: null,
      first_name: '',
      last_name: '',
    });
  });

  test('missing fields: 400 naming each required field', async () => {
    const response = await register({});
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      username: ['This field is required.'],
      password: ['This field is required.'],
    });
    expect(await userCount()).toBe(0);
  });

  test('weak passwords: 400 with every reason of the policy, nothing created', async () => {
    const cases: [string, string[]][] = [
      ['password1', ['This password is too common.']],
      [
        'ecila',
        [
          'The password is too similar to the username.',
          'This password is too short. It must contain at least 8 characters.',
        ],
      ],
      ['q7#Zx', ['This password is too short. It must contain at least 8 characters.']],
      ['84736251', ['This password is entirely numeric.']],
      ['alice123', ['The password is too similar to the username.', 'This password is too common.']],
    ];
    for (const [password, reasons] of cases) {
      const response = await register({ username: 'alice', email: 'alice@example.com', password });
      expect(response.statusCode, password).toBe(400);
      expect(response.json(), password).toEqual({ password: reasons });
    }
    // Similar to the email address (its local part) when the username is unlike it.
    const similar = await register({
      username: 'zed',
      email: 'margaretha@example.com',
      password: 'margareth',
    });
    expect(similar.statusCode).toBe(400);
    expect(similar.json()).toEqual({ password: ['The password is too similar to the email address.'] });
    expect(await userCount()).toBe(0);
  });

  test('a taken username, in any case or width, is refused', async () => {
    await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    const variants = ['alice', 'ALICE', 'Alice', 'ａｌｉｃｅ', 'ＡＬＩＣＥ', ' alice '];
    for (const [index, username] of variants.entries()) {
      const response = await register({ username, email: `other${index}@example.com`, password: STRONG });
      expect(response.statusCode, username).toBe(400);
      expect(response.json(), username).toEqual(USERNAME_TAKEN);
    }
    expect(await userCount()).toBe(1);
  });

  test('a taken email, in any case, is refused', async () => {
    await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    for (const email of ['alice@example.com', 'Alice@EXAMPLE.com', ' ALICE@example.com']) {
      const response = await register({ username: 'bob', email, password: STRONG });
      expect(response.statusCode, email).toBe(400);
      expect(response.json(), email).toEqual({ email: ['user with this email already exists.'] });
    }
    const both = await register({ username: 'Alice', email: 'alice@example.com', password: STRONG });
    expect(both.json()).toEqual({ ...USERNAME_TAKEN, email: ['user with this email already exists.'] });
    expect(await userCount()).toBe(1);
  });

  test('mass assignment: roles, ids and state in the body are ignored', async () => {
    const forgedId = '00000000-0000-4000-8000-000000000000';
    const response = await register({
      username: 'mallory',
      password: STRONG,
      is_superuser: true,
      is_staff: true,
      is_active: false,
      id: forgedId,
      public_id: forgedId,
      last_login: '2000-01-01T00:00:00.000Z',
    });
    expect(response.statusCode, response.body).toBe(201);
    const { user } = response.json();
    expect(user).toMatchObject({ is_superuser: false, is_staff: false, is_active: true, last_login: null });
    expect(user.id).not.toBe(forgedId);
    expect(user.public_id).not.toBe(forgedId);
    const stored = await ctx.rows.userByUsernameKey('mallory');
    expect(stored).toMatchObject({ isSuperuser: false, isStaff: false, isActive: true });
    expect(await ctx.store.findUserByPublicId(forgedId)).toBeUndefined();
  });

  test('a __proto__ or constructor key is refused with 400, nothing created', async () => {
    const bodies = [
      `{"username":"eve","password":"${STRONG}","__proto__":{"is_superuser":true}}`,
      `{"username":"eve","password":"${STRONG}","constructor":{"prototype":{"is_superuser":true}}}`,
    ];
    for (const payload of bodies) {
      const response = await ctx.app.inject({
        method: 'POST',
        url: '/api/users/',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode, payload).toBe(400);
      expect(response.json(), payload).toEqual({
        detail: 'JSON parse error - Object contains forbidden prototype property',
      });
    }
    const form = await ctx.app.inject({
      method: 'POST',
      url: '/api/users/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `username=eve&password=${STRONG}&__proto__=x`,
    });
    expect(form.statusCode).toBe(400);
    expect(form.json()).toEqual({ detail: 'Form parse error - forbidden field name "__proto__"' });
    expect(await userCount()).toBe(0);
    expect(({} as Record<string, unknown>).is_superuser).toBeUndefined();
  });

  test('50 concurrent registrations of one username create exactly one account', async () => {
    // Uniqueness under concurrency, not the per-IP registration limit, is what is tested here.
    await ctx.close();
    ctx = await createTestContext({ GATEHOUSE_RATE_LIMITS: 'false' });
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        register({ username: index % 2 === 0 ? 'racer' : 'RACER', password: STRONG }),
      ),
    );
    const created = responses.filter((response) => response.statusCode === 201);
    const refused = responses.filter((response) => response.statusCode === 400);
    expect(created).toHaveLength(1);
    expect(refused).toHaveLength(49);
    for (const response of refused) expect(response.json()).toEqual(USERNAME_TAKEN);
    expect(await userCount()).toBe(1);
    // The winner's tokens are the account's.
    expect((await me(created[0]?.json().access)).statusCode).toBe(200);
  });

  test('405 with Allow for other methods', async () => {
    const response = await call('PUT', '/api/users/', { payload: {} });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, POST, HEAD, OPTIONS');
    expect(response.json()).toEqual({ detail: 'Method "PUT" not allowed.' });
  });
});

describe('POST /api/auth/login/', () => {
  test('with the username or the email of an own account, in any case', async () => {
    const registered = await register({ username: 'Carol', email: 'carol@example.com', password: STRONG });
    expect(registered.statusCode).toBe(201);
    const { user } = registered.json();
    for (const identifier of [
      { username: 'Carol' },
      { username: 'carol' },
      { email: 'carol@example.com' },
      { email: 'CAROL@Example.com' },
      { username: 'carol@example.com' },
    ]) {
      const response = await call('POST', '/api/auth/login/', {
        payload: { ...identifier, password: STRONG },
      });
      expect(response.statusCode, JSON.stringify(identifier)).toBe(200);
      const body = response.json();
      expect(Object.keys(body)).toEqual(['refresh', 'access', 'user']);
      // last_login aside (see below), the account as registration showed it.
      expect({ ...body.user, last_login: null }).toEqual(user);
      expect((await me(body.access)).json().username).toBe('Carol');
    }
  });

  test("the answer's account shows the login just recorded (last_login)", async () => {
    await ctx.createUser({ username: 'carol', email: 'carol@example.com' });
    const response = await call('POST', '/api/auth/login/', {
      payload: { username: 'carol', password: 'password1' },
    });
    expect(response.statusCode).toBe(200);
    const { user, access } = response.json();
    expect((await me(access)).json().last_login).toBe(ctx.clock().toISOString());
    expect(user.last_login).toBe(ctx.clock().toISOString());
  });

  test('a wrong password or unknown account: 401', async () => {
    await ctx.createUser({ username: 'carol', email: 'carol@example.com' });
    for (const payload of [
      { username: 'carol', password: 'wrong-password' },
      { email: 'carol@example.com', password: 'wrong-password' },
      { username: 'nobody', password: 'password1' },
    ]) {
      const response = await call('POST', '/api/auth/login/', { payload });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual(BAD_CREDENTIALS);
    }
  });
});

describe('/api/users/me/', () => {
  let alice: { refresh: string; access: string; sessionId: string };
  let bob: { refresh: string; access: string; sessionId: string };
  beforeEach(async () => {
    await ctx.createUser({ username: 'alice', email: 'alice@example.com', firstName: 'Alice' });
    await ctx.createUser({ username: 'bob', email: 'bob@example.com', firstName: 'Bob' });
    alice = await signIn({ username: 'alice' });
    bob = await signIn({ username: 'bob' });
  });

  test('GET: 401 without a token; each user sees only their own account', async () => {
    const anonymous = await me();
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toEqual(NOT_AUTHENTICATED);

    const own = await me(alice.access);
    expect(own.statusCode).toBe(200);
    expect(Object.keys(own.json())).toEqual(ACCOUNT_KEYS);
    expect(own.json()).toMatchObject({ username: 'alice', email: 'alice@example.com', first_name: 'Alice' });
    expect((await me(bob.access)).json()).toMatchObject({ username: 'bob', email: 'bob@example.com' });
  });

  test('PATCH changes the names only; email, username and roles in the body are ignored', async () => {
    ctx.clock.advance(10);
    const response = await call('PATCH', '/api/users/me/', {
      token: alice.access,
      payload: {
        first_name: 'Alicia',
        last_name: 'Liddell',
        email: 'evil@example.com',
        username: 'root',
        is_superuser: true,
        is_staff: true,
        is_active: false,
        email_verified: true,
      },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      username: 'alice',
      email: 'alice@example.com',
      first_name: 'Alicia',
      last_name: 'Liddell',
      is_active: true,
      is_staff: false,
      is_superuser: false,
      email_verified: false,
      updated: ctx.clock().toISOString(),
    });
    expect((await me(alice.access)).json()).toEqual(response.json());
    expect(await ctx.rows.userByUsernameKey('alice')).toMatchObject({
      firstName: 'Alicia',
      lastName: 'Liddell',
      email: 'alice@example.com',
      isSuperuser: false,
      isStaff: false,
    });
    // Only a last name: the first name stays.
    const partial = await call('PATCH', '/api/users/me/', {
      token: alice.access,
      payload: { last_name: 'L.' },
    });
    expect(partial.json()).toMatchObject({ first_name: 'Alicia', last_name: 'L.' });
    // Bob is untouched.
    expect((await me(bob.access)).json()).toMatchObject({
      username: 'bob',
      first_name: 'Bob',
      last_name: '',
    });
  });

  test.each([
    ['no password (a provider or a passkey made it)', null],
    ["Django's unusable password", '!unusable'],
  ])(
    'DELETE of an account with %s: a recent sign-in confirms it, an older one is asked to sign in again',
    async (_label, hash) => {
      for (const key of ['alice', 'bob']) {
        await ctx.rows.all(
          `update users set password_hash = ${hash === null ? 'null' : `'${hash}'`} where username_key = '${key}'`,
        );
      }
      // Alice signed in a moment ago: that confirms it.
      const deleted = await call('DELETE', '/api/users/me/', { token: alice.access, payload: {} });
      expect(deleted.statusCode, deleted.body).toBe(204);
      expect(await ctx.rows.userByUsernameKey('alice')).toBeUndefined();

      // Bob's sign-in is older than the window: no password to ask, so a new sign-in.
      ctx.clock.advance(ctx.config.sessions.reauthenticationWindow + 1);
      const stale = await call('DELETE', '/api/users/me/', {
        token: (await call('POST', '/api/auth/refresh/', { payload: { refresh: bob.refresh } })).json()
          .access,
        payload: {},
      });
      expect(stale.statusCode).toBe(403);
      expect(stale.json()).toMatchObject({ code: 'reauthentication_required' });
      expect(await ctx.rows.userByUsernameKey('bob')).toBeDefined();
    },
  );

  test('PATCH without a token: 401, nothing changed', async () => {
    const response = await call('PATCH', '/api/users/me/', { payload: { first_name: 'X' } });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(NOT_AUTHENTICATED);
    expect(await ctx.rows.userByUsernameKey('alice')).toMatchObject({ firstName: 'Alice' });
  });

  test('DELETE needs the right password; then the account is gone', async () => {
    const missing = await call('DELETE', '/api/users/me/', { token: alice.access, payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ password: ['This field is required.'] });

    const wrong = await call('DELETE', '/api/users/me/', {
      token: alice.access,
      payload: { password: 'not-my-password' },
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toEqual({ password: ['Incorrect password.'] });
    expect(await ctx.rows.userByUsernameKey('alice')).toBeDefined();

    const anonymous = await call('DELETE', '/api/users/me/', { payload: { password: 'password1' } });
    expect(anonymous.statusCode).toBe(401);

    const deleted = await call('DELETE', '/api/users/me/', {
      token: alice.access,
      payload: { password: 'password1' },
    });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expect(await ctx.rows.userByUsernameKey('alice')).toBeUndefined();

    const login = await call('POST', '/api/auth/login/', {
      payload: { username: 'alice', password: 'password1' },
    });
    expect(login.statusCode).toBe(401);
    expect(login.json()).toEqual(BAD_CREDENTIALS);
    const stale = await me(alice.access);
    expect(stale.statusCode).toBe(401);
    expect(stale.json()).toEqual({ detail: 'User not found', code: 'user_not_found' });

    const audit = await ctx.store.listAudit(0, 10);
    expect(audit.items.map((entry) => [entry.action, entry.actor, entry.target])).toEqual([
      ['account.delete', 'alice', 'alice'],
    ]);
    // Bob is untouched.
    expect((await me(bob.access)).statusCode).toBe(200);
  });

  test('405 with Allow for other methods', async () => {
    const response = await call('PUT', '/api/users/me/', { token: alice.access, payload: {} });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, PATCH, DELETE, HEAD, OPTIONS');
  });
});

describe('POST /api/users/me/password/', () => {
  const change = (token: string | undefined, payload: Record<string, unknown>) =>
    call('POST', '/api/users/me/password/', { ...(token !== undefined && { token }), payload });
  const loginStatus = async (password: string) =>
    (await call('POST', '/api/auth/login/', { payload: { username: 'alice', password } })).statusCode;

  beforeEach(async () => {
    await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    await ctx.createUser({ username: 'bob', email: 'bob@example.com' });
  });

  test('refuses a wrong current password, a weak new one, missing fields and anonymous callers', async () => {
    const current = await signIn({ username: 'alice' });
    const wrong = await change(current.access, { current_password: 'nope-nope', new_password: STRONG });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toEqual({
      current_password: ['Your old password was entered incorrectly. Please enter it again.'],
    });

    const weak = await change(current.access, { current_password: 'password1', new_password: 'alice123' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json()).toEqual({
      new_password: ['The password is too similar to the username.', 'This password is too common.'],
    });
    const short = await change(current.access, { current_password: 'password1', new_password: 'q7#Zx' });
    expect(short.json()).toEqual({
      new_password: ['This password is too short. It must contain at least 8 characters.'],
    });

    const missing = await change(current.access, {});
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({
      current_password: ['This field is required.'],
      new_password: ['This field is required.'],
    });

    const anonymous = await change(undefined, { current_password: 'password1', new_password: STRONG });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toEqual(NOT_AUTHENTICATED);

    expect(await loginStatus('password1')).toBe(200);
    expect((await ctx.store.listAudit(0, 10)).count).toBe(0);
  });

  test('success: 204; the new password works; this session lives on, every other one ends', async () => {
    const current = await signIn({ username: 'alice' }, 'password1', 'laptop');
    const other = await signIn({ username: 'alice' }, 'password1', 'phone');
    const third = await signIn({ username: 'alice' }, 'password1', 'tablet');
    const bob = await signIn({ username: 'bob' });

    const response = await change(current.access, { current_password: 'password1', new_password: STRONG });
    expect(response.statusCode, response.body).toBe(204);
    expect(response.body).toBe('');

    expect(await loginStatus('password1')).toBe(401);
    expect(await loginStatus(STRONG)).toBe(200);

    // The caller's own session keeps working, access and refresh.
    expect((await me(current.access)).statusCode).toBe(200);
    expect((await refreshWith(current.refresh)).statusCode).toBe(200);

    // Every other session is ended.
    for (const ended of [other, third]) {
      const access = await me(ended.access);
      expect(access.statusCode).toBe(401);
      expect(access.json()).toEqual(ACCESS_BLACKLISTED);
      const refreshed = await refreshWith(ended.refresh);
      expect(refreshed.statusCode).toBe(401);
      expect(refreshed.json()).toEqual(REFRESH_BLACKLISTED);
    }
    // Another user's session is untouched.
    expect((await me(bob.access)).statusCode).toBe(200);

    const audit = await ctx.store.listAudit(0, 10);
    expect(audit.count).toBe(1);
    expect(audit.items[0]).toMatchObject({
      action: 'password.change',
      actor: 'alice',
      target: 'alice',
      detail: { sessions_ended: 2 },
      ip: '127.0.0.1',
    });
  });

  test('405 with Allow for other methods', async () => {
    const response = await call('GET', '/api/users/me/password/');
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('POST, OPTIONS');
  });
});

describe('/api/users/me/sessions/', () => {
  beforeEach(async () => {
    await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    await ctx.createUser({ username: 'bob', email: 'bob@example.com' });
  });

  test("lists the caller's open sessions, the caller's own marked current", async () => {
    const firefox = await signIn({ username: 'alice' }, 'password1', 'Mozilla/5.0 Firefox/130.0');
    const firstLogin = ctx.clock();
    ctx.clock.advance(5);
    const curl = await signIn({ email: 'alice@example.com' }, 'password1', 'curl/8.5.0');
    const secondLogin = ctx.clock();
    const bob = await signIn({ username: 'bob' }, 'password1', 'bob-agent');

    const session = (id: string, at: Date, userAgent: string, current: boolean) => ({
      id,
      created_at: at.toISOString(),
      last_used_at: at.toISOString(),
      expires_at: new Date(at.getTime() + 86400 * 1000).toISOString(),
      user_agent: userAgent,
      ip: '127.0.0.1',
      current,
    });

    const response = await call('GET', '/api/users/me/sessions/', { token: firefox.access });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.map((entry: object) => Object.keys(entry))).toEqual([SESSION_KEYS, SESSION_KEYS]);
    // Most recently used first.
    expect(body).toEqual([
      session(curl.sessionId, secondLogin, 'curl/8.5.0', false),
      session(firefox.sessionId, firstLogin, 'Mozilla/5.0 Firefox/130.0', true),
    ]);

    const fromCurl = (await call('GET', '/api/users/me/sessions/', { token: curl.access })).json();
    expect(fromCurl.map((entry: { current: boolean }) => entry.current)).toEqual([true, false]);

    // Bob sees only his own.
    const bobs = (await call('GET', '/api/users/me/sessions/', { token: bob.access })).json();
    expect(bobs).toEqual([session(bob.sessionId, secondLogin, 'bob-agent', true)]);

    const anonymous = await call('GET', '/api/users/me/sessions/');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toEqual(NOT_AUTHENTICATED);
  });

  test('with ?page= or ?page_size=: one page in the paged shape; without: the plain array, as the web app reads it', async () => {
    const opened = [];
    for (let i = 0; i < 3; i++) {
      opened.push(await signIn({ username: 'alice' }, 'password1', `agent-${i}`));
      ctx.clock.advance(1);
    }
    await signIn({ username: 'bob' });
    const [oldest, middle, newest] = opened.map((session) => session.sessionId);
    const token = opened[0]?.access ?? '';
    const ids = (entries: { id: string }[]) => entries.map((entry) => entry.id);

    const plain = await call('GET', '/api/users/me/sessions/', { token });
    expect(ids(plain.json())).toEqual([newest, middle, oldest]);

    const first = (await call('GET', '/api/users/me/sessions/?page_size=2', { token })).json();
    expect(first).toEqual({
      count: 3,
      next: '/api/users/me/sessions/?page_size=2&page=2',
      previous: null,
      results: [
        expect.objectContaining({ id: newest, current: false }),
        expect.objectContaining({ id: middle, current: false }),
      ],
    });
    expect(first.results.map((entry: object) => Object.keys(entry))).toEqual([SESSION_KEYS, SESSION_KEYS]);
    const second = (await call('GET', first.next, { token })).json();
    expect(second).toEqual({
      count: 3,
      next: null,
      previous: '/api/users/me/sessions/?page_size=2&page=1',
      results: [expect.objectContaining({ id: oldest, current: true })],
    });
    // ?page= alone: pages of the default size (20).
    const byPage = (await call('GET', '/api/users/me/sessions/?page=1', { token })).json();
    expect({ count: byPage.count, ids: ids(byPage.results) }).toEqual({
      count: 3,
      ids: [newest, middle, oldest],
    });

    for (const query of ['page=x', 'page_size=', 'page=-1']) {
      const response = await call('GET', `/api/users/me/sessions/?${query}`, { token });
      expect(response.statusCode, query).toBe(400);
    }
  });

  test("DELETE ends one of the caller's sessions: its tokens stop working", async () => {
    const mine = await signIn({ username: 'alice' }, 'password1', 'laptop');
    const other = await signIn({ username: 'alice' }, 'password1', 'phone');

    const response = await call('DELETE', `/api/users/me/sessions/${other.sessionId}/`, {
      token: mine.access,
    });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');

    const access = await me(other.access);
    expect(access.statusCode).toBe(401);
    expect(access.json()).toEqual(ACCESS_BLACKLISTED);
    const refreshed = await refreshWith(other.refresh);
    expect(refreshed.statusCode).toBe(401);
    expect(refreshed.json()).toEqual(REFRESH_BLACKLISTED);

    expect((await me(mine.access)).statusCode).toBe(200);
    const listed = (await call('GET', '/api/users/me/sessions/', { token: mine.access })).json();
    expect(listed.map((entry: { id: string }) => entry.id)).toEqual([mine.sessionId]);

    // Already ended: 404.
    const again = await call('DELETE', `/api/users/me/sessions/${other.sessionId}/`, { token: mine.access });
    expect(again.statusCode).toBe(404);
    expect(again.json()).toEqual(NOT_FOUND);
  });

  test("an unknown session or another user's session: 404, and it keeps working", async () => {
    const alice = await signIn({ username: 'alice' });
    const bob = await signIn({ username: 'bob' });
    for (const id of [bob.sessionId, '00000000-0000-4000-8000-000000000000', 'not-a-session']) {
      const response = await call('DELETE', `/api/users/me/sessions/${id}/`, { token: alice.access });
      expect(response.statusCode, id).toBe(404);
      expect(response.json(), id).toEqual(NOT_FOUND);
    }
    expect((await me(bob.access)).statusCode).toBe(200);
    expect((await refreshWith(bob.refresh)).statusCode).toBe(200);

    const anonymous = await call('DELETE', `/api/users/me/sessions/${bob.sessionId}/`);
    expect(anonymous.statusCode).toBe(401);
    expect((await me(bob.access)).statusCode).toBe(200);
  });
});

describe('GATEHOUSE_MAX_SESSIONS_PER_USER', () => {
  test('a login beyond the limit ends the least recently used session: its tokens are refused as after logout', async () => {
    await ctx.close();
    ctx = await createTestContext({ GATEHOUSE_MAX_SESSIONS_PER_USER: '2' });
    await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    await ctx.createUser({ username: 'bob', email: 'bob@example.com' });
    const oldest = await signIn({ username: 'alice' }, 'password1', 'oldest');
    ctx.clock.advance(1);
    const middle = await signIn({ username: 'alice' }, 'password1', 'middle');
    ctx.clock.advance(1);
    const bob = await signIn({ username: 'bob' });
    ctx.clock.advance(1);
    const newest = await signIn({ username: 'alice' }, 'password1', 'newest');

    const access = await me(oldest.access);
    expect(access.statusCode).toBe(401);
    expect(access.json()).toEqual(ACCESS_BLACKLISTED);
    const refreshed = await refreshWith(oldest.refresh);
    expect(refreshed.statusCode).toBe(401);
    expect(refreshed.json()).toEqual(REFRESH_BLACKLISTED);

    for (const kept of [middle, newest, bob]) expect((await me(kept.access)).statusCode).toBe(200);
    const listed = (await call('GET', '/api/users/me/sessions/', { token: newest.access })).json();
    expect(listed.map((entry: { id: string }) => entry.id)).toEqual([newest.sessionId, middle.sessionId]);
  });
});

describe('POST /api/auth/logout/', () => {
  beforeEach(async () => {
    await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
  });

  test('200 {}; then the session is over; a second logout is refused', async () => {
    const session = await signIn({ username: 'alice' });
    const other = await signIn({ username: 'alice' });

    const response = await call('POST', '/api/auth/logout/', { payload: { refresh: session.refresh } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({});

    const access = await me(session.access);
    expect(access.statusCode).toBe(401);
    expect(access.json()).toEqual(ACCESS_BLACKLISTED);
    const refreshed = await refreshWith(session.refresh);
    expect(refreshed.statusCode).toBe(401);
    expect(refreshed.json()).toEqual(REFRESH_BLACKLISTED);

    const again = await call('POST', '/api/auth/logout/', { payload: { refresh: session.refresh } });
    expect(again.statusCode).toBe(401);
    expect(again.json()).toEqual(REFRESH_BLACKLISTED);

    // Only that session ended.
    expect((await me(other.access)).statusCode).toBe(200);
  });

  test('a missing, malformed or access token: refused', async () => {
    const session = await signIn({ username: 'alice' });
    const missing = await call('POST', '/api/auth/logout/', { payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ refresh: ['This field is required.'] });

    const garbage = await call('POST', '/api/auth/logout/', { payload: { refresh: 'not.a.token' } });
    expect(garbage.statusCode).toBe(401);
    expect(garbage.json()).toEqual({ detail: 'Token is invalid or expired', code: 'token_not_valid' });

    const access = await call('POST', '/api/auth/logout/', { payload: { refresh: session.access } });
    expect(access.statusCode).toBe(401);
    expect(access.json()).toEqual({ detail: 'Token has wrong type', code: 'token_not_valid' });
    expect((await me(session.access)).statusCode).toBe(200);
  });
});

describe('POST /api/auth/logout-all/', () => {
  beforeEach(async () => {
    await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    await ctx.createUser({ username: 'bob', email: 'bob@example.com' });
  });

  test('ends every session of the caller, their own included', async () => {
    const sessions = [
      await signIn({ username: 'alice' }),
      await signIn({ username: 'alice' }),
      await signIn({ username: 'alice' }),
    ];
    const bob = await signIn({ username: 'bob' });
    // An already ended session is not counted.
    await call('POST', '/api/auth/logout/', {
      payload: { refresh: (await signIn({ username: 'alice' })).refresh },
    });

    const response = await call('POST', '/api/auth/logout-all/', { token: sessions[0]?.access ?? '' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ sessions_ended: 3 });

    for (const session of sessions) {
      const access = await me(session.access);
      expect(access.statusCode).toBe(401);
      expect(access.json()).toEqual(ACCESS_BLACKLISTED);
      const refreshed = await refreshWith(session.refresh);
      expect(refreshed.statusCode).toBe(401);
      expect(refreshed.json()).toEqual(REFRESH_BLACKLISTED);
    }
    expect((await me(bob.access)).statusCode).toBe(200);

    const audit = await ctx.store.listAudit(0, 10);
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({
      action: 'sessions.logout_everywhere',
      actor: 'alice',
      target: 'alice',
      detail: { sessions_ended: 3 },
    });

    // A new login works.
    expect((await me((await signIn({ username: 'alice' })).access)).statusCode).toBe(200);
  });

  test('401 without a token', async () => {
    const response = await call('POST', '/api/auth/logout-all/');
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(NOT_AUTHENTICATED);
  });
});

describe('GET /api/users/me/events/', () => {
  /** root (a superuser, from 198.51.100.7) ends one of alice's sessions; alice changes her password. */
  async function adminAndOwnEvents(): Promise<{ access: string; admin: string }> {
    const alice = await ctx.createUser({ username: 'alice' });
    await ctx.createUser({ username: 'root', isSuperuser: true, isStaff: true });
    const login = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/login/',
      remoteAddress: '198.51.100.7',
      payload: { username: 'root', password: 'password1' },
    });
    const admin = login.json().access as string;
    const session = await signIn({ username: 'alice' });
    const ended = await ctx.app.inject({
      method: 'DELETE',
      url: `/api/users/${alice.publicId}/sessions/${session.sessionId}/`,
      remoteAddress: '198.51.100.7',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(ended.statusCode).toBe(204);
    const own = await signIn({ username: 'alice' });
    const changed = await call('POST', '/api/users/me/password/', {
      token: own.access,
      payload: { current_password: 'password1', new_password: STRONG },
    });
    expect(changed.statusCode, changed.body).toBe(204);
    return { access: own.access, admin };
  }

  test("GATEHOUSE_EVENTS_SHOW_ACTOR=false: an administrator's name is hidden too, the user's own is not", async () => {
    await ctx.close();
    ctx = await createTestContext({ GATEHOUSE_EVENTS_SHOW_ACTOR: 'false' });
    const { access, admin } = await adminAndOwnEvents();
    const events = await call('GET', '/api/users/me/events/', { token: access });
    expect(events.statusCode).toBe(200);
    const results = events.json().results as { actor: string; ip: string }[];
    expect(results.map(({ actor, ip }) => ({ actor, ip }))).toEqual([
      { actor: 'alice', ip: '127.0.0.1' },
      { actor: '', ip: '' },
    ]);
    expect(events.body).not.toContain('root');
    // The administrators' own log still says who did it, from where.
    const log = await ctx.app.inject({
      url: '/api/audit-log/',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect((log.json().results as { actor: string }[]).map(({ actor }) => actor)).toEqual(['alice', 'root']);
  });

  test("an administrator's address is not shown to the user; the user's own is, and admins see both", async () => {
    const alice = await ctx.createUser({ username: 'alice' });
    await ctx.createUser({ username: 'root', isSuperuser: true, isStaff: true });
    const fromAdminDesk = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
      ctx.app.inject({ method, url, remoteAddress: '198.51.100.7', ...(payload && { payload }) });
    const login = await fromAdminDesk('POST', '/api/auth/login/', {
      username: 'root',
      password: 'password1',
    });
    const admin = login.json().access as string;
    const session = await signIn({ username: 'alice' });
    const ended = await ctx.app.inject({
      method: 'DELETE',
      url: `/api/users/${alice.publicId}/sessions/${session.sessionId}/`,
      remoteAddress: '198.51.100.7',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(ended.statusCode).toBe(204);
    const own = await signIn({ username: 'alice' });
    const changed = await call('POST', '/api/users/me/password/', {
      token: own.access,
      payload: { current_password: 'password1', new_password: STRONG },
    });
    expect(changed.statusCode, changed.body).toBe(204);

    const events = await call('GET', '/api/users/me/events/', { token: own.access });
    expect(events.statusCode).toBe(200);
    const results = events.json().results as { actor: string; action: string; ip: string }[];
    expect(results.map(({ actor, ip }) => ({ actor, ip }))).toEqual([
      { actor: 'alice', ip: '127.0.0.1' },
      { actor: 'root', ip: '' },
    ]);

    const log = await ctx.app.inject({
      url: '/api/audit-log/',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect((log.json().results as { ip: string }[]).map(({ ip }) => ip)).toEqual([
      '127.0.0.1',
      '198.51.100.7',
    ]);
  });
});
