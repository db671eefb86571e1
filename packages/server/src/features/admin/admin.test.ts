import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { User } from '../../store/users/store.js';
import { createTestContext, decodePayload, type TestContext } from '../../testing/test-app.js';

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
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

const FORBIDDEN = { detail: 'You do not have permission to perform this action.' };
const NOT_AUTHENTICATED = { detail: 'Authentication credentials were not provided.' };
const NOT_FOUND = { detail: 'Not found.' };
const SELF = { detail: 'You cannot deactivate, demote or delete your own account.' };
const BAD_CREDENTIALS = { detail: 'No active account found with the given credentials' };
const ACCESS_BLACKLISTED = {
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is blacklisted' }],
};
const REFRESH_BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' };

interface Signed {
  refresh: string;
  access: string;
  sessionId: string;
}

let ctx: TestContext;
let admin: User;
let alice: User;
let staffer: User;
let adminSession: Signed;

interface CallOptions {
  token?: string;
  payload?: Record<string, unknown>;
}

function call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, options: CallOptions = {}) {
  return ctx.app.inject({
    method,
    url,
    headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
    ...(options.payload !== undefined && { payload: options.payload }),
  });
}

/** GET as the administrator. */
const adminGet = (url: string) => call('GET', url, { token: adminSession.access });
const patchUser = (publicId: string, payload: Record<string, unknown>, token = adminSession.access) =>
  call('PATCH', `/api/users/${publicId}/`, { token, payload });
const me = (token: string) => call('GET', '/api/users/me/', { token });
const refreshWith = (refresh: string) => call('POST', '/api/auth/refresh/', { payload: { refresh } });
const loginStatus = async (username: string, password = 'password1') =>
  (await call('POST', '/api/auth/login/', { payload: { username, password } })).statusCode;

async function signIn(username: string, userAgent = 'test-agent'): Promise<Signed> {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/api/auth/login/',
    headers: { 'user-agent': userAgent },
    payload: { username, password: 'password1' },
  });
  expect(response.statusCode, response.body).toBe(200);
  const { refresh, access } = response.json() as { refresh: string; access: string };
  return { refresh, access, sessionId: String(decodePayload(access).sid) };
}

const usernames = (body: { results: { username: string }[] }) => body.results.map((user) => user.username);

beforeEach(async () => {
  ctx = await createTestContext();
  admin = await ctx.createUser({
    username: 'admin',
    email: 'admin@example.com',
    isSuperuser: true,
    isStaff: true,
  });
  ctx.clock.advance(1);
  alice = await ctx.createUser({
    username: 'alice',
    email: 'alice@example.com',
    firstName: 'Alice',
    lastName: 'Liddell',
  });
  ctx.clock.advance(1);
  staffer = await ctx.createUser({ username: 'staffer', email: 'staffer@example.com', isStaff: true });
  ctx.clock.advance(1);
  adminSession = await signIn('admin');
});
afterEach(() => ctx.close());

