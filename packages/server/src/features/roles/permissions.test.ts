import { GATEHOUSE_PERMISSIONS } from '@gatehouse/contract';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { User } from '../../store/users/store.js';
import { assignRoles, grant, makeRole } from '../../testing/roles.js';
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
