import type {
  GroupCreateRequest,
  GroupDetailResponse,
  GroupResponse,
  GroupUpdateRequest,
  PermissionsResponse,
  RoleCreateRequest,
  RoleResponse,
  RoleUpdateRequest,
} from '@gatehouse/contract';
import type { AuthClient } from './auth-client.js';
import { errorFromResponse, unexpectedResponse } from './errors.js';
import { readJson } from './http.js';

/** The signed-in user's own roles and permissions: what a page may show them. */
export interface MyPermissions {
  /**
   * `GET /api/users/me/permissions/`: direct `roles`, `groups`, `effective_roles` and the effective
   * `permissions` (every one known for a superuser, with `is_superuser` true). Read from the database: a
   * change shows at once, unlike the access token's claims.
   */
  getMyPermissions(): Promise<PermissionsResponse>;
}

/**
 * Roles, groups and their assignment (`roles:manage`). Nobody grants a permission they do not hold:
 * the server answers `permission_escalation` (403); without `roles:manage`, `permission_denied`.
 */
export interface RolesAdmin {
  listRoles(): Promise<RoleResponse[]>;
  getRole(name: string): Promise<RoleResponse>;
  createRole(role: RoleCreateRequest): Promise<RoleResponse>;
  /** `permissions`, when given, replaces the set. */
  updateRole(name: string, changes: RoleUpdateRequest): Promise<RoleResponse>;
  deleteRole(name: string): Promise<void>;
  listGroups(): Promise<GroupResponse[]>;
  /** The group and its members. */
  getGroup(name: string): Promise<GroupDetailResponse>;
  createGroup(group: GroupCreateRequest): Promise<GroupResponse>;
  /** `roles`, when given, replaces the set. */
  updateGroup(name: string, changes: GroupUpdateRequest): Promise<GroupResponse>;
  deleteGroup(name: string): Promise<void>;
  /** The whole membership, by the users' public ids. */
  setGroupMembers(name: string, userIds: readonly string[]): Promise<void>;
  /** The user's direct roles, replaced (their detail, `getUser`, then shows the effective permissions). */
  setUserRoles(userId: string, roles: readonly string[]): Promise<void>;
  /** The user's groups, replaced. */
  setUserGroups(userId: string, groups: readonly string[]): Promise<void>;
}

export type RolesClient = RolesAdmin & MyPermissions;

const role = (name: string) => `/api/roles/${encodeURIComponent(name)}/`;
const group = (name: string) => `/api/groups/${encodeURIComponent(name)}/`;
const user = (id: string) => `/api/users/${encodeURIComponent(id)}/`;

/**
 * The roles and groups API, and the signed-in user's permissions, over the client's authenticated fetch
 * (the access token, refreshed as needed). A function of its own rather than methods of the client: an
 * app's login page, which never imports it, does not carry it.
 *
 * @example
 * const roles = createRolesClient(auth);
 * const { permissions, is_superuser } = await roles.getMyPermissions();
 * await roles.createRole({ name: 'support', permissions: ['users:read', 'users:deactivate'] });
 * await roles.setUserRoles(publicId, ['support']);
 */
export function createRolesClient(
  client: Pick<AuthClient, 'fetch'>,
  options: { now?: () => number } = {},
): RolesClient {
  const now = options.now ?? Date.now;
  async function signedIn(method: string, path: string, body?: object): Promise<unknown> {
    const headers = new Headers({ accept: 'application/json' });
    if (body !== undefined) headers.set('content-type', 'application/json');
    const init: RequestInit = { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) };
    const response = await client.fetch(path, init);
    if (!response.ok) throw await errorFromResponse(response, now());
    return readJson(response);
  }
  const one = async <T>(what: string, answer: Promise<unknown>) => readNamed<T>(what, await answer);
  const list = async <T>(what: string, answer: Promise<unknown>) => {
    const body = await answer;
    if (!Array.isArray(body)) throw unexpected(`no list of ${what}s`);
    return body.map((item) => readNamed<T>(what, item));
  };

  return {
    getMyPermissions: async () => readPermissions(await signedIn('GET', '/api/users/me/permissions/')),
    listRoles: () => list<RoleResponse>('role', signedIn('GET', '/api/roles/')),
    getRole: (name) => one<RoleResponse>('role', signedIn('GET', role(name))),
    createRole: (input) => one<RoleResponse>('role', signedIn('POST', '/api/roles/', input)),
    updateRole: (name, changes) => one<RoleResponse>('role', signedIn('PATCH', role(name), changes)),
    async deleteRole(name) {
      await signedIn('DELETE', role(name));
    },
    listGroups: () => list<GroupResponse>('group', signedIn('GET', '/api/groups/')),
    getGroup: (name) => one<GroupDetailResponse>('group', signedIn('GET', group(name))),
    createGroup: (input) => one<GroupResponse>('group', signedIn('POST', '/api/groups/', input)),
    updateGroup: (name, changes) => one<GroupResponse>('group', signedIn('PATCH', group(name), changes)),
    async deleteGroup(name) {
      await signedIn('DELETE', group(name));
    },
    async setGroupMembers(name, users) {
      await signedIn('PUT', `${group(name)}members/`, { users });
    },
    async setUserRoles(id, roles) {
      await signedIn('PUT', `${user(id)}roles/`, { roles });
    },
    async setUserGroups(id, groups) {
      await signedIn('PUT', `${user(id)}groups/`, { groups });
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const unexpected = (what: string) => unexpectedResponse(200, `The server's answer has ${what}.`);

function readNamed<T>(what: string, body: unknown): T {
  if (!isRecord(body) || typeof body['name'] !== 'string') throw unexpected(`no ${what}`);
  return body as T;
}

function readPermissions(body: unknown): PermissionsResponse {
  const strings = (value: unknown) => Array.isArray(value) && value.every((item) => typeof item === 'string');
  if (!isRecord(body) || !strings(body['permissions']) || !strings(body['roles'])) {
    throw unexpected('no permissions');
  }
  return body as unknown as PermissionsResponse;
}
