import { auditByLink } from '../../core/audit.js';
import { accountBucket } from '../../auth/login-throttle.js';
import type { LoginThrottle } from '../../auth/login-throttle.js';
import type { MailConfig } from '../../config.js';
import type { OneTimeTokens } from '../../core/one-time-tokens/one-time-tokens.js';
import type { ClientInfo } from '../../core/session-issuer.js';
import type { Mailer } from '../../mail/mailer.js';
import type { User, UserStore } from '../../store/users/store.js';
import { canonicalEmail } from '../../users/canonical.js';
import type { Refused } from '../../users/problems.js';
import type { AccountEffects, UsersService } from '../../users/users-service.js';
import type { EmailStore } from './store.js';

export type InvalidToken = { ok: false; code: 'invalid_token' };

export interface EmailService {
  /** Spends an `email_verification` link's token and marks the address it was sent to verified. */
  verify(token: string, client: ClientInfo): Promise<{ ok: true; email: string } | InvalidToken>;
  /** A new link for the signed-in user, unless there is nothing to verify or the send limits say no. */
  resend(user: User, ip: string): Promise<void>;
  /**
   * A new link for whoever uses `address`, asked anonymously (an account that mandatory verification
   * keeps out). The account is not looked up here: the same work is done for any address, and the
   * message's composer decides, when it is sent, whether there is anything to send.
   */
  resendTo(address: string, ip: string): Promise<void>;
  /** As resendTo: a reset link for whoever uses `address`, if anyone does. */
  requestPasswordReset(address: string, ip: string): Promise<void>;
  /**
   * The new password is checked against the policy before the token is spent, so a refused password
   * does not burn the link. Then every session of the user ends; no session starts.
   */
  confirmPasswordReset(
    token: string,
    newPassword: string,
    client: ClientInfo,
  ): Promise<{ ok: true } | InvalidToken | Refused>;
  /** What a new account causes: its verification mail, under the send limits, unless verification is off. */
  accountMail(client: ClientInfo): AccountEffects;
}

export interface EmailServiceDeps {
  config: MailConfig;
  store: EmailStore & Pick<UserStore, 'changePassword'>;
  oneTimeTokens: Pick<OneTimeTokens, 'peek' | 'consume'>;
  mail: Pick<Mailer, 'enqueue' | 'wake' | 'allowSend'>;
  users: Pick<UsersService, 'hashNewPassword'>;
  throttle: Pick<LoginThrottle, 'succeeded'>;
  clock: () => Date;
}

const INVALID: InvalidToken = { ok: false, code: 'invalid_token' };

export function createEmailService({
  config,
  store,
  oneTimeTokens,
  mail,
  users,
  throttle,
  clock,
}: EmailServiceDeps): EmailService {
  const verificationOn = config.emailVerification !== 'none';

  /** The live token's user, if the account is active and still has the address the link went to. */
  const holderOf = async (userId: number | null, data: Record<string, unknown> | null) => {
    const email = data?.['email'];
    if (userId === null || typeof email !== 'string') return undefined;
    const user = await store.findUserById(userId);
    return user && user.isActive && user.email === email ? user : undefined;
  };

  return {
    async verify(token, client) {
      const consumed = await oneTimeTokens.consume('email_verification', token);
      if (!consumed.ok) return INVALID;
      const user = await holderOf(consumed.userId, consumed.data);
      if (!user?.email) return INVALID;
      const marked = await store.markEmailVerified(
        user.id,
        user.email,
        clock(),
        auditByLink(user, 'email.verify', clock(), client.ip, { email: user.email }),
      );
      return marked?.email ? { ok: true, email: marked.email } : INVALID;
    },

    async resend(user, ip) {
      if (!verificationOn || user.email === null || user.emailVerified) return;
      if (!(await mail.allowSend(user.email, ip))) return;
      await mail.enqueue({ kind: 'verify_email', to: user.email, userId: user.id });
    },

    async resendTo(address, ip) {
      if (!verificationOn) return;
      const to = canonicalEmail(address);
      if (!(await mail.allowSend(to, ip))) return;
      await mail.enqueue({ kind: 'verify_email', to, userId: null });
    },

    async requestPasswordReset(address, ip) {
      const to = canonicalEmail(address);
      if (!(await mail.allowSend(to, ip))) return;
      await mail.enqueue({ kind: 'password_reset', to, userId: null, data: {} });
    },

    async confirmPasswordReset(token, newPassword, client) {
      const found = await oneTimeTokens.peek('password_reset', token);
      if (!found.ok) return INVALID;
      const user = await holderOf(found.userId, found.data);
      if (!user?.email) return INVALID;
      const hashed = await users.hashNewPassword(user, newPassword, 'new_password');
      if (!hashed.ok) return hashed;
      // Single use is decided here, by the database: of two concurrent confirms one gets past this.
      const consumed = await oneTimeTokens.consume('password_reset', token);
      if (!consumed.ok || consumed.userId !== user.id) return INVALID;
      const now = clock();
      const notice = config.notices.includes('password_reset');
      // Whoever holds a session may be who made the reset necessary: every session ends, in the
      // transaction of the change, and the link proved the address.
      await store.changePassword({
        userId: user.id,
        passwordHash: hashed.hash,
        now,
        audit: auditByLink(user, 'password.reset', now, client.ip),
        verifiedEmail: user.email,
        ...(notice && { mail: [{ kind: 'password_reset_done', to: user.email, userId: user.id }] }),
      });
      if (notice) mail.wake();
      // The owner proved who they are: failed logins counted against the account are forgotten.
      await throttle.succeeded(accountBucket({ userId: user.id }));
      return { ok: true };
    },

    accountMail(client) {
      // Decided once per request: tutorial C's registration may try several usernames for one account.
      let allowed: Promise<boolean> | undefined;
      let queued = false;
      return {
        async prepare({ email }) {
          if (!verificationOn || email === null) return {};
          allowed ??= mail.allowSend(email, client.ip);
          if (!(await allowed)) return {};
          return {
            mail: (user) => {
              if (user.email === null) return [];
              queued = true;
              return [{ kind: 'verify_email', to: user.email, userId: user.id }];
            },
          };
        },
        created() {
          if (queued) mail.wake();
        },
      };
    },
  };
}
