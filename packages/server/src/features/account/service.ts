import type { Caller } from '../../core/caller.js';
import type { AuditEntry, AuditStore } from '../../store/audit/store.js';
import type { Page } from '../../store/page.js';
import type { User, UserChanges, UserStore } from '../../store/users/store.js';
import { refused } from '../../users/problems.js';
import type { CheckResult, UsersService } from '../../users/users-service.js';
import { auditBy } from '../../core/audit.js';
import { isRecentlyAuthenticated } from '../../core/recent-auth.js';

/** Django's mark of an unusable password (`set_unusable_password`), kept as imported: no password. */
const UNUSABLE_PASSWORD_PREFIX = '!';

export interface AccountService {
  updateProfile(
    user: User,
    changes: Pick<UserChanges, 'firstName' | 'lastName' | 'profileEmail'>,
  ): Promise<User>;
  /**
   * Needs the password; an account without a usable one (a provider's, a passkey's, Django's `!`),
   * a recent sign-in instead.
   */
  deleteAccount(
    caller: Caller,
    password: string | undefined,
  ): Promise<CheckResult | { ok: false; reauthenticate: true }>;
  /**
   * What happened to the caller's account: reuse detection, password changes, administrators' actions
   * (by name unless `showActors` is false, never with their address).
   */
  securityEvents(caller: Caller, offset: number, limit: number): Promise<Page<AuditEntry>>;
}

/** What a signed-in user does to their own account. */
export function createAccountService({
  users,
  store,
  clock,
  reauthenticationWindow,
  showActors = true,
}: {
  users: UsersService;
  store: Pick<UserStore, 'updateUser' | 'deleteUser' | 'findPasswordHash'> & AuditStore;
  clock: () => Date;
  /** GATEHOUSE_REAUTHENTICATION_WINDOW, seconds: how recent a sign-in confirms a deletion without a password. */
  reauthenticationWindow: number;
  /** GATEHOUSE_EVENTS_SHOW_ACTOR: name whoever else acted on the account. */
  showActors?: boolean;
}): AccountService {
  return {
    async updateProfile(user, changes) {
      return (await store.updateUser(user.id, changes, clock())) ?? user;
    },

    async deleteAccount(caller, password) {
      const hash = await store.findPasswordHash(caller.user.id);
      if (typeof hash === 'string' && !hash.startsWith(UNUSABLE_PASSWORD_PREFIX)) {
        if (password === undefined) return refused('password', { code: 'required' });
        if (!(await users.checkPassword(caller.user, password))) {
          return refused('password', { code: 'password_incorrect' });
        }
      } else if (!isRecentlyAuthenticated(caller, clock(), reauthenticationWindow)) {
        return { ok: false, reauthenticate: true };
      }
      await store.deleteUser(caller.user.id, auditBy(caller, 'account.delete', clock()));
      return { ok: true };
    },

    async securityEvents(caller, offset, limit) {
      const page = await store.listAudit(offset, limit, caller.user.id);
      // Where an administrator acted, the address is the administrator's, not the user's to see; nor the
      // name, where the deployer says so.
      const items = page.items.map((entry) =>
        entry.actorId === caller.user.id
          ? entry
          : { ...entry, ip: '', ...(!showActors && entry.actorId !== null && { actor: '' }) },
      );
      return { count: page.count, items };
    },
  };
}
