import type { Problem } from './problems.js';

/**
 * One canonical form for identifiers, applied identically when an account is created and at login.
 * NFKC folds compatibility look-alikes (full-width `ｕｓｅｒ１`, ligatures, circled digits) into their plain
 * forms; lower-casing makes `User1` and `user1` one account.
 */
export function normalizeIdentifier(raw: string): string {
  return raw.normalize('NFKC').trim();
}

export function usernameKey(raw: string): string {
  return normalizeIdentifier(raw).toLowerCase().normalize('NFKC');
}

export function canonicalEmail(raw: string): string {
  return normalizeIdentifier(raw).toLowerCase().normalize('NFKC');
}

export const USERNAME_MAX_LENGTH = 150;
export const EMAIL_MAX_LENGTH = 254;

/** Django's UnicodeUsernameValidator: letters, digits and @ . + - _ */
const USERNAME_PATTERN = /^[\p{L}\p{M}\p{N}@.+_-]+$/u;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/u;
const CONTROL = /\p{Cc}/u;

/** The reason a (normalised) username is refused, or undefined. */
export function usernameProblem(username: string): Problem | undefined {
  if (username.length === 0) return { code: 'blank' };
  if (username.length > USERNAME_MAX_LENGTH) {
    return { code: 'max_length', params: { maxLength: USERNAME_MAX_LENGTH } };
  }
  if (!USERNAME_PATTERN.test(username)) return { code: 'invalid_username' };
  return undefined;
}

export function isValidEmail(email: string): boolean {
  return email.length <= EMAIL_MAX_LENGTH && EMAIL_PATTERN.test(email) && !CONTROL.test(email);
}
