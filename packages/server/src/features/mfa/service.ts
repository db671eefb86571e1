import { auditByLink } from '../../core/audit.js';
import type { Caller } from '../../core/caller.js';
import type { ClientInfo } from '../../core/session-issuer.js';
import type { SecondFactorCheck } from '../../core/sign-in.js';
import type { NewMail } from '../../mail/message.js';
import type { UserStore, User } from '../../store/users/store.js';
import type { MfaChange } from '../notices/composers.js';
import type { MfaKeys } from './keys.js';
import { newRecoveryCodes, normalizeRecoveryCode } from './recovery-codes.js';
import type { Passkey, PasskeyStore } from '../passkeys/store.js';
import type { MfaStore } from './store.js';
import { base32, matchingStep, newTotpSecret, otpauthUri } from './totp.js';

/** A pending authenticator app counts for nothing, and is gone, after this long (seconds). */
export const PENDING_TOTP_WINDOW = 10 * 60;

/** Who makes a change to their own factors, and from where: a signed-in caller or a sign-in's owner. */
export interface Owner {
  user: User;
  client: ClientInfo;
}

/** A second step's answer: a code of the app, or a recovery code. */
export type MfaAnswer = { code: string } | { recoveryCode: string };

export interface MfaStatus {
  totp: boolean;
  passkeys: number;
  recoveryCodesLeft: number;
}

export type Refusal<Code extends string> = { ok: false; code: Code };

export interface MfaService {
  status(user: User): Promise<MfaStatus>;
  /** A new pending app (replacing a pending one): its secret, shown this once. */
  startTotp(user: User): Promise<{ ok: true; secret: string; uri: string } | Refusal<'totp_already_enabled'>>;
  /** The pending app's first code makes it active, with a first batch of recovery codes. */
  confirmTotp(
    owner: Owner,
    code: string,
  ): Promise<{ ok: true; recoveryCodes: string[] } | Refusal<'no_pending_totp' | 'invalid_mfa_code'>>;
  /** With a current code or a recovery code: the app and the recovery codes are gone. */
  disableTotp(
    owner: Owner,
    code: string,
  ): Promise<{ ok: true } | Refusal<'totp_not_enabled' | 'invalid_mfa_code'>>;
  /** A new batch: the old one is void. Only for an account with a second factor to recover. */
  regenerateRecoveryCodes(
    owner: Owner,
  ): Promise<{ ok: true; recoveryCodes: string[] } | Refusal<'mfa_not_enabled'>>;
  /** A sign-in's second step: each code good once (a recovery code's use is audited and mailed). */
  check(user: User, answer: MfaAnswer, client: ClientInfo): Promise<SecondFactorCheck>;
  /** An administrator's view of a user's factors. */
  adminView(publicId: string): Promise<(Omit<MfaStatus, 'passkeys'> & { passkeys: Passkey[] }) | undefined>;
  /** An administrator removes every factor and passkey of a user. false: no such user. */
  adminReset(caller: Caller, publicId: string): Promise<boolean>;
}

export interface MfaServiceDeps {
  store: MfaStore & Pick<PasskeyStore, 'listPasskeys'> & Pick<UserStore, 'findUserByPublicId'>;
  keys: MfaKeys;
  clock: () => Date;
  /** The issuer an authenticator app shows (GATEHOUSE_SITE_NAME). */
  issuer: string;
  /** Mail `mfa_changed` notices (GATEHOUSE_SECURITY_NOTICES); `wake` once one is queued. */
  notice?: { wake: () => void };
}