describe('permissions', () => {
  const routes = (target: User, sessionId: string): [string, string, Record<string, unknown>?][] => [
    ['GET', '/api/users/'],
    ['GET', '/api/users/?search=admin'],
    ['GET', `/api/users/${target.publicId}/`],
    ['PATCH', `/api/users/${target.publicId}/`, { is_active: false, is_superuser: true }],
    ['DELETE', `/api/users/${target.publicId}/`],
    ['DELETE', `/api/users/${target.publicId}/sessions/${sessionId}/`],
    ['GET', `/api/users/${target.publicId}/sessions/`],
    ['GET', `/api/users/${target.publicId}/sessions/?page=2&page_size=1`],
    ['GET', '/api/audit-log/'],
  ];

  test('a plain user and a staff user (not superuser) get 403 on every admin route', async () => {
    const aliceSession = await signIn('alice');
    const stafferSession = await signIn('staffer');
    for (const caller of [aliceSession, stafferSession]) {
      // On another account, on the administrator's and on their own.
      for (const [target, sessionId] of [
        [alice, aliceSession.sessionId],
        [admin, adminSession.sessionId],
        [staffer, stafferSession.sessionId],
      ] as const) {
        for (const [method, url, payload] of routes(target, sessionId)) {
          const response = await call(method as 'GET', url, {
            token: caller.access,
            ...(payload && { payload }),
          });
          expect(response.statusCode, `${method} ${url}`).toBe(403);
          expect(response.json(), `${method} ${url}`).toEqual(FORBIDDEN);
        }
      }
    }
    // Nothing happened.
    expect(await ctx.store.findUserByPublicId(alice.publicId)).toMatchObject({
      isActive: true,
      isSuperuser: false,
    });
    expect(await ctx.store.findUserByPublicId(admin.publicId)).toMatchObject({ isActive: true });
    expect((await me(aliceSession.access)).statusCode).toBe(200);
    expect((await me(adminSession.access)).statusCode).toBe(200);
    expect((await ctx.store.listAudit(0, 10)).count).toBe(0);
  });

  test('without a token: 401 on every admin route', async () => {
    for (const [method, url, payload] of routes(alice, adminSession.sessionId)) {
      const response = await call(method as 'GET', url, payload ? { payload } : {});
      expect(response.statusCode, `${method} ${url}`).toBe(401);
      expect(response.json(), `${method} ${url}`).toEqual(NOT_AUTHENTICATED);
    }
    expect(await ctx.store.findUserByPublicId(alice.publicId)).toMatchObject({ isActive: true });
    expect((await me(adminSession.access)).statusCode).toBe(200);
  });

  // As DRF: authentication and permissions come before the query and body are checked.
  test('an invalid query or body does not come before 401 and 403', async () => {
    const stafferSession = await signIn('staffer');
    for (const token of [undefined, stafferSession.access]) {
      const expected = token === undefined ? 401 : 403;
      const list = await call('GET', '/api/users/?page=x', token === undefined ? {} : { token });
      expect(list.statusCode).toBe(expected);
      const patch = await call('PATCH', `/api/users/${alice.publicId}/`, {
        ...(token !== undefined && { token }),
        payload: { is_active: 'no' },
      });
      expect(patch.statusCode).toBe(expected);
    }
  });

  test('a superuser demoted by another loses access at once, with the same token', async () => {
    const aliceSession = await signIn('alice');
    expect((await patchUser(alice.publicId, { is_superuser: true })).statusCode).toBe(200);
    expect((await call('GET', '/api/users/', { token: aliceSession.access })).statusCode).toBe(200);
    expect((await patchUser(alice.publicId, { is_superuser: false })).statusCode).toBe(200);
    const response = await call('GET', '/api/users/', { token: aliceSession.access });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual(FORBIDDEN);
  });
});

