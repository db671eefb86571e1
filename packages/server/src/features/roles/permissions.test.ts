import { GATEHOUSE_PERMISSIONS } from '@gatehouse/contract';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { User } from '../../store/users/store.js';
import { assignRoles, grant, makeRole } from '../../testing/roles.js';
import { testAuditEntry } from '../../testing/store-rows.js';
import { createTestContext, decodePayload, type TestContext } from '../../testing/test-app.js';

const ALL = Object.values(GATEHOUSE_PERMISSIONS);
const FORBIDDEN = { detail: 'You do not have permission to perform this action.' };

let ctx: TestContext;
let alice: User;
let aliceSession: string;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

function call(method: Method, url: string, token: string, payload?: unknown) {
  return ctx.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload !== undefined && { payload: payload as Record<string, unknown> }),
  });
}

async function signedIn(user: User): Promise<string> {
  return (await ctx.login(user.username)).access;
}

beforeEach(async () => {
  ctx = await createTestContext();
  alice = await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
  aliceSession = String(decodePayload(await signedIn(alice)).sid);
  await makeRole(ctx.store, 'empty', []);
  await makeRole(ctx.store, 'spare', []);
  await ctx.store.createGroup({ name: 'desk', description: '', roles: [] }, new Date(), {
    at: new Date(),
    actorId: null,
    actor: 'test',
    action: 'group.create',
    targetId: null,
    target: '',
    detail: {},
    ip: '',
  });
});
afterEach(() => ctx.close());

const P = GATEHOUSE_PERMISSIONS;
/** Every administration route: who may call it (any of), and what it answers them. */
const ROUTES: [Method, string, unknown, readonly string[], number][] = [
  ['GET', '/api/users/', undefined, [P.usersRead], 200],
  ['GET', '/api/users/{alice}/', undefined, [P.usersRead], 200],
  ['GET', '/api/users/{alice}/sessions/', undefined, [P.usersRead], 200],
  ['GET', '/api/users/{alice}/mfa/', undefined, [P.usersRead], 200],
  ['PATCH', '/api/users/{alice}/', { is_active: false }, [P.usersDeactivate, P.usersUpdate], 200],
  ['PATCH', '/api/users/{alice}/', { is_staff: true }, [P.usersUpdate], 200],
  ['DELETE', '/api/users/{alice}/', undefined, [P.usersDelete], 204],
  ['DELETE', '/api/users/{alice}/sessions/{session}/', undefined, [P.sessionsRevoke], 204],
  ['DELETE', '/api/users/{alice}/mfa/', undefined, [P.usersUpdate], 204],
  ['GET', '/api/audit-log/', undefined, [P.auditRead], 200],
  ['GET', '/api/roles/', undefined, [P.rolesManage], 200],
  ['POST', '/api/roles/', { name: 'new', permissions: [] }, [P.rolesManage], 201],
  ['GET', '/api/roles/empty/', undefined, [P.rolesManage], 200],
  ['PATCH', '/api/roles/empty/', { description: 'd' }, [P.rolesManage], 200],
  ['DELETE', '/api/roles/empty/', undefined, [P.rolesManage], 204],
  ['GET', '/api/groups/', undefined, [P.rolesManage], 200],
  ['POST', '/api/groups/', { name: 'new', roles: ['empty'] }, [P.rolesManage], 201],
  ['GET', '/api/groups/desk/', undefined, [P.rolesManage], 200],
  ['PATCH', '/api/groups/desk/', { roles: ['spare'] }, [P.rolesManage], 200],
  ['DELETE', '/api/groups/desk/', undefined, [P.rolesManage], 204],
  ['PUT', '/api/groups/desk/members/', { users: ['{alice}'] }, [P.rolesManage], 200],
  ['PUT', '/api/users/{alice}/roles/', { roles: ['empty'] }, [P.rolesManage], 200],
  ['PUT', '/api/users/{alice}/groups/', { groups: ['desk'] }, [P.rolesManage], 200],
];

