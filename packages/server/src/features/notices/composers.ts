import type { OneTimeTokens } from '../../core/one-time-tokens/one-time-tokens.js';
import type { Composer } from '../../mail/mailer.js';
import type { UserStore } from '../../store/users/store.js';
import { mailTime, tokenLink } from './mail-text.js';

/** The purpose of the one-click link that ends every session, and how long it works. */
export const END_SESSIONS = 'end_sessions';
export const END_SESSIONS_TTL = 7 * 86400;

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** `password_changed`: when, and from which address and device, so that its owner knows if it was not them. */
export function passwordChangedComposer({ store }: { store: Pick<UserStore, 'findUserById'> }): Composer {
  return async (mail) => {
    const user = mail.userId === null ? undefined : await store.findUserById(mail.userId);
    if (!user) return { skip: 'no such account' };
    return {
      variables: {
        username: user.username,
        time: mailTime(mail.createdAt),
        ip: text(mail.data['ip']) || 'unknown',
        user_agent: text(mail.data['user_agent']) || 'unknown',
      },
    };
  };
}

/**
 * `refresh_reuse`: a refresh token came back after it was spent, so someone else may hold the session;
 * the link ends every session at once, no sign-in needed (whoever reads this mail may have lost theirs).
 */
export function refreshReuseComposer({
  store,
  oneTimeTokens,
  publicUrl,
}: {
  store: Pick<UserStore, 'findUserById'>;
  oneTimeTokens: Pick<OneTimeTokens, 'issue'>;
  publicUrl: string;
}): Composer {
  return async (mail) => {
    const user = mail.userId === null ? undefined : await store.findUserById(mail.userId);
    if (!user) return { skip: 'no such account' };
    const { token } = await oneTimeTokens.issue({
      purpose: END_SESSIONS,
      userId: user.id,
      ttlSeconds: END_SESSIONS_TTL,
    });
    return {
      variables: {
        username: user.username,
        time: mailTime(mail.createdAt),
        link: tokenLink(publicUrl, 'end-sessions', token),
      },
    };
  };
}

/**
 * `identity_linked`: a provider's identity can now sign in to the account (linked from the account page,
 * or by a verified address at a sign-in). Data: `provider` (its display name), `ip`, `user_agent`.
 */
export function identityLinkedComposer({ store }: { store: Pick<UserStore, 'findUserById'> }): Composer {
  return async (mail) => {
    const user = mail.userId === null ? undefined : await store.findUserById(mail.userId);
    if (!user) return { skip: 'no such account' };
    return {
      variables: {
        username: user.username,
        provider: text(mail.data['provider']) || 'a sign-in provider',
        time: mailTime(mail.createdAt),
        ip: text(mail.data['ip']) || 'unknown',
        user_agent: text(mail.data['user_agent']) || 'unknown',
      },
    };
  };
}

/** What changed in a `mfa_changed` notice (its `change` datum), as the mail says it. */
export const MFA_CHANGES = {
  totp_enabled: 'An authenticator app was set up as a second factor',
  totp_disabled: 'The authenticator app was removed as a second factor',
  recovery_codes_regenerated: 'A new set of recovery codes was made; the earlier codes no longer work',
  recovery_code_used: 'A recovery code was used to sign in',
  passkey_added: 'A passkey was added',
  passkey_removed: 'A passkey was removed',
  factors_reset: 'An administrator removed every second factor and passkey',
} as const;
export type MfaChange = keyof typeof MFA_CHANGES;

/**
 * `mfa_changed`: a second factor or passkey was added, removed or used as a last resort (a recovery
 * code). Data: `change` (an MfaChange), `ip`, `user_agent`; `name` for a passkey.
 */
export function mfaChangedComposer({ store }: { store: Pick<UserStore, 'findUserById'> }): Composer {
  return async (mail) => {
    const user = mail.userId === null ? undefined : await store.findUserById(mail.userId);
    if (!user) return { skip: 'no such account' };
    const change = text(mail.data['change']);
    if (!(change in MFA_CHANGES)) return { skip: `unknown change ${change || '(none)'}` };
    const name = text(mail.data['name']);
    return {
      variables: {
        username: user.username,
        change: MFA_CHANGES[change as MfaChange] + (name ? ` (“${name}”)` : ''),
        time: mailTime(mail.createdAt),
        ip: text(mail.data['ip']) || 'unknown',
        user_agent: text(mail.data['user_agent']) || 'unknown',
      },
    };
  };
}