describe('GET /api/users/', () => {
  /** 25 more accounts, member01 (oldest) to member25 (newest), one second apart. */
  async function createMembers() {
    for (let n = 1; n <= 25; n++) {
      const number = String(n).padStart(2, '0');
      await ctx.createUser({
        username: `member${number}`,
        email: `member${number}@example.com`,
        firstName: n % 5 === 0 ? 'Quintus' : 'Member',
      });
      ctx.clock.advance(1);
    }
  }
  const members = (from: number, to: number) => {
    const names: string[] = [];
    for (let n = from; n >= to; n--) names.push(`member${String(n).padStart(2, '0')}`);
    return names;
  };

  test('paginated, most recently updated first, with relative next and previous links', async () => {
    await createMembers();

    const first = await adminGet('/api/users/?page_size=10');
    expect(first.statusCode).toBe(200);
    const page1 = first.json();
    expect(Object.keys(page1)).toEqual(['count', 'next', 'previous', 'results']);
    expect(page1).toMatchObject({ count: 28, next: '/api/users/?page_size=10&page=2', previous: null });
    expect(usernames(page1)).toEqual(members(25, 16));
    expect(Object.keys(page1.results[0])).toEqual(ACCOUNT_KEYS);
    expect(page1.results[0]).toMatchObject({
      username: 'member25',
      email: 'member25@example.com',
      first_name: 'Quintus',
      is_active: true,
      is_staff: false,
      is_superuser: false,
    });
    expect(page1.results[0].id).toBe(page1.results[0].public_id);
    expect(first.body).not.toMatch(/password|argon2/);

    const page2 = (await adminGet('/api/users/?page=2&page_size=10')).json();
    expect(page2).toMatchObject({
      count: 28,
      next: '/api/users/?page=3&page_size=10',
      previous: '/api/users/?page=1&page_size=10',
    });
    expect(usernames(page2)).toEqual(members(15, 6));

    const page3 = (await adminGet('/api/users/?page=3&page_size=10')).json();
    expect(page3).toMatchObject({ count: 28, next: null, previous: '/api/users/?page=2&page_size=10' });
    expect(usernames(page3)).toEqual([...members(5, 1), 'staffer', 'alice', 'admin']);

    // The default page size is 20; `ordering=updated` is oldest first.
    const defaults = (await adminGet('/api/users/')).json();
    expect(defaults.results).toHaveLength(20);
    expect(defaults.next).toBe('/api/users/?page=2&page_size=20');
    const oldest = (await adminGet('/api/users/?ordering=updated&page_size=4')).json();
    expect(usernames(oldest)).toEqual(['admin', 'alice', 'staffer', 'member01']);

    // An update moves an account to the front.
    ctx.clock.advance(1);
    const member = await ctx.rows.userByUsernameKey('member03');
    expect((await patchUser(member?.publicId ?? '', { is_staff: true })).statusCode).toBe(200);
    expect(usernames((await adminGet('/api/users/?page_size=2')).json())).toEqual(['member03', 'member25']);
  });

  test('search matches username, email and names, case-insensitively; links keep it', async () => {
    await createMembers();
    const search = async (term: string) => (await adminGet(`/api/users/?search=${term}`)).json();

    expect(usernames(await search('LIDDELL'))).toEqual(['alice']);
    expect(usernames(await search('aLiCe'))).toEqual(['alice']);
    expect(usernames(await search('STAFFER%40EXAMPLE'))).toEqual(['staffer']);
    expect(usernames(await search('quintus'))).toEqual([
      'member25',
      'member20',
      'member15',
      'member10',
      'member05',
    ]);
    expect((await search('member0')).count).toBe(9);
    expect((await search('nobody-matches')).count).toBe(0);
    // LIKE wildcards are literal.
    expect((await search('%25')).count).toBe(0);
    expect((await search('_')).count).toBe(0);

    const paged = (await adminGet('/api/users/?search=MEMBER&page_size=10&page=2')).json();
    expect(paged).toMatchObject({
      count: 25,
      next: '/api/users/?search=MEMBER&page_size=10&page=3',
      previous: '/api/users/?search=MEMBER&page_size=10&page=1',
    });
    expect(usernames(paged)).toEqual(members(15, 6));
  });

  test('page_size is capped at 100', async () => {
    // Accounts straight into the store: only the listing matters here.
    for (let n = 0; n < 100; n++) {
      const username = `bulk${String(n).padStart(3, '0')}`;
      const created = await ctx.store.createUser(
        { username, usernameKey: username, email: null, passwordHash: '!' },
        ctx.clock(),
      );
      expect(created.ok).toBe(true);
    }
    const body = (await adminGet('/api/users/?page_size=1000')).json();
    expect(body.count).toBe(103);
    expect(body.results).toHaveLength(100);
    expect(body.next).toBe('/api/users/?page_size=100&page=2');
    const second = (await adminGet('/api/users/?page_size=1000&page=2')).json();
    expect(second.results).toHaveLength(3);
    expect(second.previous).toBe('/api/users/?page_size=100&page=1');
  });

  test('a page or page size that is not a number: 400', async () => {
    for (const query of ['page=x', 'page_size=x', 'page=-1', 'page=1.5', 'ordering=username']) {
      const response = await adminGet(`/api/users/?${query}`);
      expect(response.statusCode, query).toBe(400);
      const field = query.split('=')[0] ?? '';
      expect(response.json(), query).toEqual({ [field]: ['Invalid value.'] });
    }
    const long = await adminGet(`/api/users/?search=${'a'.repeat(101)}`);
    expect(long.statusCode).toBe(400);
    expect(long.json()).toEqual({ search: ['Ensure this field has no more than 100 characters.'] });
  });
});

