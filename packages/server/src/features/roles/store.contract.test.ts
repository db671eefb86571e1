import { beforeEach, describe, expect, test } from 'vitest';
import type { NewAuditEntry } from '../../store/audit/store.js';
import type { Store } from '../../store/store.js';
import type { User } from '../../store/users/store.js';
import {
  at,
  describeOnEveryDatabase,
  T0,
  useContractStore,
  type OpenTestStore,
} from '../../testing/store-contract.js';
import { addGroupMembers, insertGroup, insertRole } from './kysely-store.js';
import type { SetChange } from './store.js';

const entry = (action: string, detail: Record<string, unknown> = {}): NewAuditEntry => ({
  at: at(1),
  actorId: null,
  actor: 'cli',
  action,
  targetId: null,
  target: '',
  detail,
  ip: '',
});
const withChange = (action: string) => (change: SetChange) => entry(action, { ...change });

/** The roles slice, on SQLite and PostgreSQL. */
function describeRoleStore(name: string, open: OpenTestStore, skip = false) {
  describe.skipIf(skip)(`RoleStore contract: ${name}`, () => {
    const contract = useContractStore(open);
    let store: Store;
    let alice: User;
    let bob: User;
    beforeEach(async () => {
      store = contract.store;
      alice = await contract.create('alice');
      bob = await contract.create('bob');
    });
    const audit = async () =>
      (await store.listAudit(0, 100)).items.map((item) => [item.action, item.detail]).reverse();
    const role = (roleName: string, permissions: string[], description = '') =>
      store.createRole({ name: roleName, description, permissions }, T0, entry('role.create'));

    test('roles: created with their permissions, listed by name, a duplicate name refused', async () => {
      const created = await role('support', ['users:read', 'users:deactivate'], 'Help desk');
      expect(created).toEqual({
        ok: true,
        role: {
          id: expect.any(Number),
          name: 'support',
          description: 'Help desk',
          permissions: ['users:deactivate', 'users:read'],
          usersCount: 0,
          created: T0,
          updated: T0,
        },
      });
      await role('editor', ['posts:publish']);
      expect(await role('support', [])).toEqual({ ok: false, code: 'role_exists' });
      expect((await store.listRoles()).map((r) => r.name)).toEqual(['editor', 'support']);
      expect(await store.findRole('nobody')).toBeUndefined();
      expect(await store.rolePermissions(['support', 'nobody'])).toEqual(
        new Map([['support', ['users:deactivate', 'users:read']]]),
      );
      expect(await store.knownPermissions()).toEqual(['posts:publish', 'users:deactivate', 'users:read']);
      // Two entries: the refused duplicate wrote none.
      expect((await audit()).map(([action]) => action)).toEqual(['role.create', 'role.create']);
    });

    test('a role update replaces its permissions and says what changed; unknown: not_found', async () => {
      await role('support', ['users:read', 'users:deactivate']);
      const updated = await store.updateRole(
        'support',
        { description: 'Desk', permissions: ['users:read', 'sessions:revoke'] },
        at(5),
        withChange('role.update'),
      );
      expect(updated).toMatchObject({
        ok: true,
        role: {
          description: 'Desk',
          permissions: ['sessions:revoke', 'users:read'],
          updated: at(5),
          created: T0,
        },
      });
      expect(await store.updateRole('nobody', {}, at(5), withChange('role.update'))).toEqual({
        ok: false,
        code: 'not_found',
      });
      expect((await audit())[1]).toEqual([
        'role.update',
        { added: ['sessions:revoke'], removed: ['users:deactivate'] },
      ]);
    });

    test("effective permissions: a user's direct roles and their groups' roles", async () => {
      await role('support', ['users:read', 'users:deactivate']);
      await role('editor', ['posts:publish', 'users:read']);
      await role('auditor', ['audit:read']);
      expect(await store.tokenAuthz(alice.id, true)).toEqual({ roles: [], permissions: [] });
      expect(await store.setUserRoles(alice.id, ['support'], withChange('user.roles'))).toEqual({
        ok: true,
        change: { added: ['support'], removed: [] },
      });
      const group = await store.createGroup(
        { name: 'Content editors', description: '', roles: ['editor'] },
        T0,
        entry('group.create'),
      );
      expect(group).toMatchObject({
        ok: true,
        group: { name: 'Content editors', roles: ['editor'], membersCount: 0 },
      });
      expect(await store.setUserGroups(alice.id, ['Content editors'], withChange('user.groups'))).toEqual({
        ok: true,
        change: { added: ['Content editors'], removed: [] },
      });
      expect(await store.tokenAuthz(alice.id, true)).toEqual({
        roles: ['editor', 'support'],
        permissions: ['posts:publish', 'users:deactivate', 'users:read'],
      });
      expect(await store.tokenAuthz(alice.id, false)).toEqual({
        roles: ['editor', 'support'],
        permissions: [],
      });
      expect(await store.effectivePermissions(alice.id)).toEqual([
        'posts:publish',
        'users:deactivate',
        'users:read',
      ]);
      expect(await store.userAuthz(alice.id)).toEqual({
        roles: ['support'],
        groups: ['Content editors'],
        effectiveRoles: ['editor', 'support'],
        permissions: ['posts:publish', 'users:deactivate', 'users:read'],
      });
      expect(await store.effectivePermissions(bob.id)).toEqual([]);
      expect((await store.findRole('support'))?.usersCount).toBe(1);
      expect(await store.groupPermissions(['Content editors', 'none'])).toEqual(
        new Map([['Content editors', { roles: ['editor'], permissions: ['posts:publish', 'users:read'] }]]),
      );
    });

    test('unknown names write nothing: unknown_role, unknown_group, unknown_user', async () => {
      await role('support', ['users:read']);
      expect(await store.setUserRoles(alice.id, ['support', 'ghost', 'alpha'], withChange('x'))).toEqual({
        ok: false,
        code: 'unknown_role',
        names: ['alpha', 'ghost'],
      });
      expect(await store.setUserGroups(alice.id, ['none'], withChange('x'))).toEqual({
        ok: false,
        code: 'unknown_group',
        names: ['none'],
      });
      expect(
        await store.createGroup({ name: 'g', description: '', roles: ['ghost'] }, T0, entry('x')),
      ).toEqual({
        ok: false,
        code: 'unknown_role',
        names: ['ghost'],
      });
      await store.createGroup({ name: 'g', description: '', roles: [] }, T0, entry('group.create'));
      expect(await store.createGroup({ name: 'g', description: '', roles: [] }, T0, entry('x'))).toEqual({
        ok: false,
        code: 'group_exists',
      });
      expect(await store.updateGroup('g', { roles: ['ghost'] }, T0, withChange('x'))).toMatchObject({
        code: 'unknown_role',
      });
      const ghost = '00000000-0000-4000-8000-000000000000';
      expect(await store.setGroupMembers('g', [alice.publicId, ghost], T0, withChange('x'))).toEqual({
        ok: false,
        code: 'unknown_user',
        names: [ghost],
      });
      expect(await store.setGroupMembers('none', [], T0, withChange('x'))).toEqual({
        ok: false,
        code: 'not_found',
      });
      expect(await store.userAuthz(alice.id)).toEqual({
        roles: [],
        groups: [],
        effectiveRoles: [],
        permissions: [],
      });
      expect((await audit()).map(([action]) => action)).toEqual(['role.create', 'group.create']);
    });

    test('group membership is replaced as a whole, by public ids, and audited with usernames', async () => {
      await role('support', ['users:read']);
      await store.createGroup(
        { name: 'desk', description: 'd', roles: ['support'] },
        T0,
        entry('group.create'),
      );
      expect(
        await store.setGroupMembers(
          'desk',
          [alice.publicId, bob.publicId],
          at(2),
          withChange('group.members'),
        ),
      ).toEqual({
        ok: true,
        change: { added: ['alice', 'bob'], removed: [] },
      });
      expect(await store.setGroupMembers('desk', [bob.publicId], at(3), withChange('group.members'))).toEqual(
        {
          ok: true,
          change: { added: [], removed: ['alice'] },
        },
      );
      const found = await store.findGroup('desk');
      expect(found).toMatchObject({ membersCount: 1, roles: ['support'], updated: at(3) });
      expect(found?.members).toEqual([{ userId: bob.id, publicId: bob.publicId, username: 'bob' }]);
      expect(await store.effectivePermissions(bob.id)).toEqual(['users:read']);
      expect(await store.effectivePermissions(alice.id)).toEqual([]);
      const updated = await store.updateGroup(
        'desk',
        { roles: [], description: 'e' },
        at(4),
        withChange('group.update'),
      );
      expect(updated).toMatchObject({ ok: true, group: { roles: [], description: 'e' } });
      expect(await store.effectivePermissions(bob.id)).toEqual([]);
      expect((await audit()).at(-1)).toEqual(['group.update', { added: [], removed: ['support'] }]);
    });

    test('deleting a role, a group or a user removes its assignments', async () => {
      await role('support', ['users:read']);
      await role('editor', ['posts:publish']);
      await store.createGroup(
        { name: 'desk', description: '', roles: ['editor'] },
        T0,
        entry('group.create'),
      );
      await store.setUserRoles(alice.id, ['support'], withChange('user.roles'));
      await store.setUserGroups(alice.id, ['desk'], withChange('user.groups'));
      await store.setUserRoles(bob.id, ['support'], withChange('user.roles'));
      expect(await store.deleteRole('support', entry('role.delete'))).toBe(true);
      expect(await store.deleteRole('support', entry('role.delete'))).toBe(false);
      expect(await store.tokenAuthz(alice.id, true)).toEqual({
        roles: ['editor'],
        permissions: ['posts:publish'],
      });
      expect(await store.deleteGroup('desk', entry('group.delete'))).toBe(true);
      expect(await store.deleteGroup('desk', entry('group.delete'))).toBe(false);
      expect(await store.tokenAuthz(alice.id, true)).toEqual({ roles: [], permissions: [] });
      await store.createGroup(
        { name: 'desk', description: '', roles: ['editor'] },
        T0,
        entry('group.create'),
      );
      await store.setUserGroups(bob.id, ['desk'], withChange('user.groups'));
      expect(await store.deleteUser(bob.id)).toBe(true);
      expect((await store.findGroup('desk'))?.membersCount).toBe(0);
      const count = async (table: string) =>
        Number((await contract.storeRows.all(`select count(*) as n from ${table}`))[0]?.n);
      expect(await count('group_members')).toBe(0);
      expect(await count('user_roles')).toBe(0);
    });

    test('concurrent replacements of one set end with one of them, never an error', async () => {
      await role('a', ['x:a']);
      await role('b', ['x:b']);
      await store.createGroup({ name: 'g', description: '', roles: [] }, T0, entry('group.create'));
      const results = await Promise.all([
        ...Array.from({ length: 6 }, (_, i) =>
          store.setUserRoles(alice.id, i % 2 ? ['a'] : ['b'], withChange('user.roles')),
        ),
        ...Array.from({ length: 4 }, (_, i) =>
          store.updateRole('a', { permissions: i % 2 ? ['x:a'] : ['x:c'] }, T0, withChange('role.update')),
        ),
        ...Array.from({ length: 4 }, (_, i) =>
          store.updateGroup('g', { roles: i % 2 ? ['a'] : ['b'] }, T0, withChange('group.update')),
        ),
      ]);
      expect(results.every((result) => result.ok)).toBe(true);
      // One of the sets asked for, never a mix of two.
      expect([['a'], ['b']]).toContainEqual((await store.userAuthz(alice.id)).roles);
      expect([['x:a'], ['x:c']]).toContainEqual((await store.findRole('a'))?.permissions);
      expect([['a'], ['b']]).toContainEqual((await store.findGroup('g'))?.roles);
    });

    test("an importer's own transaction: roles, a group with them and its members, all or nothing", async () => {
      const rows = contract.storeRows;
      await rows.transaction(async (trx) => {
        expect(
          await insertRole(trx, { name: 'blog', description: '', permissions: ['blog:add_post'] }, T0),
        ).toEqual(expect.any(Number));
        expect(await insertRole(trx, { name: 'blog', description: '', permissions: [] }, T0)).toBeUndefined();
        const group = await insertGroup(trx, { name: 'Editors', description: '', roles: ['blog'] }, T0);
        if (!group.ok) throw new Error('group');
        await addGroupMembers(trx, group.id, [alice.id, alice.id]);
      });
      expect(await store.tokenAuthz(alice.id, true)).toEqual({
        roles: ['blog'],
        permissions: ['blog:add_post'],
      });
      await expect(
        rows.transaction(async (trx) => {
          await insertRole(trx, { name: 'doomed', description: '', permissions: ['x:y'] }, T0);
          throw new Error('the import failed');
        }),
      ).rejects.toThrow('the import failed');
      expect(await store.findRole('doomed')).toBeUndefined();
    });
  });
}

await describeOnEveryDatabase('RoleStore', { contract: describeRoleStore });
