import { GATEHOUSE_PERMISSIONS } from '@gatehouse/contract';
import { notHeld, type Authorization } from '../../core/authorization.js';
import type { NewAuditEntry } from '../../store/audit/store.js';
import type { User, UserStore } from '../../store/users/store.js';
import type { Group, GroupDetail, Role, RoleFailure, RoleStore, SetChange } from './store.js';

/** Who changes roles: a signed-in user (with the permissions the guard read) or the command line. */
export interface Actor {
  /** undefined: the command line. */
  user: User | undefined;
  /** How the audit log names the actor (`cli` for the command line). */
  name: string;
  ip: string;
  authz: Authorization;
}

/** What a user holds, as GET /api/users/me/permissions/ and a user's detail show it. */
export interface PermissionsView {
  isSuperuser: boolean;
  roles: string[];
  groups: string[];
  effectiveRoles: string[];
  permissions: string[];
}

/** Granting (or taking away) what the actor does not hold: `permissions` are those they lack. */
export type Escalation = { ok: false; code: 'permission_escalation'; permissions: string[] };
export type RolesFailure = RoleFailure | Escalation;
type Outcome<T> = Promise<({ ok: true } & T) | RolesFailure>;

export interface RolesService {
  listRoles(): Promise<Role[]>;
  findRole(name: string): Promise<Role | undefined>;
  createRole(
    actor: Actor,
    role: { name: string; description?: string; permissions: string[] },
  ): Outcome<{ role: Role }>;
  updateRole(
    actor: Actor,
    name: string,
    changes: { description?: string; permissions?: string[] },
  ): Outcome<{ role: Role }>;
  deleteRole(actor: Actor, name: string): Outcome<object>;
  listGroups(): Promise<Group[]>;
  findGroup(name: string): Promise<GroupDetail | undefined>;
  createGroup(
    actor: Actor,
    group: { name: string; description?: string; roles: string[] },
  ): Outcome<{ group: Group }>;
  updateGroup(
    actor: Actor,
    name: string,
    changes: { description?: string; roles?: string[] },
  ): Outcome<{ group: Group }>;
  deleteGroup(actor: Actor, name: string): Outcome<object>;
  setGroupMembers(actor: Actor, name: string, publicIds: string[]): Outcome<{ group: GroupDetail }>;
  /** The user of public id `publicId`: their direct roles replaced. */
  setUserRoles(actor: Actor, publicId: string, roles: string[]): Outcome<{ view: PermissionsView }>;
  setUserGroups(actor: Actor, publicId: string, groups: string[]): Outcome<{ view: PermissionsView }>;
  permissionsOf(user: User): Promise<PermissionsView>;
}

export interface RolesServiceDeps {
  store: RoleStore & Pick<UserStore, 'findUserByPublicId'>;
  clock: () => Date;
}

const escalation = (permissions: string[]): Escalation => ({
  ok: false,
  code: 'permission_escalation',
  permissions,
});
const notFound = { ok: false, code: 'not_found' } as const;

/**
 * Roles, groups and their assignment, with the one rule that keeps them safe: nobody grants, or takes
 * away, what they do not hold. Creating or changing a role, a group or an assignment is refused when the
 * permissions involved (before and after the change) are not all the actor's; a user other than a
 * superuser does not change their own roles, groups or memberships at all, nor anything of a superuser's.
 * Every change is in the audit log, written in its transaction.
 */
