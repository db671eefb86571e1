import { GATEHOUSE_PERMISSIONS } from '@gatehouse/contract';
import { holds, type Authorization } from '../../core/authorization.js';
import type { Caller } from '../../core/caller.js';
import type { AuditEntry, AuditStore, NewAuditEntry } from '../../store/audit/store.js';
import type { Page } from '../../store/page.js';
import type { Session, SessionStore } from '../../store/sessions/store.js';
import type { User, UserQuery, UserStore } from '../../store/users/store.js';
import { outranks } from '../roles/outranks.js';
import { permissionsView, type PermissionsView } from '../roles/service.js';
import type { RoleStore } from '../roles/store.js';

export type RoleChanges = Partial<Pick<User, 'isActive' | 'isStaff' | 'isSuperuser'>>;
/**
 * `forbidden`: a change the caller's permissions do not cover (is_staff without users:update);
 * `escalation`: making a superuser by someone who is not one; `outranked`: an account holding
 * permissions the caller does not (`permissions`; none: a superuser's); `own_flags`: someone who is not
 * a superuser changing their own staff status.
 */
export type AdminFailure =
  | { ok: false; code: 'not_found' | 'self' | 'forbidden' | 'escalation' | 'own_flags' }
  | { ok: false; code: 'outranked'; permissions: string[] };

/** An administrator: who calls, and the permissions the route's guard read for them. */
export interface Administrator extends Caller {
  authz: Authorization;
}

export interface AdminService {
  listUsers(query: UserQuery): Promise<Page<User>>;
  getUser(
    publicId: string,
  ): Promise<{ user: User; sessions: Session[]; permissions: PermissionsView } | undefined>;
  /** One page of a user's open sessions; undefined: no such user. */
  userSessions(publicId: string, offset: number, limit: number): Promise<Page<Session> | undefined>;
  /** Deactivation ends every session of the account at once. */
  updateUser(
    admin: Administrator,
    publicId: string,
    changes: RoleChanges,
  ): Promise<{ ok: true; user: User } | AdminFailure>;
  deleteUser(admin: Administrator, publicId: string): Promise<{ ok: true } | AdminFailure>;
  revokeSession(
    admin: Administrator,
    publicId: string,
    sessionId: string,
  ): Promise<{ ok: true } | AdminFailure>;
  auditLog(offset: number, limit: number): Promise<Page<AuditEntry>>;
}

export type AdminStore = Pick<UserStore, 'queryUsers' | 'findUserByPublicId' | 'updateUser' | 'deleteUser'> &
  Pick<SessionStore, 'listSessions' | 'pageSessions' | 'revokeSession'> &
  AuditStore &
  Pick<RoleStore, 'userAuthz' | 'knownPermissions' | 'effectivePermissions'>;

const FLAGS = [
  ['isActive', 'activate', 'deactivate'],
  ['isStaff', 'grant_staff', 'revoke_staff'],
  ['isSuperuser', 'grant_superuser', 'revoke_superuser'],
] as const;

/**
 * What an administrator does to other accounts, as far as their permissions go (the routes' guards
 * check the route's permission; what depends on the change or its target is checked here). Every change is written to the audit log (who, what, when,
 * from where) in the transaction that makes it. A superuser cannot deactivate, demote or delete
 * themselves, so nobody locks the last administrator out by mistake. Nobody but a superuser acts on an
 * account holding a permission they do not hold (a superuser's holds them all), nor changes their own
 * staff status.
 */
export function createAdminService({ store, clock }: { store: AdminStore; clock: () => Date }): AdminService {
  const entry = (
    admin: Caller,
    action: string,
    target: User,
    now: Date,
    detail: Record<string, unknown> = {},
  ): NewAuditEntry => ({
    at: now,
    actorId: admin.user.id,
    actor: admin.user.username,
    action,
    targetId: target.id,
    target: target.username,
    detail,
    ip: admin.client.ip,
  });
  const find = (publicId: string) => store.findUserByPublicId(publicId);
  const outOfReach = async (admin: Administrator, target: User): Promise<AdminFailure | undefined> => {
    const permissions = await outranks(store, admin.authz, target);
    return permissions && { ok: false, code: 'outranked', permissions };
  };

  return {
    listUsers: (query) => store.queryUsers(query),

    async getUser(publicId) {
      const user = await find(publicId);
      if (!user) return undefined;
      const [sessions, permissions] = await Promise.all([
        store.listSessions(user.id, clock()),
        permissionsView(store, user),
      ]);
      return { user, sessions, permissions };
    },

    async userSessions(publicId, offset, limit) {
      const user = await find(publicId);
      return user && store.pageSessions(user.id, clock(), offset, limit);
    },

    async updateUser(admin, publicId, changes) {
      const target = await find(publicId);
      if (!target) return { ok: false, code: 'not_found' };
      // Activating and deactivating is users:deactivate's (or users:update's); the rest is not.
      if (changes.isStaff !== undefined && !holds(admin.authz, GATEHOUSE_PERMISSIONS.usersUpdate)) {
        return { ok: false, code: 'forbidden' };
      }
      if (changes.isSuperuser !== undefined && !admin.authz.superuser)
        return { ok: false, code: 'escalation' };
      const demotesSelf = changes.isActive === false || changes.isSuperuser === false;
      if (target.id === admin.user.id) {
        if (demotesSelf) return { ok: false, code: 'self' };
        const ownStaff = changes.isStaff !== undefined && changes.isStaff !== target.isStaff;
        if (ownStaff && !admin.authz.superuser) return { ok: false, code: 'own_flags' };
      }
      const refused = await outOfReach(admin, target);
      if (refused) return refused;
      const now = clock();
      const deactivates = changes.isActive === false && target.isActive;
      const updated = await store.updateUser(target.id, changes, now, {
        ...(deactivates && { endSessions: 'deactivated' }),
        audit: (sessionsEnded) =>
          FLAGS.flatMap(([flag, on, off]) => {
            const value = changes[flag];
            if (value === undefined || value === target[flag]) return [];
            const detail = flag === 'isActive' && !value ? { sessions_ended: sessionsEnded } : {};
            return [entry(admin, `user.${value ? on : off}`, target, now, detail)];
          }),
      });
      if (!updated) return { ok: false, code: 'not_found' };
      return { ok: true, user: updated };
    },

    async deleteUser(admin, publicId) {
      const target = await find(publicId);
      if (!target) return { ok: false, code: 'not_found' };
      if (target.id === admin.user.id) return { ok: false, code: 'self' };
      const refused = await outOfReach(admin, target);
      if (refused) return refused;
      const audit = entry(admin, 'user.delete', target, clock(), { email: target.email });
      if (!(await store.deleteUser(target.id, audit))) return { ok: false, code: 'not_found' };
      return { ok: true };
    },

    async revokeSession(admin, publicId, sessionId) {
      const target = await find(publicId);
      if (!target) return { ok: false, code: 'not_found' };
      const refused = await outOfReach(admin, target);
      if (refused) return refused;
      const now = clock();
      const audit = entry(admin, 'session.revoke', target, now, { session: sessionId });
      if (!(await store.revokeSession(sessionId, target.id, 'revoked_by_admin', now, audit))) {
        return { ok: false, code: 'not_found' };
      }
      return { ok: true };
    },

    auditLog: (offset, limit) => store.listAudit(offset, limit),
  };
}
