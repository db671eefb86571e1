import type { MailConfig } from '../../config.js';
import type { OneTimeTokens } from '../../core/one-time-tokens/one-time-tokens.js';
import type { Composer, Mailer } from '../../mail/mailer.js';
import type { User } from '../../store/users/store.js';
import type { EmailStore } from './store.js';

export interface ComposerDeps {
  config: MailConfig;
  store: Pick<EmailStore, 'findUserById' | 'findUserByEmail'>;
  oneTimeTokens: Pick<OneTimeTokens, 'issue'>;
}

/**
 * The messages of verification and password reset, filled when they are sent: the link's token is minted
 * then (a new one on every try, replacing the last), for the account as it is then. A message whose
 * account is gone, deactivated, no longer at this address, or (for verification) verified already is
 * skipped: nothing is sent. A link carries its token in the fragment, which browsers send to no server
 * and put in no Referer.
 */
export function defineEmailMail(mail: Pick<Mailer, 'define'>, deps: ComposerDeps): void {
  const { config, store, oneTimeTokens } = deps;
  const link = (page: string, token: string) => `${config.publicUrl}/${page}#token=${token}`;

  /** The account a message is for: by id when it was queued for one, else by the address it goes to. */
  const recipient = async (mail: { userId: number | null; to: string }): Promise<User | string> => {
    const user =
      mail.userId === null ? await store.findUserByEmail(mail.to) : await store.findUserById(mail.userId);
    if (!user) return 'no such account';
    if (!user.isActive) return 'the account is deactivated';
    if (user.email !== mail.to) return 'the account has another address now';
    return user;
  };

  const verifyEmail: Composer = async (message) => {
    if (config.emailVerification === 'none') return { skip: 'email verification is off' };
    const user = await recipient(message);
    if (typeof user === 'string') return { skip: user };
    if (user.emailVerified) return { skip: 'the address is verified already' };
    const { token } = await oneTimeTokens.issue({
      purpose: 'email_verification',
      userId: user.id,
      ttlSeconds: config.verificationTtl,
      data: { email: user.email },
      replace: true,
    });
    return {
      variables: {
        username: user.username,
        link: link('verify-email', token),
        expires_in: humanDuration(config.verificationTtl),
      },
    };
  };

  const passwordReset: Composer = async (message) => {
    const user = await recipient(message);
    if (typeof user === 'string') return { skip: user };
    const { token } = await oneTimeTokens.issue({
      purpose: 'password_reset',
      userId: user.id,
      ttlSeconds: config.passwordResetTtl,
      data: { email: user.email },
      replace: true,
    });
    return {
      variables: {
        username: user.username,
        link: link('reset-password', token),
        expires_in: humanDuration(config.passwordResetTtl),
      },
    };
  };

  const passwordResetDone: Composer = async (message) => {
    // A notice goes to the address the account had when it was queued: the owner should hear of it.
    const user = message.userId === null ? undefined : await store.findUserById(message.userId);
    if (!user) return { skip: 'no such account' };
    return { variables: { username: user.username, time: formatTime(message.createdAt) } };
  };

  mail.define('verify_email', verifyEmail);
  mail.define('password_reset', passwordReset);
  mail.define('password_reset_done', passwordResetDone);
}

/** "24 hours", "1 hour", "30 minutes", "7 days": how long a link lasts, in words. */
export function humanDuration(seconds: number): string {
  const units: [number, string][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  // Up to two days reads better in hours ("24 hours", "36 hours").
  const fits = ([size]: [number, string]) =>
    seconds % size === 0 && !(size === 86400 && seconds <= 2 * 86400);
  const [size, name] = units.find(fits) ?? [1, 'second'];
  const count = seconds / size;
  return `${count} ${name}${count === 1 ? '' : 's'}`;
}

/** "2026-12-04 16:29 UTC": unambiguous for a reader anywhere. */
export function formatTime(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
