import { accountBucket, KNOWN_DEVICE_DAYS, type LoginThrottle } from '../../auth/login-throttle.js';
import type { Caller } from '../../core/caller.js';
import type { ClientInfo, IssuedSession } from '../../core/session-issuer.js';
import type { SignInFailure, SignInPipeline } from '../../core/sign-in.js';
import type { User, UserStore } from '../../store/users/store.js';
import { usernameKey } from '../../users/canonical.js';
import { refused, type Refused } from '../../users/problems.js';
import type { AccountEffects, CheckResult, NewAccount, UsersService } from '../../users/users-service.js';
import { auditBy } from '../../core/audit.js';
import type { SessionStore } from '../../store/sessions/store.js';

export type SignedIn = { ok: true; session: IssuedSession };

export interface PasswordService {
  /**
   * The password as a first factor, throttled per identifier and per client IP (growing delays, shared
   * by every server process); the sign-in pipeline then decides.
   */
  signIn(identifier: string, password: string, client: ClientInfo): Promise<SignedIn | SignInFailure>;
  /** A new account with a password, signed in. */
  signUp(account: NewAccount, client: ClientInfo): Promise<SignedIn | SignInFailure | Refused>;
  /** Needs the current password (none for an account that has none yet); ends every other session. */
  changePassword(caller: Caller, current: string, next: string): Promise<CheckResult>;
}

export interface PasswordServiceDeps {
  users: UsersService;
  throttle: LoginThrottle;
  signIn: SignInPipeline;
  store: Pick<SessionStore, 'hasSessionFrom'> & Pick<UserStore, 'changePassword' | 'findPasswordHash'>;
  clock: () => Date;
  /** What a new account causes (its verification mail), for a request from `client`. */
  accountMail?: (client: ClientInfo) => AccountEffects;
  /** Mandatory email verification: an account without an address could never sign in, so none is made. */
  requireEmail?: boolean;
  /** Mail the owner a `password_changed` notice (GATEHOUSE_SECURITY_NOTICES); `wake` once it is queued. */
  notice?: { wake: () => void };
}

/** Signing in with a password, registering with one, and changing it. */
export function createPasswordService({
  users,
  throttle,
  signIn,
  store,
  clock,
  accountMail,
  requireEmail = false,
  notice,
}: PasswordServiceDeps): PasswordService {
  const complete = (user: User, client: ClientInfo) => signIn.complete(user, { methods: ['pwd'], client });

  return {
    async signIn(identifier, password, client) {
      const candidate = await users.findCandidate(identifier);
      // One bucket per account, whichever identifier names it; an unknown one is throttled alike.
      const bucket = accountBucket(
        candidate ? { userId: candidate.user.id } : { identifierKey: usernameKey(identifier) },
      );
      return throttle.attempt(bucket, client.ip, async (reserved) => {
        if (!reserved.ok) {
          if (reserved.blocked !== 'account' || !candidate) {
            return { ok: false, code: 'throttled', retryAfter: reserved.retryAfter };
          }
          // The account is under attack: only its owner, from a device it has used before, gets in. An
          // unknown device is refused before its password is looked at, so the answer, its Retry-After
          // and its time are the same for a right and a wrong guess.
          const since = new Date(clock().getTime() - KNOWN_DEVICE_DAYS * 86400 * 1000);
          if (!(await store.hasSessionFrom(candidate.user.id, client.ip, since))) {
            return { ok: false, code: 'throttled', retryAfter: reserved.retryAfter };
          }
          const known = await users.verifyCandidate(candidate, password);
          if (!known.ok) {
            // Checked, so counted: someone sharing the owner's address is bounded by the IP's delays.
            await throttle.failedFrom(client.ip);
            return { ok: false, code: 'throttled', retryAfter: reserved.retryAfter };
          }
          // Let in, but the attack goes on: the counter stays.
          return complete(known.user, client);
        }
        const result = await users.verifyCandidate(candidate, password);
        if (!result.ok) {
          // The account's bucket counted this attempt when it was reserved.
          await throttle.failedFrom(client.ip);
          return { ok: false, code: 'invalid_credentials' };
        }
        await throttle.succeeded(bucket);
        return complete(result.user, client);
      });
    },

    async signUp(account, client) {
      if (requireEmail && !account.email) return refused('email', { code: 'required' });
      const created = await users.createAccount(account, accountMail?.(client));
      if (!created.ok) return created;
      return complete(created.user, client);
    },

    async changePassword(caller, current, next) {
      // An account without a password (a social login, a passkey) sets its first one without one.
      if ((await store.findPasswordHash(caller.user.id)) !== null) {
        if (!(await users.checkPassword(caller.user, current))) {
          return refused('current_password', { code: 'old_password_incorrect' });
        }
      }
      const hashed = await users.hashNewPassword(caller.user, next, 'new_password');
      if (!hashed.ok) return hashed;
      // The owner hears of it at their address, from where it was done: if it was not them, they know.
      const { email, id } = caller.user;
      const mail =
        notice && email
          ? [
              {
                kind: 'password_changed',
                to: email,
                userId: id,
                data: { ip: caller.client.ip, user_agent: caller.client.userAgent },
              },
            ]
          : [];
      // Whoever else holds a session may have learnt the old password: their sessions end now, in the same
      // transaction as the change, its audit entry and its notice.
      await store.changePassword({
        userId: id,
        passwordHash: hashed.hash,
        now: clock(),
        keepSession: caller.sessionId,
        audit: auditBy(caller, 'password.change', clock()),
        mail,
      });
      if (mail.length > 0) notice?.wake();
      return { ok: true };
    },
  };
}
