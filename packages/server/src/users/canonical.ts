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
  if (!isSingleScript(username)) return { code: 'mixed_script_username' };
  return undefined;
}

/**
 * Scripts whose letters look like Latin ones or like each other's, and the CJK ones a Japanese, Chinese
 * or Korean name mixes with each other and with Latin. Anything else is checked as its own script.
 */
const SCRIPTS = [
  'Latin',
  'Cyrillic',
  'Greek',
  'Armenian',
  'Cherokee',
  'Coptic',
  'Georgian',
  'Han',
  'Hiragana',
  'Katakana',
  'Hangul',
  'Bopomofo',
  'Arabic',
  'Hebrew',
  'Devanagari',
  'Thai',
] as const;
const SCRIPT_PATTERNS = SCRIPTS.map((script) => [script, new RegExp(`\\p{Script=${script}}`, 'u')] as const);
/** UTS #39's "highly restrictive" level: one script, or Latin with one of these CJK sets. */
const ALLOWED_MIXES: readonly (readonly string[])[] = [
  ['Latin', 'Han', 'Hiragana', 'Katakana'],
  ['Latin', 'Han', 'Bopomofo'],
  ['Latin', 'Han', 'Hangul'],
];

/**
 * Whether every letter of the name is of one script (or an allowed CJK mix): `аdmin` with a Cyrillic
 * `а` is refused, so no one registers a name that reads as another account's. Digits and the
 * punctuation Django allows belong to no script and pass.
 */
export function isSingleScript(name: string): boolean {
  const scripts = new Set<string>();
  for (const char of name) {
    if (!/\p{L}/u.test(char)) continue;
    const script = SCRIPT_PATTERNS.find(([, pattern]) => pattern.test(char))?.[0] ?? otherScript(char);
    scripts.add(script);
  }
  if (scripts.size <= 1) return true;
  return ALLOWED_MIXES.some((mix) => [...scripts].every((script) => mix.includes(script)));
}

/** A letter of a script not listed: its own name, so two of them still count as two scripts. */
function otherScript(char: string): string {
  return `other:${char.codePointAt(0)?.toString(16).slice(0, -2) ?? ''}`;
}

export function isValidEmail(email: string): boolean {
  return email.length <= EMAIL_MAX_LENGTH && EMAIL_PATTERN.test(email) && !CONTROL.test(email);
}