describe('GET /api/users/<public_id>/', () => {
  test('the account with its open sessions', async () => {
    const laptop = await signIn('alice', 'laptop');
    const phone = await signIn('alice', 'phone');
    const ended = await signIn('alice', 'ended');
    await call('POST', '/api/auth/logout/', { payload: { refresh: ended.refresh } });
    await signIn('staffer');

    const response = await adminGet(`/api/users/${alice.publicId}/`);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(Object.keys(body)).toEqual([...ACCOUNT_KEYS, 'sessions', 'roles', 'groups', 'permissions']);
    expect(body).toMatchObject({
      roles: [],
      groups: [],
      permissions: [],
      id: alice.publicId,
      public_id: alice.publicId,
      username: 'alice',
      email: 'alice@example.com',
      first_name: 'Alice',
      last_name: 'Liddell',
      is_active: true,
      is_staff: false,
      is_superuser: false,
    });
    const now = ctx.clock().toISOString();
    const expires = new Date(ctx.clock().getTime() + 86400 * 1000).toISOString();
    const session = (id: string, userAgent: string) => ({
      id,
      created_at: now,
      last_used_at: now,
      expires_at: expires,
      user_agent: userAgent,
      ip: '127.0.0.1',
      current: false,
    });
    expect(body.sessions).toHaveLength(2);
    expect(body.sessions).toEqual(
      expect.arrayContaining([session(laptop.sessionId, 'laptop'), session(phone.sessionId, 'phone')]),
    );
    expect(response.body).not.toMatch(/password|argon2/);
  });

  test('unknown or malformed id: 404', async () => {
    for (const id of [UNKNOWN_ID, 'not-a-uuid', String(alice.id), alice.publicId.toUpperCase()]) {
      const response = await adminGet(`/api/users/${id}/`);
      expect(response.statusCode, id).toBe(404);
      expect(response.json(), id).toEqual(NOT_FOUND);
    }
  });
});

