import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { accountBucket, type LoginThrottle } from '../../auth/login-throttle.js';
import type { WebAuthnConfig } from '../../config.js';
import { auditBy, auditByLink } from '../../core/audit.js';
import type { Caller } from '../../core/caller.js';
import type { OneTimeTokens } from '../../core/one-time-tokens/one-time-tokens.js';
import type { AuthMethod, ClientInfo, IssuedSession } from '../../core/session-issuer.js';
import type { SignInFailure, SignInPipeline } from '../../core/sign-in.js';
import type { NewMail } from '../../mail/message.js';
import type { User, UserStore } from '../../store/users/store.js';
import {
  creationOptions,
  credentialIdOf,
  requestOptions,
  signedChallenge,
  userHandleOf,
  verifyAssertion,
  verifyRegistration,
  CEREMONY_SECONDS,
  type Assertion,
} from './ceremonies.js';
import type { Passkey, PasskeyDeviceType, PasskeyStore } from './store.js';

/** The one-time token purposes of the challenges: a registration, a sign-in, a second step. */
export const REGISTRATION = 'webauthn_registration';
export const AUTHENTICATION = 'webauthn_authentication';
export const SECOND_FACTOR = 'webauthn_second_factor';
export const DEFAULT_NAME = 'Passkey';

export type PasskeyFailure = {
  ok: false;
  code:
    | 'passkey_malformed'
    | 'passkey_challenge_invalid'
    | 'passkey_not_verified'
    | 'passkey_unknown'
    | 'passkey_exists'
    | 'invalid_mfa_token';
};
export type Registered = { ok: true; passkey: Passkey } | PasskeyFailure;
export type PasskeySignIn = { ok: true; session: IssuedSession } | SignInFailure | PasskeyFailure;

export interface PasskeyService {
  registrationOptions(caller: Caller): Promise<PublicKeyCredentialCreationOptionsJSON>;
  /** The caller's new passkey, from the response to their latest registration options. */
  register(caller: Caller, credential: unknown, name: string | undefined): Promise<Registered>;
  list(userId: number): Promise<Passkey[]>;
  rename(userId: number, id: string, name: string): Promise<Passkey | undefined>;
  remove(caller: Caller, id: string): Promise<boolean>;
  /** Options for a sign-in with no username: any discoverable credential, user verification required. */
  signInOptions(): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /** A passkey, verifying its user, as the whole sign-in: the pipeline then decides. */
  signIn(credential: unknown, client: ClientInfo): Promise<PasskeySignIn>;
  /** Options for the second step of the sign-in `mfaToken` stands for: that user's passkeys only. */
  secondFactorOptions(
    mfaToken: string,
  ): Promise<{ ok: true; options: PublicKeyCredentialRequestOptionsJSON } | PasskeyFailure>;
  /** The second step answered with a passkey; a failure spends one of the challenge's attempts. */
  answerSecondFactor(mfaToken: string, credential: unknown, client: ClientInfo): Promise<PasskeySignIn>;
}

export interface PasskeyServiceDeps {
  webauthn: WebAuthnConfig;
  store: PasskeyStore & Pick<UserStore, 'findUserById'>;
  oneTimeTokens: Pick<OneTimeTokens, 'issue' | 'consume'>;
  signIn: Pick<SignInPipeline, 'complete' | 'answer' | 'pending'>;
  throttle: Pick<LoginThrottle, 'attempt' | 'failedFrom' | 'failed' | 'succeeded'>;
  clock: () => Date;
  /** Mail the owner a `mfa_changed` notice (GATEHOUSE_SECURITY_NOTICES); `wake` once it is queued. */
  notice?: { wake: () => void };
}

/**
 * `hwk` (RFC 8176: a hardware-secured key) for a credential bound to its device; `swk` (a software-secured
 * key) for a synced one, whose private key is copied off the device by a password manager or a cloud
 * keychain (backup eligible, WebAuthn's multiDevice), and is only as safe as that account.
 */
export function methodOf(deviceType: PasskeyDeviceType): AuthMethod {
  return deviceType === 'multiDevice' ? 'swk' : 'hwk';
}