describe('every administration route checks its permission, not is_superuser', () => {
  test.each(ROUTES)('%s %s %j: %j', async (method, template, body, anyOf, status) => {
    const fill = (text: string) =>
      text.replaceAll('{alice}', alice.publicId).replaceAll('{session}', aliceSession);
    const url = fill(template);
    const payload = body === undefined ? undefined : (JSON.parse(fill(JSON.stringify(body))) as unknown);
    // Every other permission, and staff: not enough.
    const others = await ctx.createUser({ username: 'others', isStaff: true });
    await grant(
      ctx.store,
      others,
      ALL.filter((permission) => !anyOf.includes(permission)),
    );
    const refused = await call(method, url, await signedIn(others), payload);
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json()).toEqual(FORBIDDEN);
    // Each permission that opens the route, alone, is enough.
    for (const [index, permission] of anyOf.entries()) {
      const holder = await ctx.createUser({ username: `holder${index}` });
      await grant(ctx.store, holder, [permission]);
      const allowed = await call(method, url, await signedIn(holder), payload);
      expect(allowed.statusCode, allowed.body).toBe(status);
    }
  });

  test('a superuser holds every permission; a plain user none', async () => {
    const root = await ctx.createUser({ username: 'root', isSuperuser: true });
    const bob = await ctx.createUser({ username: 'bob' });
    for (const [method, url] of [
      ['GET', '/api/users/'],
      ['GET', '/api/roles/'],
      ['GET', '/api/audit-log/'],
    ] as const) {
      expect((await call(method, url, await signedIn(root))).statusCode).toBe(200);
      expect((await call(method, url, await signedIn(bob))).json()).toEqual(FORBIDDEN);
    }
  });

  test('a permission through a group counts as a direct one', async () => {
    const bob = await ctx.createUser({ username: 'bob' });
    await makeRole(ctx.store, 'reader', [P.usersRead]);
    const token = await signedIn(bob);
    expect((await call('GET', '/api/users/', token)).statusCode).toBe(403);
    const root = await ctx.createUser({ username: 'root', isSuperuser: true });
    const rootToken = await signedIn(root);
    expect((await call('PATCH', '/api/groups/desk/', rootToken, { roles: ['reader'] })).statusCode).toBe(200);
    expect(
      (await call('PUT', '/api/groups/desk/members/', rootToken, { users: [bob.publicId] })).statusCode,
    ).toBe(200);
    expect((await call('GET', '/api/users/', token)).statusCode).toBe(200);
    await assignRoles(ctx.store, bob, []);
    expect((await call('GET', '/api/users/', token)).statusCode).toBe(200);
  });

  test('anonymous: 401 on every route, /api/users/me/permissions/ included', async () => {
    for (const [method, url] of [
      ['GET', '/api/roles/'],
      ['POST', '/api/groups/'],
      ['GET', '/api/users/me/permissions/'],
      ['PUT', `/api/users/${alice.publicId}/roles/`],
    ] as const) {
      const response = await ctx.app.inject({ method, url });
      expect(response.statusCode, url).toBe(401);
    }
  });
});

/** What an administrator does to another account: the route, and the permission that opens it. */
const ACTS_ON_ACCOUNTS: [string, Method, string, unknown, string, number][] = [
  ['deactivate', 'PATCH', '/api/users/{target}/', { is_active: false }, P.usersDeactivate, 200],
  ['make staff', 'PATCH', '/api/users/{target}/', { is_staff: true }, P.usersUpdate, 200],
  ['delete', 'DELETE', '/api/users/{target}/', undefined, P.usersDelete, 204],
  ['end a session', 'DELETE', '/api/users/{target}/sessions/{session}/', undefined, P.sessionsRevoke, 204],
  ['reset the factors', 'DELETE', '/api/users/{target}/mfa/', undefined, P.usersUpdate, 204],
];