describe('GET /api/users/<public_id>/sessions/', () => {
  test("a user's open sessions a page at a time, most recently used first, with links", async () => {
    const opened: Signed[] = [];
    for (let i = 0; i < 5; i++) {
      opened.push(await signIn('alice', `agent-${i}`));
      ctx.clock.advance(1);
    }
    await call('POST', '/api/auth/logout/', { payload: { refresh: opened[0]?.refresh ?? '' } });
    await signIn('staffer');
    const ids = opened.map((session) => session.sessionId).reverse(); // most recent first

    const first = await adminGet(`/api/users/${alice.publicId}/sessions/?page_size=2`);
    expect(first.statusCode).toBe(200);
    const path = `/api/users/${alice.publicId}/sessions/`;
    expect(first.json()).toEqual({
      count: 4,
      next: `${path}?page_size=2&page=2`,
      previous: null,
      results: [
        expect.objectContaining({ id: ids[0], user_agent: 'agent-4', current: false }),
        expect.objectContaining({ id: ids[1], user_agent: 'agent-3', current: false }),
      ],
    });
    const second = (await adminGet(`${path}?page=2&page_size=2`)).json();
    expect(second).toMatchObject({ count: 4, next: null, previous: `${path}?page=1&page_size=2` });
    expect(second.results.map((session: { id: string }) => session.id)).toEqual([ids[2], ids[3]]);
    // The default page size (20) holds them all; the ended one is not among them.
    const all = (await adminGet(path)).json();
    expect(all.results.map((session: { id: string }) => session.id)).toEqual(ids.slice(0, 4));
    expect(Object.keys(all.results[0]).sort()).toEqual(
      ['created_at', 'current', 'expires_at', 'id', 'ip', 'last_used_at', 'user_agent'].sort(),
    );
    // Beyond the last page: an empty page.
    expect((await adminGet(`${path}?page=9&page_size=2`)).json()).toMatchObject({ count: 4, results: [] });
  });

  test('an unknown user: 404; a malformed page: 400', async () => {
    const unknown = await adminGet(`/api/users/${UNKNOWN_ID}/sessions/`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual(NOT_FOUND);
    for (const query of ['page=x', 'page_size=-1', 'page=1.5']) {
      const response = await adminGet(`/api/users/${alice.publicId}/sessions/?${query}`);
      expect(response.statusCode, query).toBe(400);
    }
  });
});

describe('PATCH /api/users/<public_id>/', () => {
  test('deactivating ends every session at once and refuses login; reactivating allows login', async () => {
    const aliceSession = await signIn('alice');
    const other = await signIn('alice');
    ctx.clock.advance(1);

    const response = await patchUser(alice.publicId, { is_active: false });
    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.json())).toEqual(ACCOUNT_KEYS);
    expect(response.json()).toMatchObject({
      username: 'alice',
      is_active: false,
      updated: ctx.clock().toISOString(),
    });

    for (const session of [aliceSession, other]) {
      const access = await me(session.access);
      expect(access.statusCode).toBe(401);
      expect(access.json()).toEqual({ detail: 'User is inactive', code: 'user_inactive' });
    }
    expect(await loginStatus('alice')).toBe(401);
    const login = await call('POST', '/api/auth/login/', {
      payload: { username: 'alice', password: 'password1' },
    });
    expect(login.json()).toEqual(BAD_CREDENTIALS);
    expect((await adminGet(`/api/users/${alice.publicId}/`)).json().sessions).toEqual([]);

    const reactivated = await patchUser(alice.publicId, { is_active: true });
    expect(reactivated.statusCode).toBe(200);
    expect(reactivated.json().is_active).toBe(true);
    expect(await loginStatus('alice')).toBe(200);
    // The ended sessions stay ended.
    expect((await me(aliceSession.access)).json()).toEqual(ACCESS_BLACKLISTED);
    expect((await refreshWith(aliceSession.refresh)).json()).toEqual(REFRESH_BLACKLISTED);
  });

  // The account's state is reported before its (also ended) sessions.
  test("a deactivated user's refresh token: 401 no_active_account", async () => {
    const aliceSession = await signIn('alice');
    expect((await patchUser(alice.publicId, { is_active: false })).statusCode).toBe(200);
    const response = await refreshWith(aliceSession.refresh);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({
      detail: 'No active account found for the given token.',
      code: 'no_active_account',
    });
  });

  test('grants and revokes staff and superuser', async () => {
    const steps: [Record<string, boolean>, { is_staff: boolean; is_superuser: boolean }][] = [
      [{ is_staff: true }, { is_staff: true, is_superuser: false }],
      [{ is_superuser: true }, { is_staff: true, is_superuser: true }],
      [{ is_staff: false }, { is_staff: false, is_superuser: true }],
      [
        { is_superuser: false, is_staff: true },
        { is_staff: true, is_superuser: false },
      ],
      [{ is_staff: false }, { is_staff: false, is_superuser: false }],
    ];
    for (const [payload, flags] of steps) {
      const response = await patchUser(alice.publicId, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(200);
      expect(response.json(), JSON.stringify(payload)).toMatchObject({ ...flags, is_active: true });
      expect(await ctx.store.findUserByPublicId(alice.publicId)).toMatchObject({
        isStaff: flags.is_staff,
        isSuperuser: flags.is_superuser,
      });
    }
    // Another superuser can be demoted.
    const demoted = await patchUser(alice.publicId, { is_superuser: true });
    expect(demoted.json().is_superuser).toBe(true);
    expect((await patchUser(alice.publicId, { is_superuser: false })).json().is_superuser).toBe(false);
  });

  test('a superuser cannot deactivate, demote or delete themself', async () => {
    for (const payload of [
      { is_active: false },
      { is_superuser: false },
      { is_staff: false, is_superuser: false },
      { is_active: false, is_superuser: true },
    ]) {
      const response = await patchUser(admin.publicId, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json(), JSON.stringify(payload)).toEqual(SELF);
    }
    const deleted = await call('DELETE', `/api/users/${admin.publicId}/`, { token: adminSession.access });
    expect(deleted.statusCode).toBe(400);
    expect(deleted.json()).toEqual(SELF);

    expect(await ctx.store.findUserByPublicId(admin.publicId)).toMatchObject({
      isActive: true,
      isStaff: true,
      isSuperuser: true,
    });
    expect((await adminGet('/api/users/')).statusCode).toBe(200);
    expect((await ctx.store.listAudit(0, 10)).count).toBe(0);
  });

  test('fields other than the three flags are ignored', async () => {
    const response = await patchUser(alice.publicId, {
      username: 'mallory',
      password: 'hijacked-password-9',
      email: 'mallory@example.com',
      first_name: 'Mal',
      id: UNKNOWN_ID,
      is_staff: true,
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      id: alice.publicId,
      username: 'alice',
      email: 'alice@example.com',
      first_name: 'Alice',
      is_staff: true,
    });
    expect(await loginStatus('alice')).toBe(200);
    expect(await loginStatus('alice', 'hijacked-password-9')).toBe(401);
    expect(await loginStatus('mallory', 'hijacked-password-9')).toBe(401);
  });

  test('an unknown account: 404; a flag that is not a boolean: 400', async () => {
    for (const id of [UNKNOWN_ID, 'not-a-uuid']) {
      const response = await patchUser(id, { is_staff: true });
      expect(response.statusCode, id).toBe(404);
      expect(response.json(), id).toEqual(NOT_FOUND);
    }
    const invalid = await patchUser(alice.publicId, { is_active: 'no', is_staff: 1 });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toEqual({
      is_active: ['Must be a valid boolean.'],
      is_staff: ['Must be a valid boolean.'],
    });
    expect(await ctx.store.findUserByPublicId(alice.publicId)).toMatchObject({
      isActive: true,
      isStaff: false,
    });
  });
});

