import { hkdfSync, randomBytes } from 'node:crypto';
import { isSealed, open, seal } from '../../auth/key-encryption.js';
import type { SecretStore } from '../../store/secrets/store.js';
import { recoveryCodeHasher } from './recovery-codes.js';

/** How the feature's secrets are kept: TOTP secrets sealed, recovery codes hashed, under one server key. */
export interface MfaKeys {
  sealSecret(userId: number, secret: Buffer): string;
  /** undefined: sealed with another key (a key-encryption key changed) or damaged. */
  openSecret(userId: number, stored: string): Buffer | undefined;
  hashRecoveryCode(userId: number, code: string): string;
}

/**
 * As one-time tokens do (core/one-time-tokens oneTimeTokenKey): derived from the key-encryption key when
 * one is configured, so a database dump alone opens nothing; otherwise 32 random bytes made on first use
 * and kept in the store's secrets. Two keys are derived from it, one per use.
 */
export async function mfaKeys(store: SecretStore, now: Date, keyEncryptionKey?: Buffer): Promise<MfaKeys> {
  const root =
    keyEncryptionKey !== undefined
      ? keyEncryptionKey
      : Buffer.from(
          await store.getOrCreateSecret('mfa_key', () => randomBytes(32).toString('base64url'), now),
          'base64url',
        );
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', root, Buffer.alloc(0), info, 32));
  const sealing = derive('gatehouse totp secrets');
  const hash = recoveryCodeHasher(derive('gatehouse recovery codes'));
  // The row's user is the sealed value's context: a secret copied into another user's row does not open.
  const context = (userId: number) => `totp_factors:${userId}`;
  return {
    sealSecret: (userId, secret) => seal(secret, sealing, context(userId)),
    openSecret(userId, stored) {
      if (!isSealed(stored)) return undefined;
      const opened = open(stored, sealing, context(userId));
      return opened.ok ? opened.secret : undefined;
    },
    hashRecoveryCode: hash,
  };
}
