import type { OneTimeTokens } from '../../core/one-time-tokens/one-time-tokens.js';
import type { Composer } from '../../mail/mailer.js';
import type { UserStore } from '../../store/users/store.js';
import { duration, mailTime, tokenLink } from '../notices/mail-text.js';
import { EMAIL_CHANGE, EMAIL_CHANGE_REVERT, REVERT_TTL } from './service.js';

export interface EmailChangeComposerDeps {
  store: Pick<UserStore, 'findUserById'>;
  oneTimeTokens: Pick<OneTimeTokens, 'issue'>;
  publicUrl: string;
  /** Seconds the confirmation link lives (GATEHOUSE_EMAIL_CHANGE_TTL). */
  ttl: number;
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/**
 * `email_change_confirm`, to the new address: the link that proves it. Minted when sent, replacing any
 * earlier one, and bound to the address the account has then: a change made meanwhile voids it.
 */
export function emailChangeConfirmComposer({
  store,
  oneTimeTokens,
  publicUrl,
  ttl,
}: EmailChangeComposerDeps): Composer {
  return async (mail) => {
    const user = mail.userId === null ? undefined : await store.findUserById(mail.userId);
    if (!user) return { skip: 'no such account' };
    const newEmail = text(mail.data['new_email']);
    if (newEmail === '' || newEmail !== mail.to) return { skip: 'no new address' };
    if (user.email === newEmail) return { skip: 'the account has this address already' };
    const { token } = await oneTimeTokens.issue({
      purpose: EMAIL_CHANGE,
      userId: user.id,
      ttlSeconds: ttl,
      replace: true,
      data: { new_email: newEmail, old_email: user.email },
    });
    return {
      variables: {
        username: user.username,
        new_email: newEmail,
        link: tokenLink(publicUrl, 'confirm-email', token),
        expires_in: duration(ttl),
      },
    };
  };
}

/**
 * `email_changed`, to the old address: what happened, and a link that undoes it (and ends every
 * session) for seven days. Sent even when the address has changed again since: its owner is to know;
 * the link then refuses.
 */
export function emailChangedComposer({
  store,
  oneTimeTokens,
  publicUrl,
}: Omit<EmailChangeComposerDeps, 'ttl'>): Composer {
  return async (mail) => {
    const user = mail.userId === null ? undefined : await store.findUserById(mail.userId);
    if (!user) return { skip: 'no such account' };
    const oldEmail = text(mail.data['old_email']);
    const newEmail = text(mail.data['new_email']);
    const { token } = await oneTimeTokens.issue({
      purpose: EMAIL_CHANGE_REVERT,
      userId: user.id,
      ttlSeconds: REVERT_TTL,
      data: { old_email: oldEmail, new_email: newEmail },
    });
    return {
      variables: {
        username: user.username,
        old_email: oldEmail,
        new_email: newEmail,
        link: tokenLink(publicUrl, 'revert-email', token),
        time: mailTime(mail.createdAt),
      },
    };
  };
}