describe('DELETE /api/users/<public_id>/ and its sessions', () => {
  test('deleting an account: 204, then 404; its tokens and login stop working', async () => {
    const aliceSession = await signIn('alice');
    const response = await call('DELETE', `/api/users/${alice.publicId}/`, { token: adminSession.access });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');

    for (const method of ['GET', 'DELETE'] as const) {
      const after = await call(method, `/api/users/${alice.publicId}/`, { token: adminSession.access });
      expect(after.statusCode, method).toBe(404);
      expect(after.json(), method).toEqual(NOT_FOUND);
    }
    expect((await patchUser(alice.publicId, { is_staff: true })).statusCode).toBe(404);
    expect((await me(aliceSession.access)).json()).toEqual({
      detail: 'User not found',
      code: 'user_not_found',
    });
    expect(await loginStatus('alice')).toBe(401);
    expect(usernames((await adminGet('/api/users/')).json())).toEqual(['staffer', 'admin']);
  });

  test("ending one of a user's sessions: 204 and its tokens stop working", async () => {
    const laptop = await signIn('alice', 'laptop');
    const phone = await signIn('alice', 'phone');
    const url = `/api/users/${alice.publicId}/sessions/${laptop.sessionId}/`;

    const response = await call('DELETE', url, { token: adminSession.access });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    const access = await me(laptop.access);
    expect(access.statusCode).toBe(401);
    expect(access.json()).toEqual(ACCESS_BLACKLISTED);
    const refreshed = await refreshWith(laptop.refresh);
    expect(refreshed.statusCode).toBe(401);
    expect(refreshed.json()).toEqual(REFRESH_BLACKLISTED);

    expect((await me(phone.access)).statusCode).toBe(200);
    const sessions = (await adminGet(`/api/users/${alice.publicId}/`)).json().sessions;
    expect(sessions.map((session: { id: string }) => session.id)).toEqual([phone.sessionId]);

    // Already ended.
    const again = await call('DELETE', url, { token: adminSession.access });
    expect(again.statusCode).toBe(404);
    expect(again.json()).toEqual(NOT_FOUND);
  });

  test("an unknown session, another user's session or an unknown user: 404", async () => {
    const aliceSession = await signIn('alice');
    const stafferSession = await signIn('staffer');
    for (const url of [
      `/api/users/${alice.publicId}/sessions/${UNKNOWN_ID}/`,
      `/api/users/${alice.publicId}/sessions/${stafferSession.sessionId}/`,
      `/api/users/${UNKNOWN_ID}/sessions/${aliceSession.sessionId}/`,
      `/api/users/not-a-uuid/sessions/${aliceSession.sessionId}/`,
    ]) {
      const response = await call('DELETE', url, { token: adminSession.access });
      expect(response.statusCode, url).toBe(404);
      expect(response.json(), url).toEqual(NOT_FOUND);
    }
    expect((await me(aliceSession.access)).statusCode).toBe(200);
    expect((await me(stafferSession.access)).statusCode).toBe(200);
    expect((await ctx.store.listAudit(0, 10)).count).toBe(0);
  });
});