export function createMfaService({ store, keys, clock, issuer, notice }: MfaServiceDeps): MfaService {
  const notices = (user: User, change: MfaChange, client: ClientInfo): NewMail[] =>
    notice && user.email
      ? [
          {
            kind: 'mfa_changed',
            to: user.email,
            userId: user.id,
            data: { change, ip: client.ip, user_agent: client.userAgent },
          },
        ]
      : [];
  const effects = ({ user, client }: Owner, change: MfaChange, now: Date) => ({
    audit: auditByLink(user, `mfa.${change}`, now, client.ip),
    mail: notices(user, change, client),
  });
  const wake = (mail: readonly NewMail[]) => {
    if (mail.length > 0) notice?.wake();
  };
  const confirmed = async (userId: number) => {
    const factor = await store.findTotpFactor(userId);
    return factor?.confirmedAt !== undefined ? factor : undefined;
  };
  const hashes = (userId: number, codes: readonly string[]) =>
    codes.map((code) => keys.hashRecoveryCode(userId, normalizeRecoveryCode(code) ?? ''));

  /** The step of `code` if it is a right, unused code of the user's active app: used up by this call. */
  async function useTotpCode(userId: number, code: string): Promise<boolean> {
    const factor = await confirmed(userId);
    const secret = factor && keys.openSecret(userId, factor.secret);
    if (!secret) return false;
    const step = matchingStep(secret, code, clock());
    // Accepted once: two requests with one code, or a code seen over a shoulder, get one success.
    return step !== undefined && (await store.useTotpStep(userId, step));
  }

  async function status(user: User): Promise<MfaStatus> {
    const [factor, passkeys, recoveryCodesLeft] = await Promise.all([
      confirmed(user.id),
      store.countPasskeys(user.id),
      store.countRecoveryCodes(user.id),
    ]);
    return { totp: factor !== undefined, passkeys, recoveryCodesLeft };
  }

  return {
    status,

    async startTotp(user) {
      const secret = newTotpSecret();
      if (!(await store.startTotpEnrollment(user.id, keys.sealSecret(user.id, secret), clock()))) {
        return { ok: false, code: 'totp_already_enabled' };
      }
      return {
        ok: true,
        secret: base32(secret),
        uri: otpauthUri(issuer, user.email ?? user.username, secret),
      };
    },

    async confirmTotp(owner, code) {
      const { user } = owner;
      const now = clock();
      const pendingSince = new Date(now.getTime() - PENDING_TOTP_WINDOW * 1000);
      const factor = await store.findTotpFactor(user.id);
      if (!factor || factor.confirmedAt !== undefined || factor.createdAt <= pendingSince) {
        return { ok: false, code: 'no_pending_totp' };
      }
      const secret = keys.openSecret(user.id, factor.secret);
      const step = secret && matchingStep(secret, code, now);
      if (step === undefined) return { ok: false, code: 'invalid_mfa_code' };
      const recoveryCodes = newRecoveryCodes();
      const change = effects(owner, 'totp_enabled', now);
      const done = await store.confirmTotp({
        userId: user.id,
        step,
        now,
        pendingSince,
        codeHashes: hashes(user.id, recoveryCodes),
        ...change,
      });
      if (!done) return { ok: false, code: 'no_pending_totp' };
      wake(change.mail);
      return { ok: true, recoveryCodes };
    },

    async disableTotp(owner, code) {
      const { user } = owner;
      if (!(await confirmed(user.id))) return { ok: false, code: 'totp_not_enabled' };
      const recovery = normalizeRecoveryCode(code);
      const proved = /^[0-9]{6}$/.test(code)
        ? await useTotpCode(user.id, code)
        : recovery !== undefined &&
          (await store.useRecoveryCode(user.id, keys.hashRecoveryCode(user.id, recovery), clock()));
      if (!proved) return { ok: false, code: 'invalid_mfa_code' };
      const now = clock();
      const change = effects(owner, 'totp_disabled', now);
      if (!(await store.disableTotp(user.id, change, now))) return { ok: false, code: 'totp_not_enabled' };
      wake(change.mail);
      return { ok: true };
    },

    async regenerateRecoveryCodes(owner) {
      const { user } = owner;
      const factors = await status(user);
      if (!factors.totp && factors.passkeys === 0) return { ok: false, code: 'mfa_not_enabled' };
      const now = clock();
      const recoveryCodes = newRecoveryCodes();
      const change = effects(owner, 'recovery_codes_regenerated', now);
      await store.replaceRecoveryCodes(user.id, hashes(user.id, recoveryCodes), now, change);
      wake(change.mail);
      return { ok: true, recoveryCodes };
    },

    async check(user, answer, client) {
      if ('code' in answer) {
        return (await useTotpCode(user.id, answer.code)) ? { ok: true, methods: ['otp'] } : { ok: false };
      }
      const code = normalizeRecoveryCode(answer.recoveryCode);
      if (code === undefined) return { ok: false };
      const now = clock();
      const change = effects({ user, client }, 'recovery_code_used', now);
      if (!(await store.useRecoveryCode(user.id, keys.hashRecoveryCode(user.id, code), now, change))) {
        return { ok: false };
      }
      wake(change.mail);
      // RFC 8176 has no value for a look-up secret (NIST SP 800-63B §5.1.2). `otp` ("one-time password")
      // is the registered value that says what it is: a secret good once, that the user holds written
      // down. `kba` would say "knowledge-based" (security questions), a weaker and different kind.
      return { ok: true, methods: ['otp'] };
    },

    async adminView(publicId) {
      const user = await store.findUserByPublicId(publicId);
      if (!user) return undefined;
      const [factor, recoveryCodesLeft, passkeys] = await Promise.all([
        confirmed(user.id),
        store.countRecoveryCodes(user.id),
        store.listPasskeys(user.id),
      ]);
      return { totp: factor !== undefined, recoveryCodesLeft, passkeys };
    },

    async adminReset(caller, publicId) {
      const user = await store.findUserByPublicId(publicId);
      if (!user) return false;
      const now = clock();
      const mail = notices(user, 'factors_reset', caller.client);
      await store.resetFactors(
        user.id,
        {
          audit: {
            ...auditByLink(caller.user, 'mfa.reset', now, caller.client.ip),
            targetId: user.id,
            target: user.username,
          },
          mail,
        },
        now,
      );
      wake(mail);
      return true;
    },
  };
}