export function createRolesService({ store, clock }: RolesServiceDeps): RolesService {
  const entry = (
    actor: Actor,
    action: string,
    target: string,
    detail: Record<string, unknown>,
    targetUser?: User,
  ): NewAuditEntry => ({
    at: clock(),
    actorId: actor.user?.id ?? null,
    actor: actor.name,
    action,
    targetId: targetUser?.id ?? null,
    target,
    detail,
    ip: actor.ip,
  });
  const changed = (change: SetChange) => ({ added: change.added, removed: change.removed });

  const permissionsOfRoles = async (names: readonly string[]) =>
    [...(await store.rolePermissions(names)).values()].flat();
  const permissionsOfGroups = async (names: readonly string[]) =>
    [...(await store.groupPermissions(names)).values()].flatMap((group) => group.permissions);
  const lacking = (actor: Actor, permissions: Iterable<string>) => notHeld(actor.authz, permissions);
  /** Only a superuser (or the command line) touches their own assignments or a superuser's. */
  const untouchable = (actor: Actor, target: User) =>
    !actor.authz.superuser && (target.isSuperuser || target.id === actor.user?.id);

  const permissionsOf = (user: User) => permissionsView(store, user);

  return {
    listRoles: () => store.listRoles(),
    findRole: (name) => store.findRole(name),

    async createRole(actor, { name, description = '', permissions }) {
      const missing = lacking(actor, permissions);
      if (missing.length > 0) return escalation(missing);
      const audit = entry(actor, 'role.create', name, {
        permissions: [...new Set(permissions)].sort(),
        description,
      });
      return store.createRole({ name, description, permissions }, clock(), audit);
    },

    async updateRole(actor, name, changes) {
      const current = await store.findRole(name);
      if (!current) return notFound;
      const missing = lacking(actor, [...current.permissions, ...(changes.permissions ?? [])]);
      if (missing.length > 0) return escalation(missing);
      return store.updateRole(name, changes, clock(), (change) =>
        entry(actor, 'role.update', name, {
          ...(changes.description !== undefined && { description: changes.description }),
          ...(changes.permissions !== undefined && { permissions: changed(change) }),
        }),
      );
    },

    async deleteRole(actor, name) {
      const current = await store.findRole(name);
      if (!current) return notFound;
      const missing = lacking(actor, current.permissions);
      if (missing.length > 0) return escalation(missing);
      const audit = entry(actor, 'role.delete', name, {
        permissions: current.permissions,
        users: current.usersCount,
      });
      return (await store.deleteRole(name, audit)) ? { ok: true } : notFound;
    },

    listGroups: () => store.listGroups(),
    findGroup: (name) => store.findGroup(name),

    async createGroup(actor, { name, description = '', roles }) {
      const missing = lacking(actor, await permissionsOfRoles(roles));
      if (missing.length > 0) return escalation(missing);
      const audit = entry(actor, 'group.create', name, { roles: [...new Set(roles)].sort(), description });
      return store.createGroup({ name, description, roles }, clock(), audit);
    },

    async updateGroup(actor, name, changes) {
      const current = await store.findGroup(name);
      if (!current) return notFound;
      if (changes.roles !== undefined) {
        const involved = await permissionsOfRoles([...current.roles, ...changes.roles]);
        const missing = lacking(actor, involved);
        if (missing.length > 0) return escalation(missing);
        // A member's roles change with their group's: not one's own, unless a superuser.
        if (!actor.authz.superuser && current.members.some((member) => member.userId === actor.user?.id)) {
          return escalation([]);
        }
      }
      return store.updateGroup(name, changes, clock(), (change) =>
        entry(actor, 'group.update', name, {
          ...(changes.description !== undefined && { description: changes.description }),
          ...(changes.roles !== undefined && { roles: changed(change) }),
        }),
      );
    },

    async deleteGroup(actor, name) {
      const current = await store.findGroup(name);
      if (!current) return notFound;
      const missing = lacking(actor, await permissionsOfRoles(current.roles));
      if (missing.length > 0) return escalation(missing);
      if (!actor.authz.superuser && current.members.some((member) => member.userId === actor.user?.id)) {
        return escalation([]);
      }
      const audit = entry(actor, 'group.delete', name, {
        roles: current.roles,
        members: current.membersCount,
      });
      return (await store.deleteGroup(name, audit)) ? { ok: true } : notFound;
    },

    async setGroupMembers(actor, name, publicIds) {
      const current = await store.findGroup(name);
      if (!current) return notFound;
      const missing = lacking(actor, await permissionsOfRoles(current.roles));
      if (missing.length > 0) return escalation(missing);
      const self = actor.user;
      if (self && !actor.authz.superuser) {
        const wasMember = current.members.some((member) => member.userId === self.id);
        if (wasMember !== publicIds.includes(self.publicId)) return escalation([]);
      }
      const result = await store.setGroupMembers(name, publicIds, clock(), (change) =>
        entry(actor, 'group.members', name, changed(change)),
      );
      if (!result.ok) return result;
      const group = await store.findGroup(name);
      return group ? { ok: true, group } : notFound;
    },

    async setUserRoles(actor, publicId, roles) {
      const target = await store.findUserByPublicId(publicId);
      if (!target) return notFound;
      if (untouchable(actor, target)) return escalation([]);
      const before = (await store.userAuthz(target.id)).roles;
      const missing = lacking(actor, await permissionsOfRoles([...before, ...roles]));
      if (missing.length > 0) return escalation(missing);
      const result = await store.setUserRoles(target.id, roles, (change) =>
        entry(actor, 'user.roles', target.username, changed(change), target),
      );
      if (!result.ok) return result;
      return { ok: true, view: await permissionsOf(target) };
    },

    async setUserGroups(actor, publicId, groups) {
      const target = await store.findUserByPublicId(publicId);
      if (!target) return notFound;
      if (untouchable(actor, target)) return escalation([]);
      const before = (await store.userAuthz(target.id)).groups;
      const missing = lacking(actor, await permissionsOfGroups([...before, ...groups]));
      if (missing.length > 0) return escalation(missing);
      const result = await store.setUserGroups(target.id, groups, (change) =>
        entry(actor, 'user.groups', target.username, changed(change), target),
      );
      if (!result.ok) return result;
      return { ok: true, view: await permissionsOf(target) };
    },

    permissionsOf,
  };
}

/**
 * A user's roles, groups and effective permissions. A superuser holds every permission: the list names
 * Gatehouse's own and every permission some role holds.
 */
export async function permissionsView(
  store: Pick<RoleStore, 'userAuthz' | 'knownPermissions'>,
  user: User,
): Promise<PermissionsView> {
  const authz = await store.userAuthz(user.id);
  const permissions = user.isSuperuser
    ? [...new Set([...Object.values(GATEHOUSE_PERMISSIONS), ...(await store.knownPermissions())])].sort()
    : authz.permissions;
  return { isSuperuser: user.isSuperuser, ...authz, permissions };
}