export function createPasskeyService(deps: PasskeyServiceDeps): PasskeyService {
  const { webauthn, store, oneTimeTokens, signIn, throttle, clock, notice } = deps;
  const fail = (code: PasskeyFailure['code']): PasskeyFailure => ({ ok: false, code });

  const noticeMail = (caller: Caller, change: string, name: string): NewMail[] =>
    notice && caller.user.email
      ? [
          {
            kind: 'mfa_changed',
            to: caller.user.email,
            userId: caller.user.id,
            data: { change, name, ip: caller.client.ip, user_agent: caller.client.userAgent },
          },
        ]
      : [];

  /**
   * A verified assertion by `passkey` for `challenge` (spent by the caller), its counter moved forward.
   * A counter that did not move is refused, and audited by the store.
   */
  async function assert(
    credential: unknown,
    challenge: string,
    passkey: Passkey,
    user: User,
    ip: string,
    requireUserVerification: boolean,
  ): Promise<{ ok: true; assertion: Assertion } | PasskeyFailure> {
    const verified = await verifyAssertion(webauthn, credential, {
      challenge,
      passkey,
      requireUserVerification,
    });
    if (!verified.ok) return verified;
    const { signCount, backedUp } = verified.assertion;
    const now = clock();
    const moved = await store.recordPasskeyUse({
      id: passkey.id,
      signCount,
      backedUp,
      now,
      refused: auditByLink(user, 'passkey.counter_not_increased', now, ip, {
        passkey_id: passkey.id,
        name: passkey.name,
        sign_count: signCount,
        stored_sign_count: passkey.signCount,
      }),
    });
    return moved ? verified : fail('passkey_not_verified');
  }

  return {
    async registrationOptions(caller) {
      const { user } = caller;
      const passkeys = await store.listPasskeys(user.id);
      // Random bytes, never the account's id or email: the authenticator keeps it (WebAuthn §14.6.1).
      const handle = (await store.findWebauthnUserHandle(user.id)) ?? randomBytes(32).toString('base64url');
      // The one-time token is the challenge itself; its hash is kept, and the response names it.
      const { token } = await oneTimeTokens.issue({
        purpose: REGISTRATION,
        userId: user.id,
        ttlSeconds: CEREMONY_SECONDS,
        data: { handle },
        replace: true,
      });
      const fullName = `${user.firstName} ${user.lastName}`.trim();
      return creationOptions(webauthn, {
        challenge: token,
        handle,
        userName: user.username,
        displayName: fullName || user.username,
        exclude: passkeys.map(({ credentialId, transports }) => ({ credentialId, transports })),
      });
    },

    async register(caller, credential, name) {
      const challenge = signedChallenge(credential);
      if (challenge === undefined) return fail('passkey_malformed');
      const consumed = await oneTimeTokens.consume(REGISTRATION, challenge);
      const handle = consumed.ok ? consumed.data?.['handle'] : undefined;
      if (!consumed.ok || consumed.userId !== caller.user.id || typeof handle !== 'string') {
        return fail('passkey_challenge_invalid');
      }
      const verified = await verifyRegistration(webauthn, credential, challenge);
      if (!verified.ok) return verified;
      const now = clock();
      const passkeyName = name?.trim() || DEFAULT_NAME;
      const id = randomUUID();
      const added = await store.addPasskey(
        { ...verified.credential, id, userId: caller.user.id, name: passkeyName, createdAt: now },
        handle,
        {
          audit: auditBy(caller, 'passkey.added', now, { passkey_id: id, name: passkeyName }),
          mail: noticeMail(caller, 'passkey_added', passkeyName),
          now,
        },
      );
      if (!added.ok) return fail(added.reason === 'exists' ? 'passkey_exists' : 'passkey_challenge_invalid');
      if (caller.user.email) notice?.wake();
      return added;
    },

    list: (userId) => store.listPasskeys(userId),

    rename: (userId, id, name) => store.renamePasskey(userId, id, name),

    async remove(caller, id) {
      const now = clock();
      // The last one gone, the account has no passkey factor: enrolment is read from the table.
      const removed = await store.deletePasskey(caller.user.id, id, (passkey) => ({
        audit: auditBy(caller, 'passkey.removed', now, { passkey_id: passkey.id, name: passkey.name }),
        mail: noticeMail(caller, 'passkey_removed', passkey.name),
        now,
      }));
      if (removed && caller.user.email) notice?.wake();
      return removed !== undefined;
    },

    async signInOptions() {
      // Not bound to a user: whoever holds a discoverable credential answers it.
      const { token } = await oneTimeTokens.issue({
        purpose: AUTHENTICATION,
        userId: null,
        ttlSeconds: CEREMONY_SECONDS,
      });
      return requestOptions(webauthn, { challenge: token, allow: [], userVerification: 'required' });
    },

    async signIn(credential, client) {
      const challenge = signedChallenge(credential);
      const credentialId = credentialIdOf(credential);
      if (challenge === undefined || credentialId === undefined) return fail('passkey_malformed');
      const passkey = await store.findPasskeyByCredentialId(credentialId);
      // A known credential's failures count on its account, like wrong passwords; an unknown one's on a
      // bucket of its own (hashed: the id is the client's, up to 1366 characters).
      const bucket = accountBucket(
        passkey
          ? { userId: passkey.userId }
          : { identifierKey: `passkey:${createHash('sha256').update(credentialId).digest('base64url')}` },
      );
      return throttle.attempt(bucket, client.ip, async (reserved): Promise<PasskeySignIn> => {
        // An account blocked by password guesses still lets its passkey in: an assertion cannot be guessed,
        // and a guesser must not lock the owner out. Its failures still count on the IP.
        if (!reserved.ok && reserved.blocked !== 'account') {
          return { ok: false, code: 'throttled', retryAfter: reserved.retryAfter };
        }
        const proved = await provePasswordless(credential, challenge, passkey, client.ip);
        if (!proved.ok) {
          await throttle.failedFrom(client.ip);
          return proved;
        }
        if (reserved.ok) await throttle.succeeded(bucket);
        // User verification was required: the passkey is something held and something known or
        // biometric, two factors at once, which `mfa` tells the pipeline.
        return signIn.complete(proved.user, {
          methods: [methodOf(proved.deviceType), 'user', 'mfa'],
          client,
        });
      });
    },

    async secondFactorOptions(mfaToken) {
      const found = await signIn.pending(mfaToken);
      if (!found) return fail('invalid_mfa_token');
      const passkeys = await store.listPasskeys(found.user.id);
      if (passkeys.length === 0) return fail('passkey_unknown');
      const { token } = await oneTimeTokens.issue({
        purpose: SECOND_FACTOR,
        userId: found.user.id,
        ttlSeconds: CEREMONY_SECONDS,
        replace: true,
      });
      const options = await requestOptions(webauthn, {
        challenge: token,
        allow: passkeys.map(({ credentialId, transports }) => ({ credentialId, transports })),
        userVerification: 'preferred',
      });
      return { ok: true, options };
    },

    async answerSecondFactor(mfaToken, credential, client) {
      const challenge = signedChallenge(credential);
      const credentialId = credentialIdOf(credential);
      if (challenge === undefined || credentialId === undefined) return fail('passkey_malformed');
      let refusal: PasskeyFailure = fail('passkey_not_verified');
      let answering: User | undefined;
      const outcome = await signIn.answer(
        mfaToken,
        async (user, pending) => {
          answering = user;
          const consumed = await oneTimeTokens.consume(SECOND_FACTOR, challenge);
          if (!consumed.ok || consumed.userId !== user.id) {
            refusal = fail('passkey_challenge_invalid');
            return { ok: false };
          }
          const passkey = await store.findPasskeyByCredentialId(credentialId);
          if (!pending.secondFactors.includes('hwk') || passkey?.userId !== user.id) return { ok: false };
          const asserted = await assert(credential, challenge, passkey, user, client.ip, false);
          if (!asserted.ok) return { ok: false };
          const { deviceType, userVerified } = asserted.assertion;
          return { ok: true, methods: [methodOf(deviceType), ...(userVerified ? (['user'] as const) : [])] };
        },
        client,
      );
      if (outcome.ok) return outcome;
      if (outcome.code === 'invalid_challenge') return fail('invalid_mfa_token');
      // A wrong answer for a known user: it counts toward the login throttle, as a wrong password would.
      if (answering) await throttle.failed(accountBucket({ userId: answering.id }), client.ip);
      return refusal;
    },
  };

  async function provePasswordless(
    credential: unknown,
    challenge: string,
    passkey: Passkey | undefined,
    ip: string,
  ): Promise<{ ok: true; user: User; deviceType: PasskeyDeviceType } | PasskeyFailure> {
    // Spent first, whatever follows: a challenge is answered once.
    const consumed = await oneTimeTokens.consume(AUTHENTICATION, challenge);
    if (!consumed.ok || consumed.userId !== null) return fail('passkey_challenge_invalid');
    if (!passkey) return fail('passkey_unknown');
    const user = await store.findUserById(passkey.userId);
    if (!user?.isActive) return fail('passkey_unknown');
    // A discoverable credential returns the handle it was made for: it must be this account's.
    const handle = userHandleOf(credential);
    if (handle !== undefined && handle !== (await store.findWebauthnUserHandle(user.id))) {
      return fail('passkey_not_verified');
    }
    const asserted = await assert(credential, challenge, passkey, user, ip, true);
    if (!asserted.ok) return asserted;
    return { ok: true, user, deviceType: asserted.assertion.deviceType };
  }
}