describe('GET /api/audit-log/', () => {
  test('every administrative change, newest first, with actor, target, ip and time', async () => {
    await signIn('alice');
    await signIn('alice');
    const at: string[] = [];
    const step = async (action: () => Promise<{ statusCode: number }>, status = 200) => {
      ctx.clock.advance(1);
      at.push(ctx.clock().toISOString());
      expect((await action()).statusCode).toBe(status);
    };

    await step(() => patchUser(alice.publicId, { is_active: false }));
    await step(() => patchUser(alice.publicId, { is_active: true }));
    await step(() => patchUser(alice.publicId, { is_staff: true, is_superuser: true }));
    await step(() => patchUser(alice.publicId, { is_staff: false }));
    await step(() => patchUser(alice.publicId, { is_superuser: false }));
    const session = await signIn('alice');
    await step(
      () =>
        call('DELETE', `/api/users/${alice.publicId}/sessions/${session.sessionId}/`, {
          token: adminSession.access,
        }),
      204,
    );
    // No change, refusals and failures are not recorded.
    await patchUser(staffer.publicId, { is_staff: true, is_active: true });
    await patchUser(admin.publicId, { is_superuser: false });
    await patchUser(UNKNOWN_ID, { is_staff: true });
    await call('PATCH', `/api/users/${alice.publicId}/`, {
      token: (await signIn('staffer')).access,
      payload: { is_active: false },
    });
    await step(() => call('DELETE', `/api/users/${alice.publicId}/`, { token: adminSession.access }), 204);

    const response = await adminGet('/api/audit-log/');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(Object.keys(body)).toEqual(['count', 'next', 'previous', 'results']);
    expect(body).toMatchObject({ count: 8, next: null, previous: null });
    const entry = (action: string, time: string | undefined, detail: Record<string, unknown> = {}) => ({
      id: expect.any(Number),
      at: time,
      actor: 'admin',
      action,
      target: 'alice',
      detail,
      ip: '127.0.0.1',
    });
    expect(body.results).toEqual([
      entry('user.delete', at[6], { email: 'alice@example.com' }),
      entry('session.revoke', at[5], { session: session.sessionId }),
      entry('user.revoke_superuser', at[4]),
      entry('user.revoke_staff', at[3]),
      entry('user.grant_superuser', at[2]),
      entry('user.grant_staff', at[2]),
      entry('user.activate', at[1]),
      entry('user.deactivate', at[0], { sessions_ended: 2 }),
    ]);
    for (const result of body.results) expect(Object.keys(result)).toEqual(Object.keys(entry('', '')));
    const ids = body.results.map((result: { id: number }) => result.id);
    expect(ids).toEqual([...ids].sort((a: number, b: number) => b - a));

    const page1 = (await adminGet('/api/audit-log/?page_size=3')).json();
    expect(page1).toMatchObject({ count: 8, next: '/api/audit-log/?page_size=3&page=2', previous: null });
    expect(page1.results.map((result: { action: string }) => result.action)).toEqual([
      'user.delete',
      'session.revoke',
      'user.revoke_superuser',
    ]);
    const page3 = (await adminGet('/api/audit-log/?page=3&page_size=3')).json();
    expect(page3).toMatchObject({ count: 8, next: null, previous: '/api/audit-log/?page=2&page_size=3' });
    expect(page3.results.map((result: { action: string }) => result.action)).toEqual([
      'user.activate',
      'user.deactivate',
    ]);
  });

  test('the default page size is 50; a bad page is 400', async () => {
    for (let n = 0; n < 55; n++) {
      await ctx.rows.insertAudit({
        at: ctx.clock(),
        actorId: admin.id,
        actor: 'admin',
        action: 'user.grant_staff',
        targetId: alice.id,
        target: 'alice',
        detail: { n },
        ip: '127.0.0.1',
      });
    }
    const body = (await adminGet('/api/audit-log/')).json();
    expect(body.count).toBe(55);
    expect(body.results).toHaveLength(50);
    expect(body.results[0].detail).toEqual({ n: 54 });
    expect(body.next).toBe('/api/audit-log/?page=2&page_size=50');
    const bad = await adminGet('/api/audit-log/?page=x');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ page: ['Invalid value.'] });
  });
});

