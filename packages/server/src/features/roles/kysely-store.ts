import type { Kysely } from 'kysely';
import { insertAudit } from '../../store/audit/kysely-store.js';
import { precompile, type DirectConnection } from '../../store/precompiled.js';
import type { Database } from '../../store/schema.js';
import type {
  Group,
  NewGroup,
  NewRole,
  Role,
  RoleFailure,
  RoleStore,
  SetChange,
  TokenAuthz,
} from './store.js';

type Count = number | string | bigint;

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();
const diff = (before: readonly string[], after: readonly string[]): SetChange => ({
  added: sorted(after.filter((name) => !before.includes(name))),
  removed: sorted(before.filter((name) => !after.includes(name))),
});

/** The ids of the named rows of `roles` or `user_groups`; a name that matches none is not in the map. */
async function idsByName(
  db: Kysely<Database>,
  table: 'roles' | 'user_groups',
  names: readonly string[],
): Promise<Map<string, number>> {
  if (names.length === 0) return new Map();
  const rows = await db
    .selectFrom(table)
    .select(['id', 'name'])
    .where('name', 'in', [...new Set(names)])
    .execute();
  return new Map(rows.map((row) => [row.name, row.id]));
}

const missing = (names: readonly string[], found: Map<string, number>) =>
  sorted(names.filter((name) => !found.has(name)));

/**
 * A role with its permissions, on `db`, which may be a caller's transaction (an importer's). Undefined:
 * a role of that name exists (nothing written).
 */
export async function insertRole(
  db: Kysely<Database>,
  role: NewRole,
  now: Date,
): Promise<number | undefined> {
  const stamp = now.toISOString();
  const inserted = await db
    .insertInto('roles')
    .values({ name: role.name, description: role.description, created: stamp, updated: stamp })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return undefined;
  await insertPermissions(db, inserted.id, role.permissions);
  return inserted.id;
}

/**
 * A group with its roles (by name), on `db`, which may be a caller's transaction. `group_exists`, or
 * `unknown_role` with the names that match no role: nothing written.
 */
export async function insertGroup(
  db: Kysely<Database>,
  group: NewGroup,
  now: Date,
): Promise<{ ok: true; id: number } | RoleFailure> {
  const roles = await idsByName(db, 'roles', group.roles);
  const unknown = missing(group.roles, roles);
  if (unknown.length > 0) return { ok: false, code: 'unknown_role', names: unknown };
  const stamp = now.toISOString();
  const inserted = await db
    .insertInto('user_groups')
    .values({ name: group.name, description: group.description, created: stamp, updated: stamp })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return { ok: false, code: 'group_exists' };
  if (roles.size > 0) {
    await db
      .insertInto('group_roles')
      .values([...roles.values()].map((role_id) => ({ group_id: inserted.id, role_id })))
      .execute();
  }
  return { ok: true, id: inserted.id };
}

/** Users (by database id) join a group, on `db`, which may be a caller's transaction; members stay. */
export async function addGroupMembers(
  db: Kysely<Database>,
  groupId: number,
  userIds: readonly number[],
): Promise<void> {
  if (userIds.length === 0) return;
  await db
    .insertInto('group_members')
    .values([...new Set(userIds)].map((user_id) => ({ group_id: groupId, user_id })))
    .onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing())
    .execute();
}

async function insertPermissions(db: Kysely<Database>, roleId: number, permissions: readonly string[]) {
  if (permissions.length === 0) return;
  await db
    .insertInto('role_permissions')
    .values(sorted(permissions).map((permission) => ({ role_id: roleId, permission })))
    .execute();
}

