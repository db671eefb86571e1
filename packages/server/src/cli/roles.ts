import { PERMISSION_PATTERN, ROLE_NAME_PATTERN } from '@gatehouse/contract';
import { EVERY_PERMISSION } from '../core/authorization.js';
import { createRolesService, type Actor, type RolesFailure } from '../features/roles/service.js';
import type { RoleStore } from '../features/roles/store.js';
import type { User, UserStore } from '../store/users/store.js';
import { canonicalEmail, usernameKey } from '../users/canonical.js';
import { CommandError, UsageError, writeLine, type CliIo } from './io.js';

export interface RolesCommandContext {
  io: CliIo;
  store: RoleStore & Pick<UserStore, 'findUserByPublicId' | 'findLoginCandidate'>;
  clock: () => Date;
}

/** The operator at the server: every permission, and `cli` in the audit log. */
const CLI: Actor = { user: undefined, name: 'cli', ip: '', authz: EVERY_PERMISSION };
const ROLE_NAME = new RegExp(ROLE_NAME_PATTERN, 'u');
const PERMISSION = new RegExp(PERMISSION_PATTERN);

function checkName(kind: 'role' | 'group', name: string): string {
  if (!ROLE_NAME.test(name)) {
    throw new UsageError(
      `"${name}" is not a ${kind} name (letters, digits, space, _ . -; at most 80, starting with a letter or digit)`,
    );
  }
  return name;
}

function failure(result: RolesFailure): CommandError {
  switch (result.code) {
    case 'not_found':
      return new CommandError('No such role or group.');
    case 'role_exists':
      return new CommandError('A role with this name already exists.');
    case 'group_exists':
      return new CommandError('A group with this name already exists.');
    case 'unknown_role':
      return new CommandError(`No such role: ${result.names.join(', ')}.`);
    case 'unknown_group':
      return new CommandError(`No such group: ${result.names.join(', ')}.`);
    case 'unknown_user':
      return new CommandError(`No such user: ${result.names.join(', ')}.`);
    case 'permission_escalation':
      // The command line holds every permission; kept for the type's sake.
      return new CommandError('Refused: permission escalation.');
  }
}

/** `gatehouse roles …` and `gatehouse groups …`: for scripts and the first set-up. */
export function rolesCommands({ io, store, clock }: RolesCommandContext) {
  const roles = createRolesService({ store, clock });
  const say = (line: string) => writeLine(io.stdout, line);

  /** By username or email, as login finds an account. */
  const findUser = async (identifier: string): Promise<User> => {
    const candidate = await store.findLoginCandidate({
      usernameKey: usernameKey(identifier),
      email: canonicalEmail(identifier),
    });
    if (!candidate) throw new CommandError(`No such user: ${identifier}.`);
    return candidate.user;
  };
  const ensureRole = async (name: string) => {
    if (!(await roles.findRole(name))) throw new CommandError(`No such role: ${name}.`);
  };
  const ensureGroup = async (name: string) => {
    if (!(await roles.findGroup(name))) throw new CommandError(`No such group: ${name}.`);
  };

  return {
    async createRole(name: string, options: { description?: string; permissions: string[] }) {
      checkName('role', name);
      const bad = options.permissions.filter((permission) => !PERMISSION.test(permission));
      if (bad.length > 0) {
        throw new UsageError(`not a permission (resource:action, lower case): ${bad.join(', ')}`);
      }
      const result = await roles.createRole(CLI, { name, ...options });
      if (!result.ok) throw failure(result);
      say(`Role "${name}" created with ${result.role.permissions.join(', ') || 'no permissions'}.`);
    },

    async listRoles() {
      for (const role of await roles.listRoles()) {
        say(
          [role.name, role.permissions.join(',') || '-', role.usersCount, role.description || '-'].join('\t'),
        );
      }
    },

    async deleteRole(name: string) {
      const result = await roles.deleteRole(CLI, name);
      if (!result.ok)
        throw result.code === 'not_found' ? new CommandError(`No such role: ${name}.`) : failure(result);
      say(`Role "${name}" deleted.`);
    },

    async grantRole(identifier: string, name: string, grant: boolean) {
      const user = await findUser(identifier);
      await ensureRole(name);
      const current = (await roles.permissionsOf(user)).roles;
      const next = grant ? [...current, name] : current.filter((role) => role !== name);
      const result = await roles.setUserRoles(CLI, user.publicId, [...new Set(next)]);
      if (!result.ok) throw failure(result);
      say(
        grant
          ? `Role "${name}" granted to ${user.username}.`
          : `Role "${name}" revoked from ${user.username}.`,
      );
    },

    async createGroup(name: string, options: { description?: string; roles: string[] }) {
      checkName('group', name);
      const result = await roles.createGroup(CLI, { name, ...options });
      if (!result.ok) throw failure(result);
      say(`Group "${name}" created with ${result.group.roles.join(', ') || 'no roles'}.`);
    },

    async listGroups() {
      for (const group of await roles.listGroups()) {
        say(
          [group.name, group.roles.join(',') || '-', group.membersCount, group.description || '-'].join('\t'),
        );
      }
    },

    async deleteGroup(name: string) {
      const result = await roles.deleteGroup(CLI, name);
      if (!result.ok)
        throw result.code === 'not_found' ? new CommandError(`No such group: ${name}.`) : failure(result);
      say(`Group "${name}" deleted.`);
    },

    async joinGroup(identifier: string, name: string, join: boolean) {
      const user = await findUser(identifier);
      await ensureGroup(name);
      const current = (await roles.permissionsOf(user)).groups;
      const next = join ? [...current, name] : current.filter((group) => group !== name);
      const result = await roles.setUserGroups(CLI, user.publicId, [...new Set(next)]);
      if (!result.ok) throw failure(result);
      say(
        join
          ? `${user.username} added to group "${name}".`
          : `${user.username} removed from group "${name}".`,
      );
    },
  };
}
