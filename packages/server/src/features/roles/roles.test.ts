import { GATEHOUSE_PERMISSIONS as P } from '@gatehouse/contract';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { User } from '../../store/users/store.js';
import { assignRoles, grant, makeRole } from '../../testing/roles.js';
import { createTestContext, type TestContext } from '../../testing/test-app.js';

let ctx: TestContext;
let root: User;
let support: User;
let bob: User;
let rootToken: string;
let supportToken: string;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, token: string, payload?: Record<string, unknown>) =>
  ctx.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload !== undefined && { payload }),
  });
const escalation = (response: { statusCode: number; json(): unknown }) => {
  expect(response.statusCode).toBe(403);
  expect(response.json()).toMatchObject({ code: 'permission_escalation' });
};
/** The audit log's actions, oldest first, but the set-up's (testing/roles.ts, actor `test`). */
const actions = async () =>
  (
    (await call('GET', '/api/audit-log/', rootToken)).json() as {
      results: { action: string; actor: string }[];
    }
  ).results
    .filter((entry) => entry.actor !== 'test')
    .map((entry) => entry.action)
    .reverse();

beforeEach(async () => {
  ctx = await createTestContext();
  root = await ctx.createUser({ username: 'root', isSuperuser: true, isStaff: true });
  support = await ctx.createUser({ username: 'support' });
  bob = await ctx.createUser({ username: 'bob' });
  // The example: a help desk that reads and deactivates users, and manages roles within that.
  await grant(ctx.store, support, [P.usersRead, P.usersDeactivate, P.rolesManage]);
  rootToken = (await ctx.login('root')).access;
  supportToken = (await ctx.login('support')).access;
});
afterEach(() => ctx.close());

