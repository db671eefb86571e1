import { accountBucket, type LoginThrottle } from '../../auth/login-throttle.js';
import { auditBy, auditByLink } from '../../core/audit.js';
import type { Caller } from '../../core/caller.js';
import type { OneTimeTokenData, OneTimeTokens } from '../../core/one-time-tokens/one-time-tokens.js';
import type { SecurityNotice } from '../../config.js';
import type { Mailer } from '../../mail/mailer.js';
import type { User, UserStore } from '../../store/users/store.js';
import { canonicalEmail, isValidEmail } from '../../users/canonical.js';
import { refused, type Refused } from '../../users/problems.js';
import type { UsersService } from '../../users/users-service.js';
import type { EmailChangeStore } from './store.js';

/** The purposes of the two links: confirming the new address, undoing the change from the old one. */
export const EMAIL_CHANGE = 'email_change';
export const EMAIL_CHANGE_REVERT = 'email_change_revert';
/** The old address may undo the change this long. */
export const REVERT_TTL = 7 * 86400;
/**
 * Voided by a revert: whoever changed the address may have asked, at the new address, for a password
 * reset or another change, and must not keep the link.
 */
const VOIDED_BY_REVERT = [EMAIL_CHANGE, 'password_reset', 'email_verification'];

export type LinkOutcome = { ok: true; email: string } | { ok: false; code: 'invalid_token' } | Refused;

export interface EmailChangeService {
  /**
   * Needs the password. A confirmation link goes to the new address (unless the send limits say no,
   * which the answer does not tell); the address changes only when it is followed.
   */
  request(caller: Caller, email: string, password: string): Promise<{ ok: true } | Refused>;
  /** The new address proved: the account takes it, and the old one is told, with a link to undo it. */
  confirm(token: string, ip: string): Promise<LinkOutcome>;
  /** The old address back, every session ended. */
  revert(token: string, ip: string): Promise<LinkOutcome>;
}

export interface EmailChangeServiceDeps {
  users: Pick<UsersService, 'checkPassword'>;
  throttle: Pick<LoginThrottle, 'failed'>;
  oneTimeTokens: Pick<OneTimeTokens, 'consume'>;
  mail: Pick<Mailer, 'allowSend' | 'wake'>;
  store: EmailChangeStore & Pick<UserStore, 'findUserById'>;
  clock: () => Date;
  notices: readonly SecurityNotice[];
}

export function createEmailChangeService({
  users,
  throttle,
  oneTimeTokens,
  mail,
  store,
  clock,
  notices,
}: EmailChangeServiceDeps): EmailChangeService {
  const invalid = { ok: false, code: 'invalid_token' } as const;

  /** The account a link names and the addresses it carries; anything else in it is refused. */
  const follow = async (purpose: string, token: string) => {
    const consumed = await oneTimeTokens.consume(purpose, token);
    if (!consumed.ok || consumed.userId === null) return undefined;
    const addresses = linkAddresses(consumed.data);
    const user = addresses && (await store.findUserById(consumed.userId));
    return user && addresses && { user, ...addresses };
  };

  return {
    async request(caller, email, password) {
      const address = canonicalEmail(email);
      if (address === '') return refused('email', { code: 'blank' });
      if (!isValidEmail(address)) return refused('email', { code: 'invalid_email' });
      if (!(await users.checkPassword(caller.user, password))) {
        // A guess at the password, like a failed login: it counts toward the account's and the IP's delays.
        await throttle.failed(accountBucket({ userId: caller.user.id }), caller.client.ip);
        return refused('password', { code: 'password_incorrect' });
      }
      if (address === caller.user.email) return refused('email', { code: 'same_email' });
      if (await store.isEmailTaken(address, caller.user.id)) {
        return refused('email', { code: 'unique', params: { field: 'email' } });
      }
      // Over a limit the answer is the same, and nothing is sent: the limits protect the new address's owner.
      if (!(await mail.allowSend(address, caller.client.ip))) return { ok: true };
      const now = clock();
      await store.recordEmailChangeRequest(
        auditBy(caller, 'email.change_requested', now, { new_email: address }),
        { kind: 'email_change_confirm', to: address, userId: caller.user.id, data: { new_email: address } },
        now,
      );
      mail.wake();
      return { ok: true };
    },

    async confirm(token, ip) {
      const link = await follow(EMAIL_CHANGE, token);
      if (!link) return invalid;
      const { user, oldEmail, newEmail } = link;
      const now = clock();
      // The old address is told, and given the way back; an account that had none has no one to tell.
      const notify = notices.includes('email_changed') && oldEmail ? oldEmail : undefined;
      const changed = await store.changeEmail({
        userId: user.id,
        from: oldEmail,
        to: newEmail,
        now,
        audit: auditByLink(user, 'email.changed', now, ip, { old_email: oldEmail, new_email: newEmail }),
        ...(notify !== undefined && {
          mail: (changedUser: User) => [
            {
              kind: 'email_changed',
              to: notify,
              userId: changedUser.id,
              data: { old_email: oldEmail, new_email: newEmail },
            },
          ],
        }),
      });
      if (!changed.ok) {
        return changed.reason === 'taken'
          ? refused('email', { code: 'unique', params: { field: 'email' } })
          : invalid;
      }
      if (notify !== undefined) mail.wake();
      return { ok: true, email: changed.user.email ?? newEmail };
    },

    async revert(token, ip) {
      const link = await follow(EMAIL_CHANGE_REVERT, token);
      if (!link || link.oldEmail === null) return invalid;
      const { user, oldEmail, newEmail } = link;
      const now = clock();
      // Whoever changed the address signed in: every session ends, and their pending links are void.
      const reverted = await store.changeEmail({
        userId: user.id,
        from: newEmail,
        to: oldEmail,
        now,
        audit: auditByLink(user, 'email.change_reverted', now, ip, {
          old_email: oldEmail,
          new_email: newEmail,
        }),
        endSessions: 'email_change_reverted',
        revokeTokens: VOIDED_BY_REVERT,
      });
      if (!reverted.ok) {
        return reverted.reason === 'taken'
          ? refused('email', { code: 'unique', params: { field: 'email' } })
          : invalid;
      }
      return { ok: true, email: oldEmail };
    },
  };
}

/** A link's addresses: the new one always, the old one null when the account had none. */
function linkAddresses(
  data: OneTimeTokenData | null,
): { oldEmail: string | null; newEmail: string } | undefined {
  const newEmail = data?.['new_email'];
  const oldEmail = data?.['old_email'] ?? null;
  if (typeof newEmail !== 'string' || (oldEmail !== null && typeof oldEmail !== 'string')) return undefined;
  return { oldEmail, newEmail };
}
