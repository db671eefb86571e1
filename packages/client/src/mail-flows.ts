import type { Account } from './auth-state.js';
import { errorFromResponse } from './errors.js';
import { readJson, type Http } from './http.js';
import {
  readEmailNotice,
  readNotice,
  readSessionsEnded,
  type EmailNotice,
  type Notice,
  type SessionsEnded,
} from './responses.js';

/** The account flows that go through a mailed link: password reset, verification, email change. */
export interface MailFlows {
  /**
   * Mails a link to reset the password, if an account uses `email`. The answer is the same either way
   * (nobody learns which addresses have accounts).
   */
  requestPasswordReset(email: string): Promise<Notice>;
  /** Sets the password with the token of a reset link. Every session of the user ends; none begins. */
  resetPassword(token: string, newPassword: string): Promise<Notice>;
  /** Marks the address of a verification link as verified. */
  verifyEmail(token: string): Promise<EmailNotice>;
  /**
   * Mails a new verification link: to the signed-in user's address, or (signed out, say when login
   * answers `email_not_verified`) to `email`, if an account there needs one.
   */
  resendVerification(email?: string): Promise<Notice>;
  /**
   * Mails a confirmation link to `email`; the address changes only when it is followed. Needs a recent
   * sign-in (else `reauthentication_required`) and the current password.
   */
  changeEmail(email: string, password: string): Promise<Notice>;
  /** Changes the address to the one that the confirmation link was sent to. */
  confirmEmailChange(token: string): Promise<EmailNotice>;
  /** Undoes an email change with the link sent to the old address; every session of the user ends. */
  revertEmailChange(token: string): Promise<EmailNotice>;
  /** Ends every session of the user, with the link of a security notice. */
  endAllSessions(token: string): Promise<SessionsEnded>;
}

export interface MailFlowDeps {
  http: Http;
  /** A request with the access token (refreshed as needed). */
  authenticatedFetch(path: string, init: RequestInit): Promise<Response>;
  now(): number;
  /**
   * After a link changed an account (its address, its sessions), the signed-in state is read again: the
   * change may be this user's, and a session the link ended signs out here too.
   */
  followAccount(): Promise<Account | undefined>;
}

export function createMailFlows({ http, authenticatedFetch, now, followAccount }: MailFlowDeps): MailFlows {
  const post = (path: string, body: object) => http.call('POST', path, { body });

  async function postSignedIn(path: string, body: object): Promise<unknown> {
    const headers = http.modeHeaders(
      new Headers({ accept: 'application/json', 'content-type': 'application/json' }),
    );
    const response = await authenticatedFetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
    if (!response.ok) throw await errorFromResponse(response, now());
    return readJson(response);
  }

  async function spend<T>(path: string, body: object, read: (body: unknown) => T): Promise<T> {
    const result = read(await post(path, body));
    await followAccount();
    return result;
  }

  return {
    requestPasswordReset: async (email) => readNotice(await post('/api/auth/password/reset/', { email })),
    resetPassword: (token, newPassword) =>
      spend('/api/auth/password/reset/confirm/', { token, new_password: newPassword }, readNotice),
    verifyEmail: (token) => spend('/api/auth/email/verify/', { token }, readEmailNotice),
    resendVerification: async (email) =>
      readNotice(
        email === undefined
          ? await postSignedIn('/api/auth/email/verify/resend/', {})
          : await post('/api/auth/email/verify/resend/', { email }),
      ),
    changeEmail: async (email, password) =>
      readNotice(await postSignedIn('/api/users/me/email/', { email, password })),
    confirmEmailChange: (token) => spend('/api/auth/email/change/confirm/', { token }, readEmailNotice),
    revertEmailChange: (token) => spend('/api/auth/email/change/revert/', { token }, readEmailNotice),
    endAllSessions: (token) => spend('/api/auth/sessions/end-all/', { token }, readSessionsEnded),
  };
}
