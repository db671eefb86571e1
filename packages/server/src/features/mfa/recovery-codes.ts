import { createHmac, randomBytes } from 'node:crypto';

/** A batch: enough to last until the user sets up a new factor, few enough to keep on paper. */
export const RECOVERY_CODES = 10;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
/** 10 base32 characters: 50 bits each, out of reach of guessing online; stored as a keyed hash only. */
const CODE_LENGTH = 10;

/** A new batch, `xxxxx-xxxxx` each. */
export function newRecoveryCodes(count = RECOVERY_CODES): string[] {
  return Array.from({ length: count }, () => {
    // 256 is a multiple of 32: every character equally likely.
    const chars = [...randomBytes(CODE_LENGTH)].map((byte) => ALPHABET[byte % 32] ?? '').join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** A code as typed: any case, with or without the dash or spaces; undefined when it cannot be one. */
export function normalizeRecoveryCode(input: string): string | undefined {
  const code = input.toLowerCase().replace(/[\s-]/g, '');
  return new RegExp(`^[${ALPHABET}]{${CODE_LENGTH}}$`).test(code) ? code : undefined;
}

/**
 * HMAC-SHA-256 under a server key: a database dump alone is not enough to test guesses offline. The user
 * is part of the input, so one user's hash says nothing of another's.
 */
export function recoveryCodeHasher(key: Buffer): (userId: number, code: string) => string {
  return (userId, code) => createHmac('sha256', key).update(`recovery:${userId}:${code}`).digest('base64url');
}
