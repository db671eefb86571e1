import type { MfaRequirement } from '../config.js';
import type { User } from '../store/users/store.js';
import type { OneTimeTokens } from './one-time-tokens/one-time-tokens.js';
import type { AuthMethod, ClientInfo, IssuedSession, SessionIssuer } from './session-issuer.js';

/** A way to prove who you are after the first factor (an authenticator app, a passkey, …). */
export interface SecondFactor {
  /** The RFC 8176 method its proof adds to the session, e.g. `otp` or `hwk`. */
  method: AuthMethod;
  /** Whether `user` has set this factor up (a confirmed one, not one pending enrolment). */
  enrolled(user: User): Promise<boolean>;
}

/** The one-time token purpose of a pending sign-in's challenge (the `mfa_token` of the wire). */
export const CHALLENGE_PURPOSE = 'mfa_challenge';

/**
 * The one-time token purpose of a sign-in held until the user sets up a second factor
 * (GATEHOUSE_MFA_REQUIRED): the `mfa_token` of an `mfa_enrollment_required` answer.
 */
export const ENROLLMENT_PURPOSE = 'mfa_enrollment';

/** What a challenge remembers of the first factor: its methods, and the factors that may answer. */
export interface PendingSignIn {
  methods: AuthMethod[];
  secondFactors: AuthMethod[];
}

/** A second factor's verdict on an answer to a challenge, for the user the challenge names. */
export type SecondFactorCheck =
  /** `methods`: what the answer proved (`otp`; a passkey's `hwk`, `user`). */
  { ok: true; methods: readonly AuthMethod[] } | { ok: false };

export type ChallengeOutcome =
  | { ok: true; session: IssuedSession }
  /** Unknown, used, expired or out of attempts; or its user is gone or deactivated. */
  | { ok: false; code: 'invalid_challenge' }
  /** A wrong answer: one attempt of the challenge spent. */
  | { ok: false; code: 'wrong_answer'; attemptsLeft: number };

export type SignInOutcome =
  | { ok: true; session: IssuedSession }
  /** The first factor was right, and the account asks for more: no session exists yet. */
  | { ok: false; next: 'second_factor'; challenge: string; methods: AuthMethod[] }
  /**
   * The first factor was right, and the account must have a second factor (GATEHOUSE_MFA_REQUIRED) but
   * has none: `enrollment` lets it set one up, and then gives the session.
   */
  | { ok: false; next: 'enroll_second_factor'; enrollment: string }
  /** Mandatory email verification, and this account's address is not verified (or it has none). */
  | { ok: false; code: 'email_not_verified' };

export interface SignInPipeline {
  /** Registered by the feature that owns the factor, when its plugin loads. */
  addSecondFactor(factor: SecondFactor): void;
  /**
   * A first factor (a password, later an email code or an identity provider) has proved `user` with
   * `methods`: one policy decides whether that is enough for a session.
   */
  complete(user: User, proof: { methods: readonly AuthMethod[]; client: ClientInfo }): Promise<SignInOutcome>;
  /**
   * The second step: `check` judges the answer for the user the challenge names. A wrong answer spends
   * one of the challenge's attempts; a right one spends the challenge (single use, decided by the
   * database) and starts the session, whose `amr` is the first factor's methods, the answer's and `mfa`.
   */
  answer(
    challenge: string,
    check: (user: User, pending: PendingSignIn) => Promise<SecondFactorCheck>,
    client: ClientInfo,
  ): Promise<ChallengeOutcome>;
  /** The user a live challenge names and what it is pending on, without spending it. */
  pending(challenge: string): Promise<{ user: User; pending: PendingSignIn } | undefined>;
  /** The user a live enrolment token names, without spending it. */
  pendingEnrollment(enrollment: string): Promise<{ user: User; pending: PendingSignIn } | undefined>;
  /**
   * The enrolment's end: `enroll` sets the factor up (its first code confirms it) for the user the token
   * names; a wrong code spends one of the token's attempts, a right one spends the token and starts the
   * session, as `answer` does.
   */
  enroll(
    enrollment: string,
    enroll: (user: User, pending: PendingSignIn) => Promise<SecondFactorCheck>,
    client: ClientInfo,
  ): Promise<ChallengeOutcome>;
}

/**
 * Every route that signs someone in (the tutorials' aliases too) ends in `complete`, so a second-factor
 * rule added later cannot be skipped by calling another login route.
 */
