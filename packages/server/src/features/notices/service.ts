import type { OneTimeTokens } from '../../core/one-time-tokens/one-time-tokens.js';
import type { SessionStore } from '../../store/sessions/store.js';
import type { UserStore } from '../../store/users/store.js';
import { auditByLink } from '../../core/audit.js';
import { END_SESSIONS } from './composers.js';

export interface NoticesService {
  /** The link of a reuse notice: every session of its user ends; how many. */
  endAllSessions(
    token: string,
    ip: string,
  ): Promise<{ ok: true; ended: number } | { ok: false; code: 'invalid_token' }>;
}

export function createNoticesService({
  oneTimeTokens,
  store,
  clock,
}: {
  oneTimeTokens: Pick<OneTimeTokens, 'consume'>;
  store: Pick<SessionStore, 'revokeUserSessions'> & Pick<UserStore, 'findUserById'>;
  clock: () => Date;
}): NoticesService {
  return {
    async endAllSessions(token, ip) {
      const consumed = await oneTimeTokens.consume(END_SESSIONS, token);
      const user =
        consumed.ok && consumed.userId !== null ? await store.findUserById(consumed.userId) : undefined;
      if (!user) return { ok: false, code: 'invalid_token' };
      const now = clock();
      const ended = await store.revokeUserSessions(
        user.id,
        'ended_by_link',
        now,
        undefined,
        auditByLink(user, 'sessions.ended_by_link', now, ip, {}),
      );
      return { ok: true, ended };
    },
  };
}