describe('an account holding a permission the administrator lacks is out of their reach', () => {
  test.each(ACTS_ON_ACCOUNTS)('%s', async (_name, method, template, payload, permission, status) => {
    const actor = await ctx.createUser({ username: 'actor' });
    await grant(ctx.store, actor, [permission, P.usersRead]);
    const token = await signedIn(actor);
    const attempt = async (target: User) => {
      const session = String(decodePayload(await signedIn(target)).sid);
      const url = template.replaceAll('{target}', target.publicId).replaceAll('{session}', session);
      return call(method, url, token, payload);
    };

    // More: a permission the actor lacks, directly or through a group; or a superuser.
    const boss = await ctx.createUser({ username: 'boss' });
    await grant(ctx.store, boss, [permission, P.rolesManage]);
    const viaGroup = await ctx.createUser({ username: 'via-group' });
    await makeRole(ctx.store, 'auditor', [P.auditRead]);
    const now = new Date();
    await ctx.store.updateGroup('desk', { roles: ['auditor'] }, now, () => testAuditEntry(now));
    await ctx.store.setGroupMembers('desk', [viaGroup.publicId], now, () => testAuditEntry(now));
    const root = await ctx.createUser({ username: 'root', isSuperuser: true });
    for (const [target, lacking] of [
      [boss, P.rolesManage],
      [viaGroup, P.auditRead],
      [root, undefined],
    ] as const) {
      const refused = await attempt(target);
      expect(refused.statusCode, `${target.username}: ${refused.body}`).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'permission_escalation' });
      if (lacking !== undefined) expect(refused.json<{ detail: string }>().detail).toContain(lacking);
      expect((await ctx.store.findUserById(target.id))?.isActive).toBe(true);
      expect((await ctx.store.findUserById(target.id))?.isStaff).toBe(false);
    }

    // Equal (the same permissions) or less (a subset, or none): allowed. So is an account holding only
    // permissions of the deployer's own APIs: they give no power over other accounts.
    const peer = await ctx.createUser({ username: 'peer' });
    await grant(ctx.store, peer, [permission, P.usersRead]);
    const junior = await ctx.createUser({ username: 'junior' });
    await grant(ctx.store, junior, [P.usersRead]);
    const editor = await ctx.createUser({ username: 'editor' });
    await grant(ctx.store, editor, ['posts:publish']);
    for (const target of [peer, junior, editor, alice]) {
      const allowed = await attempt(target);
      expect(allowed.statusCode, `${target.username}: ${allowed.body}`).toBe(status);
    }
  });

  test('a superuser acts on anyone; nobody but a superuser changes their own staff status', async () => {
    const boss = await ctx.createUser({ username: 'boss' });
    await grant(ctx.store, boss, ALL);
    const root = await ctx.createUser({ username: 'root', isSuperuser: true });
    const patch = (user: User, token: string, payload: unknown) =>
      call('PATCH', `/api/users/${user.publicId}/`, token, payload);
    expect((await patch(boss, await signedIn(root), { is_staff: true })).statusCode).toBe(200);

    const manager = await ctx.createUser({ username: 'manager' });
    await grant(ctx.store, manager, [P.usersUpdate, P.usersDeactivate]);
    const token = await signedIn(manager);
    const promoted = await patch(manager, token, { is_staff: true });
    expect(promoted.statusCode, promoted.body).toBe(403);
    expect(promoted.json()).toMatchObject({ code: 'permission_escalation' });
    expect((await ctx.store.findUserById(manager.id))?.isStaff).toBe(false);
    expect((await patch(manager, token, { is_active: false })).statusCode).toBe(400);
    // Unchanged values are no change.
    expect((await patch(manager, token, { is_staff: false, is_active: true })).statusCode).toBe(200);
    // A staff superuser may step down from staff.
    const staffRoot = await ctx.createUser({ username: 'staff-root', isSuperuser: true, isStaff: true });
    expect((await patch(staffRoot, await signedIn(staffRoot), { is_staff: false })).statusCode).toBe(200);
  });
});