export function createSignInPipeline({
  sessions,
  challenges,
  findUser,
  requireVerifiedEmail = false,
  mfaRequired = 'none',
}: {
  sessions: Pick<SessionIssuer, 'issue'>;
  challenges: Pick<OneTimeTokens, 'issue' | 'peek' | 'consume' | 'spendAttempt'>;
  findUser: (id: number) => Promise<User | undefined>;
  /** GATEHOUSE_EMAIL_VERIFICATION=mandatory. */
  requireVerifiedEmail?: boolean;
  /** GATEHOUSE_MFA_REQUIRED: who must have a second factor before a login gives them tokens. */
  mfaRequired?: MfaRequirement;
}): SignInPipeline {
  const factors: SecondFactor[] = [];
  return {
    addSecondFactor(factor) {
      if (factors.some((known) => known.method === factor.method)) {
        throw new Error(`a second factor for ${factor.method} is registered twice`);
      }
      factors.push(factor);
    },
    async complete(user, { methods, client }) {
      // Here, after the first factor proved the user, so a wrong password never learns whether the
      // address is verified; before the second factor, so no challenge is issued either. An account
      // without an address cannot verify one: it is refused the same way until an address is set.
      if (requireVerifiedEmail && !(user.email !== null && user.emailVerified)) {
        return { ok: false, code: 'email_not_verified' };
      }
      const enrolled = await secondFactorsOf(factors, user);
      // A proof that is multi-factor already (a passkey with user verification says `mfa`), or that
      // includes one of the user's factors, needs no other.
      const proven = methods.includes('mfa') || enrolled.some((method) => methods.includes(method));
      if (enrolled.length > 0 && !proven) {
        // The challenge names the user and what the first factor proved; it is answered once, within
        // minutes, with at most CHALLENGE_ATTEMPTS wrong answers.
        const { token } = await challenges.issue({
          purpose: CHALLENGE_PURPOSE,
          userId: user.id,
          ttlSeconds: SECOND_FACTOR_WINDOW,
          maxAttempts: CHALLENGE_ATTEMPTS,
          data: { methods: [...methods], second_factors: enrolled },
        });
        return { ok: false, next: 'second_factor', challenge: token, methods: enrolled };
      }
      // An account the policy covers gets no tokens before it has a factor: it sets one up now, within
      // minutes, holding what the first factor proved in a one-time token.
      if (enrolled.length === 0 && !methods.includes('mfa') && mustHaveSecondFactor(mfaRequired, user)) {
        const { token } = await challenges.issue({
          purpose: ENROLLMENT_PURPOSE,
          userId: user.id,
          ttlSeconds: ENROLLMENT_WINDOW,
          maxAttempts: CHALLENGE_ATTEMPTS,
          data: { methods: [...methods], second_factors: [] },
        });
        return { ok: false, next: 'enroll_second_factor', enrollment: token };
      }
      return { ok: true, session: await sessions.issue(user, { methods, client }) };
    },

    pending: (challenge) => pendingOn(CHALLENGE_PURPOSE, challenge),
    pendingEnrollment: (enrollment) => pendingOn(ENROLLMENT_PURPOSE, enrollment),
    answer: (challenge, check, client) => settle(CHALLENGE_PURPOSE, challenge, check, client),
    enroll: (enrollment, enroll, client) => settle(ENROLLMENT_PURPOSE, enrollment, enroll, client),
  };

  async function settle(
    purpose: string,
    token: string,
    check: (user: User, pending: PendingSignIn) => Promise<SecondFactorCheck>,
    client: ClientInfo,
  ): Promise<ChallengeOutcome> {
    const found = await pendingOn(purpose, token);
    if (!found) return { ok: false, code: 'invalid_challenge' };
    const verdict = await check(found.user, found.pending);
    if (!verdict.ok) {
      const spent = await challenges.spendAttempt(purpose, token);
      return spent
        ? { ok: false, code: 'wrong_answer', attemptsLeft: spent.attemptsLeft }
        : { ok: false, code: 'invalid_challenge' };
    }
    // Of two right answers sent at once, one session: the database lets one consume the challenge.
    const consumed = await challenges.consume(purpose, token);
    if (!consumed.ok) return { ok: false, code: 'invalid_challenge' };
    const methods = [...new Set<AuthMethod>([...found.pending.methods, ...verdict.methods, 'mfa'])];
    return { ok: true, session: await sessions.issue(found.user, { methods, client }) };
  }

  async function pendingOn(purpose: string, challenge: string) {
    const found = await challenges.peek(purpose, challenge);
    if (!found.ok || found.userId === null) return undefined;
    const user = await findUser(found.userId);
    // Deactivated between the two steps: the first factor's proof no longer counts.
    if (!user?.isActive) return undefined;
    return { user, pending: pendingOf(found.data) };
  }
}

/** A pending sign-in's second step may take this long (seconds). */
export const SECOND_FACTOR_WINDOW = 5 * 60;
/** A sign-in held for the enrolment of a second factor may take this long (seconds). */
export const ENROLLMENT_WINDOW = 10 * 60;
/** Wrong answers a challenge allows; then it is dead and the user signs in again. */
export const CHALLENGE_ATTEMPTS = 5;

/** `staff` covers superusers too: an account that may administer others is staff in every sense. */
export function mustHaveSecondFactor(requirement: MfaRequirement, user: User): boolean {
  switch (requirement) {
    case 'all':
      return true;
    case 'staff':
      return user.isStaff || user.isSuperuser;
    case 'superusers':
      return user.isSuperuser;
    default:
      return false;
  }
}

function pendingOf(data: Record<string, unknown> | null): PendingSignIn {
  const list = (value: unknown) =>
    Array.isArray(value) ? value.filter((item): item is AuthMethod => typeof item === 'string') : [];
  return { methods: list(data?.['methods']), secondFactors: list(data?.['second_factors']) };
}

async function secondFactorsOf(factors: readonly SecondFactor[], user: User): Promise<AuthMethod[]> {
  const enrolled = await Promise.all(factors.map((factor) => factor.enrolled(user)));
  return factors.filter((_, index) => enrolled[index]).map((factor) => factor.method);
}

/** Why a login route signs nobody in: a first factor's failures, or the pipeline's "not yet". */
export type SignInFailure =
  | { ok: false; code: 'invalid_credentials' }
  | { ok: false; code: 'throttled'; retryAfter: number }
  | Extract<SignInOutcome, { ok: false }>;