describe('wrong methods', () => {
  test('405 with the Allow header of each path', async () => {
    const cases: ['GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', string, string][] = [
      ['PUT', `/api/users/${alice.publicId}/`, 'GET, PATCH, DELETE, HEAD, OPTIONS'],
      ['POST', `/api/users/${alice.publicId}/`, 'GET, PATCH, DELETE, HEAD, OPTIONS'],
      ['PATCH', '/api/users/', 'GET, POST, HEAD, OPTIONS'],
      ['DELETE', '/api/users/', 'GET, POST, HEAD, OPTIONS'],
      ['GET', `/api/users/${alice.publicId}/sessions/${adminSession.sessionId}/`, 'DELETE, OPTIONS'],
      ['POST', `/api/users/${alice.publicId}/sessions/`, 'GET, HEAD, OPTIONS'],
      ['DELETE', `/api/users/${alice.publicId}/sessions/`, 'GET, HEAD, OPTIONS'],
      ['POST', '/api/audit-log/', 'GET, HEAD, OPTIONS'],
    ];
    for (const [method, url, allow] of cases) {
      const response = await call(method, url, { token: adminSession.access, payload: {} });
      expect(response.statusCode, `${method} ${url}`).toBe(405);
      expect(response.headers.allow, `${method} ${url}`).toBe(allow);
      expect(response.json()).toEqual({ detail: `Method "${method}" not allowed.` });
    }
    // Nothing changed.
    expect(await ctx.store.findUserByPublicId(alice.publicId)).toBeDefined();
  });
});