/** `direct`: the connection under `db`, for the query every refresh runs (direct-connections.ts). */
export function kyselyRoles(db: Kysely<Database>, direct?: DirectConnection): RoleStore {
  /** The ids of a user's roles, direct and through groups: the indexes by user of both tables. */
  const effectiveRoleIds = (userId: number) =>
    db
      .selectFrom('user_roles')
      .select('user_roles.role_id')
      .where('user_roles.user_id', '=', userId)
      .union(
        db
          .selectFrom('group_members')
          .innerJoin('group_roles', 'group_roles.group_id', 'group_members.group_id')
          .select('group_roles.role_id')
          .where('group_members.user_id', '=', userId),
      );
  const hot = {
    roleNames: precompile<{ userId: number }, { name: string }>(
      ['userId'],
      ({ userId }) =>
        db.selectFrom('roles').select('roles.name').where('roles.id', 'in', effectiveRoleIds(userId)),
      direct,
    ),
    rolesWithPermissions: precompile<{ userId: number }, { name: string; permission: string | null }>(
      ['userId'],
      ({ userId }) =>
        db
          .selectFrom('roles')
          .leftJoin('role_permissions', 'role_permissions.role_id', 'roles.id')
          .select(['roles.name', 'role_permissions.permission'])
          .where('roles.id', 'in', effectiveRoleIds(userId)),
      direct,
    ),
    permissions: precompile<{ userId: number }, { permission: string }>(
      ['userId'],
      ({ userId }) =>
        db
          .selectFrom('role_permissions')
          .select('role_permissions.permission')
          .distinct()
          .where('role_permissions.role_id', 'in', effectiveRoleIds(userId)),
      direct,
    ),
  };

  const permissionsOf = async (executor: Kysely<Database>, roleIds: readonly number[]) => {
    const byRole = new Map<number, string[]>(roleIds.map((id) => [id, []]));
    if (roleIds.length === 0) return byRole;
    const rows = await executor
      .selectFrom('role_permissions')
      .select(['role_id', 'permission'])
      .where('role_id', 'in', [...roleIds])
      .orderBy('permission')
      .execute();
    for (const row of rows) byRole.get(row.role_id)?.push(row.permission);
    return byRole;
  };

  const readRoles = async (executor: Kysely<Database>, name?: string): Promise<Role[]> => {
    let query = executor
      .selectFrom('roles')
      .selectAll('roles')
      .select((eb) =>
        eb
          .selectFrom('user_roles')
          .select(eb.fn.countAll<Count>().as('n'))
          .whereRef('user_roles.role_id', '=', 'roles.id')
          .as('users_count'),
      )
      .orderBy('roles.name');
    if (name !== undefined) query = query.where('roles.name', '=', name);
    const rows = await query.execute();
    const permissions = await permissionsOf(
      executor,
      rows.map((row) => row.id),
    );
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      description: row.description,
      permissions: permissions.get(row.id) ?? [],
      usersCount: Number(row.users_count ?? 0),
      created: new Date(row.created),
      updated: new Date(row.updated),
    }));
  };

  const readGroups = async (executor: Kysely<Database>, name?: string): Promise<Group[]> => {
    let query = executor
      .selectFrom('user_groups')
      .selectAll('user_groups')
      .select((eb) =>
        eb
          .selectFrom('group_members')
          .select(eb.fn.countAll<Count>().as('n'))
          .whereRef('group_members.group_id', '=', 'user_groups.id')
          .as('members_count'),
      )
      .orderBy('user_groups.name');
    if (name !== undefined) query = query.where('user_groups.name', '=', name);
    const rows = await query.execute();
    const roles = new Map<number, string[]>(rows.map((row) => [row.id, []]));
    if (rows.length > 0) {
      const assigned = await executor
        .selectFrom('group_roles')
        .innerJoin('roles', 'roles.id', 'group_roles.role_id')
        .select(['group_roles.group_id', 'roles.name'])
        .where(
          'group_roles.group_id',
          'in',
          rows.map((row) => row.id),
        )
        .orderBy('roles.name')
        .execute();
      for (const row of assigned) roles.get(row.group_id)?.push(row.name);
    }
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      description: row.description,
      roles: roles.get(row.id) ?? [],
      membersCount: Number(row.members_count ?? 0),
      created: new Date(row.created),
      updated: new Date(row.updated),
    }));
  };

  const roleNamesOfGroup = async (executor: Kysely<Database>, groupId: number) =>
    (
      await executor
        .selectFrom('group_roles')
        .innerJoin('roles', 'roles.id', 'group_roles.role_id')
        .select('roles.name')
        .where('group_roles.group_id', '=', groupId)
        .execute()
    ).map((row) => row.name);

  return {
    listRoles: () => readRoles(db),
    findRole: async (name) => (await readRoles(db, name))[0],

    async rolePermissions(names) {
      const ids = await idsByName(db, 'roles', names);
      const permissions = await permissionsOf(db, [...ids.values()]);
      return new Map([...ids].map(([name, id]) => [name, permissions.get(id) ?? []]));
    },

    async createRole(role, now, audit) {
      return db.transaction().execute(async (trx) => {
        const id = await insertRole(trx, role, now);
        if (id === undefined) return { ok: false, code: 'role_exists' } as const;
        await insertAudit(trx, audit);
        const [created] = await readRoles(trx, role.name);
        return { ok: true, role: created as Role } as const;
      });
    },

    async updateRole(name, changes, now, audit) {
      return db.transaction().execute(async (trx) => {
        const found = await trx
          .updateTable('roles')
          .set({
            updated: now.toISOString(),
            ...(changes.description !== undefined && { description: changes.description }),
          })
          .where('name', '=', name)
          .returning('id')
          .executeTakeFirst();
        if (!found) return { ok: false, code: 'not_found' } as const;
        let change: SetChange = { added: [], removed: [] };
        if (changes.permissions !== undefined) {
          const before = (await permissionsOf(trx, [found.id])).get(found.id) ?? [];
          change = diff(before, changes.permissions);
          await trx.deleteFrom('role_permissions').where('role_id', '=', found.id).execute();
          await insertPermissions(trx, found.id, changes.permissions);
        }
        await insertAudit(trx, audit(change));
        const [role] = await readRoles(trx, name);
        return { ok: true, role: role as Role } as const;
      });
    },

    async deleteRole(name, audit) {
      return db.transaction().execute(async (trx) => {
        const { numDeletedRows } = await trx.deleteFrom('roles').where('name', '=', name).executeTakeFirst();
        if (numDeletedRows === 0n) return false;
        await insertAudit(trx, audit);
        return true;
      });
    },

    listGroups: () => readGroups(db),

    async findGroup(name) {
      const [group] = await readGroups(db, name);
      if (!group) return undefined;
      const members = await db
        .selectFrom('group_members')
        .innerJoin('users', 'users.id', 'group_members.user_id')
        .select(['users.id', 'users.public_id', 'users.username'])
        .where('group_members.group_id', '=', group.id)
        .orderBy('users.username')
        .execute();
      return {
        ...group,
        members: members.map((row) => ({ userId: row.id, publicId: row.public_id, username: row.username })),
      };
    },

    async groupPermissions(names) {
      const result = new Map<string, TokenAuthz>();
      if (names.length === 0) return result;
      const rows = await db
        .selectFrom('user_groups')
        .leftJoin('group_roles', 'group_roles.group_id', 'user_groups.id')
        .leftJoin('roles', 'roles.id', 'group_roles.role_id')
        .leftJoin('role_permissions', 'role_permissions.role_id', 'group_roles.role_id')
        .select(['user_groups.name as group', 'roles.name as role', 'role_permissions.permission'])
        .where('user_groups.name', 'in', [...new Set(names)])
        .execute();
      const sets = new Map<string, { roles: Set<string>; permissions: Set<string> }>();
      for (const row of rows) {
        let entry = sets.get(row.group);
        if (!entry) sets.set(row.group, (entry = { roles: new Set(), permissions: new Set() }));
        if (row.role !== null) entry.roles.add(row.role);
        if (row.permission !== null) entry.permissions.add(row.permission);
      }
      for (const [group, entry] of sets) {
        result.set(group, { roles: sorted(entry.roles), permissions: sorted(entry.permissions) });
      }
      return result;
    },

    async createGroup(group, now, audit) {
      return db.transaction().execute(async (trx) => {
        const inserted = await insertGroup(trx, group, now);
        if (!inserted.ok) return inserted;
        await insertAudit(trx, audit);
        const [created] = await readGroups(trx, group.name);
        return { ok: true, group: created as Group } as const;
      });
    },

    async updateGroup(name, changes, now, audit) {
      return db.transaction().execute(async (trx) => {
        const roles = await idsByName(trx, 'roles', changes.roles ?? []);
        const unknown = missing(changes.roles ?? [], roles);
        if (unknown.length > 0) return { ok: false, code: 'unknown_role', names: unknown } as const;
        const found = await trx
          .updateTable('user_groups')
          .set({
            updated: now.toISOString(),
            ...(changes.description !== undefined && { description: changes.description }),
          })
          .where('name', '=', name)
          .returning('id')
          .executeTakeFirst();
        if (!found) return { ok: false, code: 'not_found' } as const;
        let change: SetChange = { added: [], removed: [] };
        if (changes.roles !== undefined) {
          change = diff(await roleNamesOfGroup(trx, found.id), changes.roles);
          await trx.deleteFrom('group_roles').where('group_id', '=', found.id).execute();
          if (roles.size > 0) {
            await trx
              .insertInto('group_roles')
              .values([...roles.values()].map((role_id) => ({ group_id: found.id, role_id })))
              .execute();
          }
        }
        await insertAudit(trx, audit(change));
        const [group] = await readGroups(trx, name);
        return { ok: true, group: group as Group } as const;
      });
    },

    async deleteGroup(name, audit) {
      return db.transaction().execute(async (trx) => {
        const { numDeletedRows } = await trx
          .deleteFrom('user_groups')
          .where('name', '=', name)
          .executeTakeFirst();
        if (numDeletedRows === 0n) return false;
        await insertAudit(trx, audit);
        return true;
      });
    },

    async setGroupMembers(name, publicIds, now, audit) {
      return db.transaction().execute(async (trx) => {
        const wanted = [...new Set(publicIds)];
        const users =
          wanted.length === 0
            ? []
            : await trx
                .selectFrom('users')
                .select(['id', 'public_id', 'username'])
                .where('public_id', 'in', wanted)
                .execute();
        const unknown = sorted(wanted.filter((id) => !users.some((user) => user.public_id === id)));
        if (unknown.length > 0) return { ok: false, code: 'unknown_user', names: unknown } as const;
        const group = await trx
          .updateTable('user_groups')
          .set({ updated: now.toISOString() })
          .where('name', '=', name)
          .returning('id')
          .executeTakeFirst();
        if (!group) return { ok: false, code: 'not_found' } as const;
        const before = await trx
          .selectFrom('group_members')
          .innerJoin('users', 'users.id', 'group_members.user_id')
          .select('users.username')
          .where('group_members.group_id', '=', group.id)
          .execute();
        const change = diff(
          before.map((row) => row.username),
          users.map((user) => user.username),
        );
        await trx.deleteFrom('group_members').where('group_id', '=', group.id).execute();
        await addGroupMembers(
          trx,
          group.id,
          users.map((user) => user.id),
        );
        await insertAudit(trx, audit(change));
        return { ok: true, change } as const;
      });
    },

    async setUserRoles(userId, names, audit) {
      return db.transaction().execute(async (trx) => {
        const roles = await idsByName(trx, 'roles', names);
        const unknown = missing(names, roles);
        if (unknown.length > 0) return { ok: false, code: 'unknown_role', names: unknown } as const;
        const before = await trx
          .selectFrom('user_roles')
          .innerJoin('roles', 'roles.id', 'user_roles.role_id')
          .select('roles.name')
          .where('user_roles.user_id', '=', userId)
          .execute();
        const change = diff(
          before.map((row) => row.name),
          [...roles.keys()],
        );
        await trx.deleteFrom('user_roles').where('user_id', '=', userId).execute();
        if (roles.size > 0) {
          await trx
            .insertInto('user_roles')
            .values([...roles.values()].map((role_id) => ({ user_id: userId, role_id })))
            .execute();
        }
        await insertAudit(trx, audit(change));
        return { ok: true, change } as const;
      });
    },

    async setUserGroups(userId, names, audit) {
      return db.transaction().execute(async (trx) => {
        const groups = await idsByName(trx, 'user_groups', names);
        const unknown = missing(names, groups);
        if (unknown.length > 0) return { ok: false, code: 'unknown_group', names: unknown } as const;
        const before = await trx
          .selectFrom('group_members')
          .innerJoin('user_groups', 'user_groups.id', 'group_members.group_id')
          .select('user_groups.name')
          .where('group_members.user_id', '=', userId)
          .execute();
        const change = diff(
          before.map((row) => row.name),
          [...groups.keys()],
        );
        await trx.deleteFrom('group_members').where('user_id', '=', userId).execute();
        for (const groupId of groups.values()) await addGroupMembers(trx, groupId, [userId]);
        await insertAudit(trx, audit(change));
        return { ok: true, change } as const;
      });
    },

    async userAuthz(userId) {
      const [direct, groups, effective] = await Promise.all([
        db
          .selectFrom('user_roles')
          .innerJoin('roles', 'roles.id', 'user_roles.role_id')
          .select('roles.name')
          .where('user_roles.user_id', '=', userId)
          .execute(),
        db
          .selectFrom('group_members')
          .innerJoin('user_groups', 'user_groups.id', 'group_members.group_id')
          .select('user_groups.name')
          .where('group_members.user_id', '=', userId)
          .execute(),
        hot.rolesWithPermissions(db, { userId }),
      ]);
      return {
        roles: sorted(direct.map((row) => row.name)),
        groups: sorted(groups.map((row) => row.name)),
        effectiveRoles: sorted(effective.rows.map((row) => row.name)),
        permissions: sorted(
          effective.rows.flatMap((row) => (row.permission === null ? [] : [row.permission])),
        ),
      };
    },

    async effectivePermissions(userId) {
      return sorted((await hot.permissions(db, { userId })).rows.map((row) => row.permission));
    },

    async tokenAuthz(userId, withPermissions) {
      if (!withPermissions) {
        return {
          roles: sorted((await hot.roleNames(db, { userId })).rows.map((row) => row.name)),
          permissions: [],
        };
      }
      const { rows } = await hot.rolesWithPermissions(db, { userId });
      return {
        roles: sorted(rows.map((row) => row.name)),
        permissions: sorted(rows.flatMap((row) => (row.permission === null ? [] : [row.permission]))),
      };
    },

    async knownPermissions() {
      const rows = await db.selectFrom('role_permissions').select('permission').distinct().execute();
      return sorted(rows.map((row) => row.permission));
    },
  };
}
