import { randomBytes } from 'node:crypto';
import { generateHOTP, verifyHOTP } from '@oslojs/otp';

/** RFC 6238 as every authenticator app does it: HMAC-SHA-1, six digits, a 30-second step. */
export const TOTP_PERIOD = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of the current one: a phone's clock a little off, a code typed slowly. */
export const TOTP_WINDOW = 1;
/** RFC 4226 §4 asks for 128 bits at least; 160 is SHA-1's block-friendly size that apps expect. */
const SECRET_BYTES = 20;

export function newTotpSecret(): Buffer {
  return randomBytes(SECRET_BYTES);
}

/** The RFC 6238 time step of `at`. */
export function timeStep(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_PERIOD);
}

/** The code of one time step (the clock is the caller's, so tests inject it). */
export function totpCode(secret: Uint8Array, step: number, digits = TOTP_DIGITS): string {
  return generateHOTP(secret, BigInt(step), digits);
}

/**
 * The step within the window whose code `code` is, the latest first; undefined: none. Which step matched
 * is what makes a code single use: the store accepts each step once, and only a later one after it.
 */
export function matchingStep(secret: Uint8Array, code: string, at: Date): number | undefined {
  if (!/^[0-9]{6}$/.test(code)) return undefined;
  const now = timeStep(at);
  for (let step = now + TOTP_WINDOW; step >= now - TOTP_WINDOW; step--) {
    // verifyHOTP compares in constant time.
    if (verifyHOTP(secret, BigInt(step), TOTP_DIGITS, code)) return step;
  }
  return undefined;
}

/** RFC 4648 base32 without padding, as the otpauth URI and people type it. */
export function base32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/**
 * Google Authenticator's key URI format: `otpauth://totp/<issuer>:<account>?secret=…&issuer=…`, every part
 * percent-encoded (a space as %20: some apps would show a `+`).
 */
export function otpauthUri(issuer: string, account: string, secret: Uint8Array): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = [
    ['secret', base32(secret)],
    ['issuer', issuer],
    ['algorithm', 'SHA1'],
    ['digits', String(TOTP_DIGITS)],
    ['period', String(TOTP_PERIOD)],
  ]
    .map(([name, value]) => `${name}=${encodeURIComponent(value ?? '')}`)
    .join('&');
  return `otpauth://totp/${label}?${query}`;
}
