import { afterEach, beforeEach, expect, test } from 'vitest';
import { createTestContext, type TestContext } from '../../server/src/testing/test-app.js';
import { createAuthClient } from './auth-client.js';
import { GatehouseError } from './errors.js';
import { createRolesClient } from './roles.js';

// createRolesClient against the real Gatehouse app: every route of the roles API, as a superuser and as
// a user whose role holds roles:manage and little else.
let ctx: TestContext;
let baseUrl: string;
beforeEach(async () => {
  ctx = await createTestContext();
  baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
});
afterEach(() => ctx.close());

async function signedIn(username: string) {
  const auth = createAuthClient({ baseUrl, mode: 'token', now: () => ctx.clock().getTime() });
  await auth.login({ username, password: 'password1' });
  return createRolesClient(auth, { now: () => ctx.clock().getTime() });
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('resolved'),
    (error: unknown) => {
      expect(error).toBeInstanceOf(GatehouseError);
      return { status: (error as GatehouseError).status, code: (error as GatehouseError).code };
    },
  );

test('roles, groups, members and assignments; the user’s permissions follow', async () => {
  await ctx.createUser({ username: 'root', isSuperuser: true });
  const bob = await ctx.createUser({ username: 'bob' });
  const root = await signedIn('root');

  const created = await root.createRole({
    name: 'support',
    description: 'Helps users',
    permissions: ['users:read', 'users:deactivate'],
  });
  expect(created).toMatchObject({ name: 'support', permissions: ['users:deactivate', 'users:read'] });
  await root.createRole({ name: 'publisher', permissions: ['posts:publish'] });
  expect((await root.listRoles()).map((role) => role.name)).toEqual(['publisher', 'support']);
  expect(await root.updateRole('support', { description: 'Support desk' })).toMatchObject({
    description: 'Support desk',
  });
  expect(await root.getRole('support')).toMatchObject({ description: 'Support desk' });

  await root.createGroup({ name: 'Night shift', roles: ['publisher'] });
  await root.setGroupMembers('Night shift', [bob.publicId]);
  expect((await root.getGroup('Night shift')).members).toEqual([{ id: bob.publicId, username: 'bob' }]);
  expect(await root.updateGroup('Night shift', { description: 'After hours' })).toMatchObject({
    roles: ['publisher'],
    members_count: 1,
  });
  expect((await root.listGroups()).map((group) => group.name)).toEqual(['Night shift']);

  await root.setUserRoles(bob.publicId, ['support']);
  const bobs = await signedIn('bob');
  expect(await bobs.getMyPermissions()).toEqual({
    is_superuser: false,
    roles: ['support'],
    groups: ['Night shift'],
    effective_roles: ['publisher', 'support'],
    permissions: ['posts:publish', 'users:deactivate', 'users:read'],
  });
  await root.setUserGroups(bob.publicId, []);
  expect((await bobs.getMyPermissions()).permissions).toEqual(['users:deactivate', 'users:read']);

  await root.deleteGroup('Night shift');
  await root.deleteRole('publisher');
  expect((await root.listRoles()).map((role) => role.name)).toEqual(['support']);
  expect(await refusal(root.getRole('publisher'))).toMatchObject({ status: 404 });
});

test('refusals: permission_denied without roles:manage, permission_escalation beyond what one holds', async () => {
  await ctx.createUser({ username: 'root', isSuperuser: true });
  const lead = await ctx.createUser({ username: 'lead' });
  const bob = await ctx.createUser({ username: 'bob' });
  const root = await signedIn('root');
  await root.createRole({ name: 'lead', permissions: ['roles:manage', 'users:read'] });
  await root.createRole({ name: 'deleter', permissions: ['users:delete'] });
  await root.setUserRoles(lead.publicId, ['lead']);

  const bobs = await signedIn('bob');
  expect(await refusal(bobs.listRoles())).toEqual({ status: 403, code: 'permission_denied' });

  const leads = await signedIn('lead');
  expect(await leads.createRole({ name: 'readers', permissions: ['users:read'] })).toMatchObject({
    name: 'readers',
  });
  expect(await refusal(leads.createRole({ name: 'x', permissions: ['users:delete'] }))).toEqual({
    status: 403,
    code: 'permission_escalation',
  });
  expect(await refusal(leads.setUserRoles(bob.publicId, ['deleter']))).toEqual({
    status: 403,
    code: 'permission_escalation',
  });
});
