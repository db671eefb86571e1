import type { User } from '../store/users/store.js';
import type { AuthMethod, ClientInfo, IssuedSession, SessionIssuer } from './session-issuer.js';

/** A way to prove who you are after the first factor (an authenticator app, a passkey, …). */
export interface SecondFactor {
  /** The RFC 8176 method its proof adds to the session, e.g. `otp` or `hwk`. */
  method: AuthMethod;
  /** Whether `user` has set this factor up (a confirmed one, not one pending enrolment). */
  enrolled(user: User): Promise<boolean>;
}

/** Issues the short-lived challenge a second factor answers (a one-time token bound to the user). */
export type ChallengeIssuer = (
  user: User,
  pending: { methods: readonly AuthMethod[]; secondFactors: readonly AuthMethod[] },
) => Promise<string>;

export type SignInOutcome =
  | { ok: true; session: IssuedSession }
  /** The first factor was right, and the account asks for more: no session exists yet. */
  | { ok: false; next: 'second_factor'; challenge: string; methods: AuthMethod[] }
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
}

/**
 * Every route that signs someone in (the tutorials' aliases too) ends in `complete`, so a second-factor
 * rule added later cannot be skipped by calling another login route.
 */
export function createSignInPipeline({
  sessions,
  challenge,
  requireVerifiedEmail = false,
}: {
  sessions: Pick<SessionIssuer, 'issue'>;
  challenge: ChallengeIssuer;
  /** GATEHOUSE_EMAIL_VERIFICATION=mandatory. */
  requireVerifiedEmail?: boolean;
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
      // A proof that already includes one of the user's factors (a passkey sign-in) needs no other.
      const proven = enrolled.some((method) => methods.includes(method));
      if (enrolled.length > 0 && !proven) {
        const token = await challenge(user, { methods, secondFactors: enrolled });
        return { ok: false, next: 'second_factor', challenge: token, methods: enrolled };
      }
      return { ok: true, session: await sessions.issue(user, { methods, client }) };
    },
  };
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