describe('roles and groups through the API', () => {
  test('create, read, list, update and delete a role; every change audited', async () => {
    const created = await call('POST', '/api/roles/', rootToken, {
      name: 'Content editors',
      description: 'Write and publish',
      permissions: ['posts:publish', 'posts:edit', 'posts:edit'],
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toEqual({
      name: 'Content editors',
      description: 'Write and publish',
      permissions: ['posts:edit', 'posts:publish'],
      users_count: 0,
      created: expect.any(String),
      updated: expect.any(String),
    });
    const url = `/api/roles/${encodeURIComponent('Content editors')}/`;
    expect((await call('GET', url, rootToken)).json()).toMatchObject({ name: 'Content editors' });
    const updated = await call('PATCH', url, rootToken, { permissions: ['posts:publish'] });
    expect(updated.json()).toMatchObject({
      permissions: ['posts:publish'],
      description: 'Write and publish',
    });
    await call('PUT', `/api/users/${bob.publicId}/roles/`, rootToken, { roles: ['Content editors'] });
    const names = (await call('GET', '/api/roles/', rootToken)).json() as {
      name: string;
      users_count: number;
    }[];
    expect(names.map((role) => [role.name, role.users_count])).toEqual([
      ['Content editors', 1],
      ['support-role', 1],
    ]);
    expect((await call('DELETE', url, rootToken)).statusCode).toBe(204);
    expect((await call('GET', url, rootToken)).statusCode).toBe(404);
    expect((await call('DELETE', url, rootToken)).statusCode).toBe(404);
    expect((await call('GET', '/api/users/me/permissions/', (await ctx.login('bob')).access)).json()).toEqual(
      {
        is_superuser: false,
        roles: [],
        groups: [],
        effective_roles: [],
        permissions: [],
      },
    );
    expect(await actions()).toEqual(['role.create', 'role.update', 'user.roles', 'role.delete']);
    const log = (await call('GET', '/api/audit-log/', rootToken)).json() as {
      results: { action: string; actor: string; target: string; detail: unknown }[];
    };
    expect(log.results.find((entry) => entry.action === 'role.update')).toMatchObject({
      actor: 'root',
      target: 'Content editors',
      detail: { permissions: { added: [], removed: ['posts:edit'] } },
    });
    expect(log.results.find((entry) => entry.action === 'user.roles')).toMatchObject({
      target: 'bob',
      detail: { added: ['Content editors'], removed: [] },
    });
  });

  test('groups: roles and members; a member holds the roles; the user detail shows it all', async () => {
    await makeRole(ctx.store, 'editor', ['posts:publish']);
    const created = await call('POST', '/api/groups/', rootToken, { name: 'Editors', roles: ['editor'] });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({
      name: 'Editors',
      roles: ['editor'],
      members_count: 0,
      description: '',
    });
    const members = await call('PUT', '/api/groups/Editors/members/', rootToken, { users: [bob.publicId] });
    expect(members.json()).toMatchObject({
      members_count: 1,
      members: [{ id: bob.publicId, username: 'bob' }],
    });
    const detail = (await call('GET', `/api/users/${bob.publicId}/`, rootToken)).json();
    expect(detail).toMatchObject({ roles: [], groups: ['Editors'], permissions: ['posts:publish'] });
    const put = await call('PUT', `/api/users/${bob.publicId}/groups/`, rootToken, { groups: [] });
    expect(put.json()).toEqual({
      is_superuser: false,
      roles: [],
      groups: [],
      effective_roles: [],
      permissions: [],
    });
    const patched = await call('PATCH', '/api/groups/Editors/', rootToken, {
      description: 'Blog',
      roles: [],
    });
    expect(patched.json()).toMatchObject({ description: 'Blog', roles: [] });
    expect((await call('GET', '/api/groups/', rootToken)).json()).toEqual([
      expect.objectContaining({ name: 'Editors', members_count: 0 }),
    ]);
    expect((await call('DELETE', '/api/groups/Editors/', rootToken)).statusCode).toBe(204);
    expect((await call('GET', '/api/groups/Editors/', rootToken)).statusCode).toBe(404);
    expect(await actions()).toEqual([
      'group.create',
      'group.members',
      'user.groups',
      'group.update',
      'group.delete',
    ]);
  });

  test("GET /api/users/me/permissions/: the caller's own, for any signed-in user; a superuser's are all", async () => {
    const mine = await call('GET', '/api/users/me/permissions/', supportToken);
    expect(mine.json()).toEqual({
      is_superuser: false,
      roles: ['support-role'],
      groups: [],
      effective_roles: ['support-role'],
      permissions: ['roles:manage', 'users:deactivate', 'users:read'],
    });
    await makeRole(ctx.store, 'blogger', ['posts:publish']);
    const all = (await call('GET', '/api/users/me/permissions/', rootToken)).json() as {
      permissions: string[];
    };
    expect(all).toMatchObject({ is_superuser: true, roles: [] });
    expect(all.permissions).toEqual([...Object.values(P), 'posts:publish'].sort());
  });

  test('bad input: unknown names 400, duplicates 400, malformed 400, unknown targets 404', async () => {
    await makeRole(ctx.store, 'editor', []);
    const cases: [Method, string, Record<string, unknown>, number, object][] = [
      ['POST', '/api/roles/', { name: 'editor', permissions: [] }, 400, { code: 'role_exists' }],
      ['POST', '/api/roles/', { name: 'x', permissions: ['Not A Permission'] }, 400, {}],
      ['POST', '/api/roles/', { name: 'a/b', permissions: [] }, 400, {}],
      ['POST', '/api/roles/', { name: 'x' }, 400, {}],
      ['POST', '/api/groups/', { name: 'g', roles: ['ghost', 'editor'] }, 400, { code: 'unknown_role' }],
      ['PUT', `/api/users/${bob.publicId}/roles/`, { roles: ['ghost'] }, 400, { code: 'unknown_role' }],
      ['PUT', `/api/users/${bob.publicId}/groups/`, { groups: ['ghost'] }, 400, { code: 'unknown_group' }],
      ['PUT', '/api/users/00000000-0000-4000-8000-000000000000/roles/', { roles: [] }, 404, {}],
      ['PATCH', '/api/roles/ghost/', { description: '' }, 404, {}],
      ['PATCH', '/api/groups/ghost/', { description: '' }, 404, {}],
      ['PUT', '/api/groups/ghost/members/', { users: [] }, 404, {}],
    ];
    for (const [method, url, payload, status, body] of cases) {
      const response = await call(method, url, rootToken, payload);
      expect(response.statusCode, `${method} ${url} ${response.body}`).toBe(status);
      expect(response.json()).toMatchObject(body);
    }
    await call('POST', '/api/groups/', rootToken, { name: 'g', roles: [] });
    expect((await call('POST', '/api/groups/', rootToken, { name: 'g', roles: [] })).json()).toMatchObject({
      code: 'group_exists',
    });
    const unknownMember = await call('PUT', '/api/groups/g/members/', rootToken, {
      users: ['00000000-0000-4000-8000-000000000000'],
    });
    expect(unknownMember.statusCode).toBe(400);
    expect(await actions()).toEqual(['group.create']);
  });
});

describe('escalation: nobody grants what they do not hold', () => {
  test('a role: only with permissions the caller holds, to create, change or delete it', async () => {
    escalation(await call('POST', '/api/roles/', supportToken, { name: 'x', permissions: [P.usersDelete] }));
    const made = await call('POST', '/api/roles/', supportToken, {
      name: 'reader',
      permissions: [P.usersRead],
    });
    expect(made.statusCode).toBe(201);
    escalation(await call('PATCH', '/api/roles/reader/', supportToken, { permissions: [P.auditRead] }));
    await makeRole(ctx.store, 'admin', [P.usersDelete]);
    // Taking a permission away from a role above the caller is refused too.
    escalation(await call('PATCH', '/api/roles/admin/', supportToken, { permissions: [] }));
    escalation(await call('DELETE', '/api/roles/admin/', supportToken));
    expect((await call('DELETE', '/api/roles/reader/', supportToken)).statusCode).toBe(204);
    expect(await actions()).toEqual(['role.create', 'role.delete']);
  });

  test('assignments: a role or group above the caller, their own, or a superuser', async () => {
    await makeRole(ctx.store, 'admin', [P.usersDelete]);
    await makeRole(ctx.store, 'reader', [P.usersRead]);
    escalation(await call('PUT', `/api/users/${bob.publicId}/roles/`, supportToken, { roles: ['admin'] }));
    expect(
      (await call('PUT', `/api/users/${bob.publicId}/roles/`, supportToken, { roles: ['reader'] }))
        .statusCode,
    ).toBe(200);
    // Their own roles, even to give up one.
    escalation(await call('PUT', `/api/users/${support.publicId}/roles/`, supportToken, { roles: [] }));
    escalation(await call('PUT', `/api/users/${root.publicId}/roles/`, supportToken, { roles: ['reader'] }));
    // A group holding more than the caller, as a role of a new group, or by membership.
    escalation(await call('POST', '/api/groups/', supportToken, { name: 'admins', roles: ['admin'] }));
    await call('POST', '/api/groups/', rootToken, { name: 'admins', roles: ['admin'] });
    await call('POST', '/api/groups/', rootToken, { name: 'readers', roles: ['reader'] });
    escalation(await call('PUT', '/api/groups/admins/members/', supportToken, { users: [bob.publicId] }));
    escalation(await call('PUT', `/api/users/${bob.publicId}/groups/`, supportToken, { groups: ['admins'] }));
    escalation(await call('PATCH', '/api/groups/readers/', supportToken, { roles: ['admin'] }));
    // Joining a group, even a harmless one, is not for oneself.
    escalation(
      await call('PUT', '/api/groups/readers/members/', supportToken, { users: [support.publicId] }),
    );
    escalation(
      await call('PUT', `/api/users/${support.publicId}/groups/`, supportToken, { groups: ['readers'] }),
    );
    const joined = await call('PUT', '/api/groups/readers/members/', supportToken, { users: [bob.publicId] });
    expect(joined.statusCode).toBe(200);
    expect((await call('GET', '/api/users/me/permissions/', supportToken)).json()).toMatchObject({
      permissions: ['roles:manage', 'users:deactivate', 'users:read'],
    });
    // A superuser may do all of it, to themselves too.
    expect(
      (await call('PUT', `/api/users/${root.publicId}/roles/`, rootToken, { roles: ['admin'] })).statusCode,
    ).toBe(200);
  });

  test('users: only superusers make superusers or touch their accounts; is_staff needs users:update', async () => {
    const deny = { detail: 'You do not have permission to perform this action.' };
    const patch = (target: User, payload: Record<string, unknown>) =>
      call('PATCH', `/api/users/${target.publicId}/`, supportToken, payload);
    escalation(await patch(bob, { is_superuser: true }));
    escalation(await patch(support, { is_superuser: true }));
    expect((await patch(bob, { is_staff: true })).json()).toEqual(deny);
    escalation(await patch(root, { is_active: false }));
    expect((await patch(bob, { is_active: false })).statusCode).toBe(200);
    expect((await ctx.store.findUserById(bob.id))?.isActive).toBe(false);
    await assignRoles(ctx.store, support, []);
    const updater = await ctx.createUser({ username: 'updater' });
    await makeRole(ctx.store, 'boss', [P.usersUpdate, P.usersDelete, P.sessionsRevoke]);
    await assignRoles(ctx.store, updater, ['boss']);
    const token = (await ctx.login('updater')).access;
    const rootSession = (await ctx.login('root')).access;
    const sid = JSON.parse(Buffer.from(rootSession.split('.')[1] ?? '', 'base64url').toString())
      .sid as string;
    escalation(await call('DELETE', `/api/users/${root.publicId}/`, token));
    escalation(await call('DELETE', `/api/users/${root.publicId}/sessions/${sid}/`, token));
    escalation(await call('DELETE', `/api/users/${root.publicId}/mfa/`, token));
    escalation(await call('PATCH', `/api/users/${root.publicId}/`, token, { is_staff: false }));
    expect((await call('PATCH', `/api/users/${bob.publicId}/`, token, { is_staff: true })).statusCode).toBe(
      200,
    );
    expect((await call('DELETE', `/api/users/${bob.publicId}/`, token)).statusCode).toBe(204);
    expect(await ctx.store.findUserById(root.id)).toMatchObject({ isActive: true, isStaff: true });
  });
});
