import type { Caller } from '../../core/caller.js';
import type { Page } from '../../store/page.js';
import type { Session, SessionStore } from '../../store/sessions/store.js';
import { auditBy } from '../../core/audit.js';

export interface SessionsService {
  /** Ends every session, this one included; how many. */
  logoutEverywhere(caller: Caller): Promise<number>;
  listSessions(caller: Caller): Promise<Session[]>;
  pageSessions(caller: Caller, offset: number, limit: number): Promise<Page<Session>>;
  /** Ends one of the caller's own sessions; false if it is not theirs or already ended. */
  endSession(caller: Caller, sessionId: string): Promise<boolean>;
}

export function createSessionsService({
  store,
  clock,
}: {
  store: Pick<SessionStore, 'revokeUserSessions' | 'listSessions' | 'pageSessions' | 'revokeSession'>;
  clock: () => Date;
}): SessionsService {
  return {
    logoutEverywhere(caller) {
      const now = clock();
      const audit = auditBy(caller, 'sessions.logout_everywhere', now);
      return store.revokeUserSessions(caller.user.id, 'logout_everywhere', now, undefined, audit);
    },
    listSessions: (caller) => store.listSessions(caller.user.id, clock()),
    pageSessions: (caller, offset, limit) => store.pageSessions(caller.user.id, clock(), offset, limit),
    endSession: (caller, sessionId) =>
      store.revokeSession(sessionId, caller.user.id, 'revoked_by_user', clock()),
  };
}
