import type { NewMail } from '../../mail/message.js';
import type { NewAuditEntry } from '../../store/audit/store.js';

/** A user's authenticator app as stored: its secret sealed (keys.ts). */
export interface TotpFactor {
  userId: number;
  secret: string;
  createdAt: Date;
  /** undefined while pending. */
  confirmedAt: Date | undefined;
  lastUsedStep: number | undefined;
}

/** What a change to a user's factors writes in its transaction: its audit entry and its notice. */
export interface FactorChangeEffects {
  audit: NewAuditEntry;
  mail: readonly NewMail[];
}

/**
 * The store slice of second factors (TOTP and recovery codes; passkeys counted and removed only). Each
 * use of a code is a compare-and-set in one statement, so two requests with one code get one success.
 */
export interface MfaStore {
  findTotpFactor(userId: number): Promise<TotpFactor | undefined>;
  /**
   * A pending factor with `secret`, replacing a pending one; false when a confirmed one exists (nothing
   * is written then).
   */
  startTotpEnrollment(userId: number, secret: string, now: Date): Promise<boolean>;
  /**
   * The pending factor becomes active, if it was made after `pendingSince`, with `step` as its last used
   * step; the user's recovery codes are replaced by `codeHashes`, with the effects, in one transaction.
   * False: no such pending factor (expired, confirmed meanwhile, or none).
   */
  confirmTotp(
    change: {
      userId: number;
      step: number;
      now: Date;
      pendingSince: Date;
      codeHashes: readonly string[];
    } & FactorChangeEffects,
  ): Promise<boolean>;
  /** The confirmed factor accepts `step` if it is later than every step it accepted before. */
  useTotpStep(userId: number, step: number): Promise<boolean>;
  /** The confirmed factor and the recovery codes are removed, with the effects; false: there was none. */
  disableTotp(userId: number, effects: FactorChangeEffects, now: Date): Promise<boolean>;
  /** The user's unused recovery codes. */
  countRecoveryCodes(userId: number): Promise<number>;
  /** The whole batch is replaced (the old one is void), with the effects. */
  replaceRecoveryCodes(
    userId: number,
    codeHashes: readonly string[],
    now: Date,
    effects: FactorChangeEffects,
  ): Promise<void>;
  /** The unused code with this hash is used now, with the effects (if any); false: no such unused code. */
  useRecoveryCode(
    userId: number,
    codeHash: string,
    now: Date,
    effects?: FactorChangeEffects,
  ): Promise<boolean>;
  countPasskeys(userId: number): Promise<number>;
  /** An administrator's reset: every factor and passkey of the user goes, with the effects. */
  resetFactors(userId: number, effects: FactorChangeEffects, now: Date): Promise<void>;
}
