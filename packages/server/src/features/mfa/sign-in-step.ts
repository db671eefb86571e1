import { accountBucket, type LoginThrottle } from '../../auth/login-throttle.js';
import type { ClientInfo, IssuedSession } from '../../core/session-issuer.js';
import type { SignInPipeline } from '../../core/sign-in.js';
import type { MfaAnswer, MfaService } from './service.js';

type Signed = { ok: true; session: IssuedSession };
type DeadToken = { ok: false; code: 'invalid_mfa_token' };
type WrongCode = { ok: false; code: 'invalid_mfa_code'; attemptsLeft: number };

export interface MfaSignIn {
  /**
   * The second step of a login: a code or a recovery code for the challenge. Throttled as a password
   * is: a wrong answer counts against the account and the client IP.
   */
  answer(
    challenge: string,
    answer: MfaAnswer,
    client: ClientInfo,
  ): Promise<Signed | DeadToken | WrongCode | { ok: false; code: 'throttled'; retryAfter: number }>;
  /** A sign-in held for enrolment (GATEHOUSE_MFA_REQUIRED): a pending app for its user. */
  startEnrollment(
    enrollment: string,
  ): Promise<
    { ok: true; secret: string; uri: string } | DeadToken | { ok: false; code: 'totp_already_enabled' }
  >;
  /** Its first code confirms the app, and the held sign-in gets its session and the recovery codes. */
  confirmEnrollment(
    enrollment: string,
    code: string,
    client: ClientInfo,
  ): Promise<(Signed & { recoveryCodes: string[] }) | DeadToken | WrongCode>;
}

export function createMfaSignIn({
  signIn,
  throttle,
  mfa,
}: {
  signIn: SignInPipeline;
  throttle: LoginThrottle;
  mfa: MfaService;
}): MfaSignIn {
  const dead: DeadToken = { ok: false, code: 'invalid_mfa_token' };
  return {
    async answer(challenge, answer, client) {
      const found = await signIn.pending(challenge);
      if (!found) return dead;
      // The account's bucket, as a password guess is counted; and one of the second factor's own, which
      // a right password does not clear: whoever knows the password cannot try codes faster by signing
      // in again for a new challenge.
      const bucket = accountBucket({ userId: found.user.id });
      const codes = `mfa:${found.user.id}`;
      const refused = (retryAfter: number) => ({ ok: false, code: 'throttled', retryAfter }) as const;
      return throttle.attempt(bucket, client.ip, async (account) => {
        if (!account.ok) return refused(account.retryAfter);
        return throttle.attempt(codes, client.ip, async (own) => {
          if (!own.ok) return refused(own.retryAfter);
          const outcome = await signIn.answer(challenge, (user) => mfa.check(user, answer, client), client);
          if (outcome.ok) {
            await throttle.succeeded(bucket);
            await throttle.succeeded(codes);
            return outcome;
          }
          // The reservations counted the failure in both buckets; the IP's is counted here.
          await throttle.failedFrom(client.ip);
          return outcome.code === 'wrong_answer'
            ? ({ ok: false, code: 'invalid_mfa_code', attemptsLeft: outcome.attemptsLeft } as const)
            : dead;
        });
      });
    },

    async startEnrollment(enrollment) {
      const found = await signIn.pendingEnrollment(enrollment);
      if (!found) return dead;
      return mfa.startTotp(found.user);
    },

    async confirmEnrollment(enrollment, code, client) {
      let recoveryCodes: string[] = [];
      const outcome = await signIn.enroll(
        enrollment,
        async (user) => {
          const confirmed = await mfa.confirmTotp({ user, client }, code);
          if (!confirmed.ok) return { ok: false };
          recoveryCodes = confirmed.recoveryCodes;
          return { ok: true, methods: ['otp'] };
        },
        client,
      );
      if (outcome.ok) return { ...outcome, recoveryCodes };
      return outcome.code === 'wrong_answer'
        ? { ok: false, code: 'invalid_mfa_code', attemptsLeft: outcome.attemptsLeft }
        : dead;
    },
  };
}
