import type { FieldErrors } from '@gatehouse/contract';
import type { ClientInfo, TokenPair, TokenService } from '../auth/tokens.js';
import type { AuditEntry, Page, Session, Store, User, UserChanges } from '../store/store.js';
import { KNOWN_DEVICE_DAYS, type LoginThrottle } from '../auth/login-throttle.js';
import { canonicalEmail, usernameKey } from './canonical.js';
import type { CheckResult, CreateAccountResult, NewAccount, UsersService } from './users-service.js';

/** A signed-in caller: the account and the session its access token belongs to. */
export interface Caller {
  user: User;
  sessionId: string;
  client: ClientInfo;
}

export type SignedIn = { ok: true; user: User; tokens: TokenPair };
export type SignInFailure =
  { ok: false; code: 'invalid_credentials' } | { ok: false; code: 'throttled'; retryAfter: number };

export interface AccountsService {
  /** Throttled per identifier and per client IP (growing delays, shared by every server process). */
  signIn(identifier: string, password: string, client: ClientInfo): Promise<SignedIn | SignInFailure>;
  signUp(account: NewAccount, client: ClientInfo): Promise<SignedIn | { ok: false; errors: FieldErrors }>;
  /** Tutorial C's registration: a name and an email, which also serves as the username. No session. */
  registerByEmail(name: string, email: string, password: string): Promise<CreateAccountResult>;
  updateProfile(
    user: User,
    changes: Pick<UserChanges, 'firstName' | 'lastName' | 'profileEmail'>,
  ): Promise<User>;
  /** Needs the current password; ends every other session of the account. */
  changePassword(caller: Caller, current: string, next: string): Promise<CheckResult>;
  /** Needs the password. */
  deleteAccount(caller: Caller, password: string): Promise<CheckResult>;
  /** Ends every session, this one included. */
  logoutEverywhere(caller: Caller): Promise<number>;
  listSessions(caller: Caller): Promise<Session[]>;
  /** What happened to the caller's account: reuse detection, password changes, administrators' actions. */
  securityEvents(caller: Caller, offset: number, limit: number): Promise<Page<AuditEntry>>;
  /** Ends one of the caller's own sessions; false if it is not theirs or already ended. */
  endSession(caller: Caller, sessionId: string): Promise<boolean>;
}

export interface AccountsServiceDeps {
  users: UsersService;
  throttle: LoginThrottle;
  tokens: TokenService;
  store: Store;
  clock: () => Date;
}

/** What a signed-in user does to their own account: the use cases behind Gatehouse's account API. */
export function createAccountsService({
  users,
  throttle,
  tokens,
  store,
  clock,
}: AccountsServiceDeps): AccountsService {
  const audit = (caller: Caller, action: string, detail: Record<string, unknown> = {}) =>
    store.recordAudit({
      at: clock(),
      actorId: caller.user.id,
      actor: caller.user.username,
      action,
      targetId: caller.user.id,
      target: caller.user.username,
      detail,
      ip: caller.client.ip,
    });

  return {
    async signIn(identifier, password, client) {
      const key = usernameKey(identifier);
      const blocks = await throttle.check(key, client.ip);
      // A blocked IP costs nothing more: no password hashing for it.
      if (blocks.ip !== undefined) return { ok: false, code: 'throttled', retryAfter: blocks.ip };
      const result = await users.authenticate(identifier, password);
      if (blocks.account !== undefined) {
        // The account is under attack: only its owner, from a device it has used before, gets in. The
        // answer is the same for a right and a wrong password, so it teaches the attacker nothing.
        const since = new Date(clock().getTime() - KNOWN_DEVICE_DAYS * 86400 * 1000);
        if (!result.ok || !(await store.hasSessionFrom(result.user.id, client.ip, since))) {
          if (!result.ok) await throttle.failed(key, client.ip);
          return { ok: false, code: 'throttled', retryAfter: blocks.account };
        }
        // Let in, but the attack goes on: the counter stays.
        return { ok: true, user: result.user, tokens: await tokens.issuePair(result.user, client) };
      }
      if (!result.ok) {
        await throttle.failed(key, client.ip);
        return { ok: false, code: 'invalid_credentials' };
      }
      await throttle.succeeded(key);
      return { ok: true, user: result.user, tokens: await tokens.issuePair(result.user, client) };
    },

    async signUp(account, client) {
      const created = await users.createAccount(account);
      if (!created.ok) return created;
      return { ok: true, user: created.user, tokens: await tokens.issuePair(created.user, client) };
    },

    async registerByEmail(name, email, password) {
      // The email is the username, made valid as one and suffixed when another account already has it.
      // That username is internal: its conflicts are never reported to the client.
      const base = canonicalEmail(email).replace(/[^\p{L}\p{M}\p{N}@.+_-]/gu, '_');
      for (let attempt = 1; ; attempt++) {
        const username = attempt === 1 ? base : `${base}-${attempt}`;
        const result = await users.createAccount({ username, email, password, name });
        if (result.ok) return result;
        const { username: usernameErrors, ...others } = result.errors;
        const taken = usernameErrors?.[0]?.startsWith('user with this username') ?? false;
        if (!taken || Object.keys(others).length > 0 || attempt === 5) {
          return { ok: false, errors: Object.keys(others).length > 0 ? others : result.errors };
        }
      }
    },

    async updateProfile(user, changes) {
      return (await store.updateUser(user.id, changes, clock())) ?? user;
    },

    async changePassword(caller, current, next) {
      const checked = await users.checkPassword(
        caller.user,
        current,
        'current_password',
        'Your old password was entered incorrectly. Please enter it again.',
      );
      if (!checked.ok) return checked;
      const changed = await users.setPassword(caller.user, next, 'new_password');
      if (!changed.ok) return changed;
      // Whoever else holds a session may have learnt the old password: their sessions end now.
      const ended = await store.revokeUserSessions(
        caller.user.id,
        'password_changed',
        clock(),
        caller.sessionId,
      );
      await audit(caller, 'password.change', { sessions_ended: ended });
      return { ok: true };
    },

    async deleteAccount(caller, password) {
      const checked = await users.checkPassword(caller.user, password, 'password', 'Incorrect password.');
      if (!checked.ok) return checked;
      await audit(caller, 'account.delete');
      await store.deleteUser(caller.user.id);
      return { ok: true };
    },

    async logoutEverywhere(caller) {
      const ended = await store.revokeUserSessions(caller.user.id, 'logout_everywhere', clock());
      await audit(caller, 'sessions.logout_everywhere', { sessions_ended: ended });
      return ended;
    },

    listSessions: (caller) => store.listSessions(caller.user.id, clock()),

    securityEvents: (caller, offset, limit) => store.listAudit(offset, limit, caller.user.id),

    endSession: (caller, sessionId) =>
      store.revokeSession(sessionId, caller.user.id, 'revoked_by_user', clock()),
  };
}
