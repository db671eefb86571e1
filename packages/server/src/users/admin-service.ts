import type { AuditEntry, Page, Session, Store, User, UserQuery } from '../store/store.js';
import type { Caller } from './accounts-service.js';

export type RoleChanges = Partial<Pick<User, 'isActive' | 'isStaff' | 'isSuperuser'>>;
export type AdminFailure = { ok: false; code: 'not_found' | 'self' };

export interface AdminService {
  listUsers(query: UserQuery): Promise<Page<User>>;
  getUser(publicId: string): Promise<{ user: User; sessions: Session[] } | undefined>;
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

/**
 * What a superuser does to other accounts. Every change is written to the audit log (who, what, when,
 * from where). A superuser cannot deactivate, demote or delete themselves, so nobody locks the last
 * administrator out by mistake.
 */
export function createAdminService({ store, clock }: { store: Store; clock: () => Date }): AdminService {
  const audit = (admin: Caller, action: string, target: User, detail: Record<string, unknown> = {}) =>
    store.recordAudit({
      at: clock(),
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

    async updateUser(admin, publicId, changes) {
      const target = await find(publicId);
      if (!target) return { ok: false, code: 'not_found' };
      const demotesSelf = changes.isActive === false || changes.isSuperuser === false;
      if (target.id === admin.user.id && demotesSelf) return { ok: false, code: 'self' };
      const updated = await store.updateUser(target.id, changes, clock());
      if (!updated) return { ok: false, code: 'not_found' };
      const flags = [
        ['isActive', 'activate', 'deactivate'],
        ['isStaff', 'grant_staff', 'revoke_staff'],
        ['isSuperuser', 'grant_superuser', 'revoke_superuser'],
      ] as const;
      for (const [flag, on, off] of flags) {
        const value = changes[flag];
        if (value === undefined || value === target[flag]) continue;
        const detail =
          flag === 'isActive' && !value
            ? { sessions_ended: await store.revokeUserSessions(target.id, 'deactivated', clock()) }
            : {};
        await audit(admin, `user.${value ? on : off}`, target, detail);
      }
      return { ok: true, user: updated };
    },

    async deleteUser(admin, publicId) {
      const target = await find(publicId);
      if (!target) return { ok: false, code: 'not_found' };
      if (target.id === admin.user.id) return { ok: false, code: 'self' };
      await audit(admin, 'user.delete', target, { email: target.email });
      await store.deleteUser(target.id);
      return { ok: true };
    },

    async revokeSession(admin, publicId, sessionId) {
      const target = await find(publicId);
      if (!target || !(await store.revokeSession(sessionId, target.id, 'revoked_by_admin', clock()))) {
        return { ok: false, code: 'not_found' };
      }
      await audit(admin, 'session.revoke', target, { session: sessionId });
      return { ok: true };
    },

    auditLog: (offset, limit) => store.listAudit(offset, limit),
  };
}
