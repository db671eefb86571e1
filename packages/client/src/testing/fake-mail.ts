import { Messages, type ErrorBody, type FieldErrors } from '@gatehouse/contract';
import type { Account } from '../auth-state.js';
import type { EmailNotice, Notice, SessionsEnded } from '../responses.js';
import { answer, type Answer } from './answer.js';

/** The server's words on these routes (the client's tests and the scenarios compare against them). */
export const MailMessages = {
  resetQueued: 'If an account uses this address, a link to reset its password is on its way.',
  resetDone: 'Your password has been reset. Sign in with the new password.',
  verified: 'Your email address is verified.',
  resendQueued: 'If the address needs verifying, a new link is on its way.',
  changeQueued: 'We have sent a confirmation link to the new address.',
  changed: 'Your email address is changed.',
  reverted: 'Your email address is restored and every session has ended.',
  sessionsEnded: 'Every session has ended.',
  invalidLink: 'This link is invalid or has expired.',
  emailNotVerified: 'Verify your email address before signing in.',
} as const;

export const INVALID_LINK: ErrorBody = { detail: MailMessages.invalidLink, code: 'invalid_token' };

/** The page each kind of link opens, as `<PUBLIC_URL><page>#token=…`. */
export const LINK_PAGES = {
  verify_email: '/verify-email',
  password_reset: '/reset-password',
  email_change_confirm: '/confirm-email',
  email_change_revert: '/revert-email',
  end_sessions: '/end-sessions',
} as const;
export type LinkPurpose = keyof typeof LINK_PAGES;

/** Lifetimes in seconds (the server's defaults; the revert link of an email change lasts 7 days). */
const LIFETIMES: Record<LinkPurpose, number> = {
  verify_email: 86400,
  password_reset: 3600,
  email_change_confirm: 86400,
  email_change_revert: 7 * 86400,
  end_sessions: 7 * 86400,
};

/** A mail the fake "sent": who to, what about, and its link (if it has one). */
export interface FakeMail {
  to: string;
  kind: string;
  link?: string;
}

export interface FakeUser {
  account: Account;
  password: string;
}

interface LinkToken {
  purpose: LinkPurpose;
  userId: string;
  /** The address the link was sent to (verification), or the one to change to (or back to). */
  email: string;
  expiresAt: number;
  used: boolean;
}

export interface MailRoutesDeps {
  now: () => number;
  origin: string;
  users: () => FakeUser[];
  /** The caller of a Bearer request, and when its session signed in (ms). */
  caller(headers: Headers): { account: Account; signedInAt: number } | Answer<ErrorBody>;
  /** Ends every session of the user (their access tokens with them): how many were live. */
  endSessions(userId: string): number;
  /** Seconds after a sign-in during which the email may be changed without signing in again. */
  reauthenticationWindow: number;
}

