import type { Caller } from '../../core/caller.js';
import type { AuditEntry, AuditStore, NewAuditEntry } from '../../store/audit/store.js';
import type { Page } from '../../store/page.js';
import type { Session, SessionStore } from '../../store/sessions/store.js';
import type { User, UserQuery, UserStore } from '../../store/users/store.js';

export type RoleChanges = Partial<Pick<User, 'isActive' | 'isStaff' | 'isSuperuser'>>;
export type AdminFailure = { ok: false; code: 'not_found' | 'self' };

export interface AdminService {
  listUsers(query: UserQuery): Promise<Page<User>>;
  getUser(publicId: string): Promise<{ user: User; sessions: Session[] } | undefined>;
  /** One page of a user's open sessions; undefined: no such user. */
  userSessions(publicId: string, offset: number, limit: number): Promise<Page<Session> | undefined>;
  /** Deactivation ends every session of the account at once. */
  updateUser(
    admin: Caller,
    publicId: string,
    changes: RoleChanges,
  ): Promise<{ ok: true; user: User } | AdminFailure>;
  deleteUser(admin: Caller, publicId: string): Promise<{ ok: true } | AdminFailure>;
  revokeSession(admin: Caller, publicId: string, sessionId: string): Promise<{ ok: true } | AdminFailure>;
  auditLog(offset: number, limit: number): Promise<Page<AuditEntry>>;
}

export type AdminStore = Pick<UserStore, 'queryUsers' | 'findUserByPublicId' | 'updateUser' | 'deleteUser'> &
  Pick<SessionStore, 'listSessions' | 'pageSessions' | 'revokeSession'> &
  AuditStore;

const FLAGS = [
  ['isActive', 'activate', 'deactivate'],
  ['isStaff', 'grant_staff', 'revoke_staff'],
  ['isSuperuser', 'grant_superuser', 'revoke_superuser'],
] as const;

/**
 * What a superuser does to other accounts. Every change is written to the audit log (who, what, when,
 * from where) in the transaction that makes it. A superuser cannot deactivate, demote or delete
 * themselves, so nobody locks the last administrator out by mistake.
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

  return {
    listUsers: (query) => store.queryUsers(query),

    async getUser(publicId) {
      const user = await find(publicId);
      return user && { user, sessions: await store.listSessions(user.id, clock()) };
    },

    async userSessions(publicId, offset, limit) {
      const user = await find(publicId);
      return user && store.pageSessions(user.id, clock(), offset, limit);
    },

    async updateUser(admin, publicId, changes) {
      const target = await find(publicId);
      if (!target) return { ok: false, code: 'not_found' };
      const demotesSelf = changes.isActive === false || changes.isSuperuser === false;
      if (target.id === admin.user.id && demotesSelf) return { ok: false, code: 'self' };
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
      const audit = entry(admin, 'user.delete', target, clock(), { email: target.email });
      if (!(await store.deleteUser(target.id, audit))) return { ok: false, code: 'not_found' };
      return { ok: true };
    },

    async revokeSession(admin, publicId, sessionId) {
      const target = await find(publicId);
      if (!target) return { ok: false, code: 'not_found' };
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