type Reply<T> = Answer<T | ErrorBody | FieldErrors>;
interface Request<Body> {
  body: Partial<Body>;
  headers: Headers;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const invalidEmail = () => answer<FieldErrors>(400, { email: [Messages.invalidEmail] });

/**
 * Gatehouse's mailed-link flows in memory: links with single-use, expiring, purpose-bound tokens, "sent"
 * to `outbox` (the scenarios read them as from a real SMTP server), and the routes that spend them.
 */
export function createFakeMail({
  now,
  origin,
  users,
  caller,
  endSessions,
  reauthenticationWindow,
}: MailRoutesDeps) {
  const outbox: FakeMail[] = [];
  const tokens = new Map<string, LinkToken>();
  const byEmail = (email: string) => users().find((user) => user.account.email === email);
  const byId = (id: string) => users().find((user) => user.account.id === id);

  function send(kind: string, to: string, link?: { purpose: LinkPurpose; user: Account; email: string }) {
    if (!link) return void outbox.push({ to, kind });
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    const token = Buffer.from(bytes).toString('base64url');
    tokens.set(token, {
      purpose: link.purpose,
      userId: link.user.id,
      email: link.email,
      expiresAt: now() + LIFETIMES[link.purpose] * 1000,
      used: false,
    });
    outbox.push({ to, kind, link: `${origin}${LINK_PAGES[link.purpose]}#token=${token}` });
  }

  const sendVerification = (user: Account) => {
    if (user.email !== null && !user.email_verified) {
      send('verify_email', user.email, { purpose: 'verify_email', user, email: user.email });
    }
  };

  /** The token's record if it is live and for `purpose` (an unknown, used, expired or other one is not). */
  function live(token: unknown, purpose: LinkPurpose) {
    const record = typeof token === 'string' ? tokens.get(token) : undefined;
    const user = record && byId(record.userId);
    if (!record || !user || record.used || record.purpose !== purpose || record.expiresAt <= now()) {
      return undefined;
    }
    return { record, user };
  }

  const update = (user: FakeUser, fields: Partial<Account>) => {
    user.account = { ...user.account, ...fields, updated: new Date(now()).toISOString() };
  };

  const routes = {
    'POST /api/auth/password/reset/': ({ body }: Request<{ email: string }>): Reply<Notice> => {
      if (typeof body.email !== 'string' || !EMAIL.test(body.email)) return invalidEmail();
      const user = byEmail(body.email)?.account;
      if (user?.email)
        send('password_reset', user.email, { purpose: 'password_reset', user, email: user.email });
      return answer(202, { detail: MailMessages.resetQueued });
    },
    'POST /api/auth/password/reset/confirm/': ({
      body,
    }: Request<{ token: string; new_password: string }>): Reply<Notice> => {
      const found = live(body.token, 'password_reset');
      if (!found) return answer(400, INVALID_LINK);
      const password = String(body.new_password ?? '');
      // A refused password leaves the link usable: the user tries another.
      if (password.length < 8) {
        return answer(400, {
          new_password: ['This password is too short. It must contain at least 8 characters.'],
        });
      }
      found.record.used = true;
      found.user.password = password;
      endSessions(found.user.account.id);
      send('password_reset_done', found.record.email);
      return answer(200, { detail: MailMessages.resetDone });
    },
    'POST /api/auth/email/verify/': ({ body }: Request<{ token: string }>): Reply<EmailNotice> => {
      const found = live(body.token, 'verify_email');
      // A link to an address the account no longer has proves nothing.
      if (!found || found.user.account.email !== found.record.email) return answer(400, INVALID_LINK);
      found.record.used = true;
      update(found.user, { email_verified: true });
      return answer(200, { detail: MailMessages.verified, email: found.record.email });
    },
    'POST /api/auth/email/verify/resend/': ({ body, headers }: Request<{ email: string }>): Reply<Notice> => {
      if (headers.has('authorization')) {
        const found = caller(headers);
        if (!('account' in found)) return found;
        sendVerification(found.account);
      } else {
        if (typeof body.email !== 'string' || !EMAIL.test(body.email)) return invalidEmail();
        const user = byEmail(body.email)?.account;
        if (user) sendVerification(user);
      }
      return answer(202, { detail: MailMessages.resendQueued });
    },
    'POST /api/users/me/email/': ({
      body,
      headers,
    }: Request<{ email: string; password: string }>): Reply<Notice> => {
      const found = caller(headers);
      if (!('account' in found)) return found;
      if (now() - found.signedInAt > reauthenticationWindow * 1000) {
        return answer(403, { detail: Messages.reauthenticationRequired, code: 'reauthentication_required' });
      }
      const user = byId(found.account.id) as FakeUser;
      if (user.password !== body.password) {
        return answer(400, { password: ['Your password was entered incorrectly.'] });
      }
      if (typeof body.email !== 'string' || !EMAIL.test(body.email)) return invalidEmail();
      send('email_change_confirm', body.email, {
        purpose: 'email_change_confirm',
        user: user.account,
        email: body.email,
      });
      return answer(202, { detail: MailMessages.changeQueued });
    },
    'POST /api/auth/email/change/confirm/': ({ body }: Request<{ token: string }>): Reply<EmailNotice> => {
      const found = live(body.token, 'email_change_confirm');
      if (!found) return answer(400, INVALID_LINK);
      const { record, user } = found;
      if (byEmail(record.email)) return answer(400, { email: ['user with this email already exists.'] });
      record.used = true;
      const old = user.account.email;
      update(user, { email: record.email, email_verified: true });
      if (old !== null) {
        send('email_changed', old, { purpose: 'email_change_revert', user: user.account, email: old });
      }
      return answer(200, { detail: MailMessages.changed, email: record.email });
    },
    'POST /api/auth/email/change/revert/': ({ body }: Request<{ token: string }>): Reply<EmailNotice> => {
      const found = live(body.token, 'email_change_revert');
      if (!found) return answer(400, INVALID_LINK);
      found.record.used = true;
      update(found.user, { email: found.record.email, email_verified: true });
      endSessions(found.user.account.id);
      return answer(200, { detail: MailMessages.reverted, email: found.record.email });
    },
    'POST /api/auth/sessions/end-all/': ({ body }: Request<{ token: string }>): Reply<SessionsEnded> => {
      const found = live(body.token, 'end_sessions');
      if (!found) return answer(400, INVALID_LINK);
      found.record.used = true;
      const ended = endSessions(found.user.account.id);
      return answer(200, { detail: MailMessages.sessionsEnded, sessions_ended: ended });
    },
  };

  return {
    routes,
    outbox,
    sendVerification,
    /** The mail a reused refresh token causes: a link that ends every session of the user. */
    sendReuseNotice(user: Account) {
      if (user.email !== null) {
        send('refresh_reuse', user.email, { purpose: 'end_sessions', user, email: user.email });
      }
    },
  };
}
