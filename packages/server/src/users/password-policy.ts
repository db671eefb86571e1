import { createRequire } from 'node:module';
import { PASSWORD_MAX_LENGTH } from '@gatehouse/contract';
import type { dictionary as ZxcvbnCommonDictionary } from '@zxcvbn-ts/language-common';
import type { Problem } from './problems.js';

/**
 * The password policy: NIST SP 800-63B-4 §3.1.1.2 and OWASP ASVS 5 (V6.2), with Django's default validators'
 * checks and codes. A minimum length (counted in code points of the NFKC form) and a generous maximum; no
 * composition rules; a blocklist of common passwords; no password too similar to the account's username or
 * email address (Django's UserAttributeSimilarityValidator); no entirely numeric password (Django's
 * NumericPasswordValidator).
 */

export const DEFAULT_PASSWORD_MIN_LENGTH = 8;
/** The default minimum; kept for existing importers. */
export const PASSWORD_MIN_LENGTH = DEFAULT_PASSWORD_MIN_LENGTH;

/** The account a password is for, to refuse passwords that resemble it. */
export interface PasswordContext {
  username?: string | undefined;
  email?: string | null | undefined;
}

export interface PasswordPolicyOptions {
  /** At least 1 and at most PASSWORD_MAX_LENGTH; DEFAULT_PASSWORD_MIN_LENGTH when absent. */
  minLength?: number;
}

/** Django's UserAttributeSimilarityValidator default. */
const MAX_SIMILARITY = 0.7;

/** The User fields a password must not resemble, in the order Django checks them. */
const SIMILARITY_ATTRIBUTES = ['username', 'email'] as const satisfies readonly (keyof PasswordContext)[];

/**
 * The reasons a password is refused, in a stable order (Django's default validator order: similarity, length,
 * common, numeric); empty when it is accepted. A password over the maximum length gets only that reason, found
 * before any other work is done on it.
 */
export function passwordProblems(
  password: string,
  context: PasswordContext = {},
  options: PasswordPolicyOptions = {},
): Problem[] {
  const minLength = options.minLength ?? DEFAULT_PASSWORD_MIN_LENGTH;
  if (!Number.isInteger(minLength) || minLength < 1 || minLength > PASSWORD_MAX_LENGTH) {
    throw new RangeError(`minLength must be an integer from 1 to ${PASSWORD_MAX_LENGTH}, not ${minLength}`);
  }
  if (exceedsMaxLength(password)) {
    return [{ code: 'max_length', params: { maxLength: PASSWORD_MAX_LENGTH } }];
  }

  const normalized = password.normalize('NFKC');
  const problems: Problem[] = [];

  const similarTo = similarAttribute(normalized.toLowerCase(), context);
  if (similarTo !== undefined)
    problems.push({ code: 'password_too_similar', params: { attribute: similarTo } });

  if (codePointLength(normalized) < minLength) {
    problems.push({ code: 'password_too_short', params: { minLength } });
  }

  if (isCommonPassword(normalized)) problems.push({ code: 'password_too_common' });

  if (/^\p{Nd}+$/u.test(normalized)) problems.push({ code: 'password_entirely_numeric' });

  // A list lookup misses a common password with a run of digits (`password1234567`): a password that
  // passed every check above is also scored by zxcvbn, the account's identifiers counting as known words.
  if (problems.length === 0 && codePointLength(normalized) <= MAX_SCORED_LENGTH) {
    const guessable = guessability(normalized, context);
    if (guessable !== undefined) problems.push({ code: 'password_too_guessable', params: guessable });
  }

  return problems;
}

/**
 * Whether the raw password has more than PASSWORD_MAX_LENGTH code points (as the request schema counts them),
 * without walking an arbitrarily long string: n UTF-16 units hold between n/2 and n code points.
 */
function exceedsMaxLength(password: string): boolean {
  if (password.length <= PASSWORD_MAX_LENGTH) return false;
  if (password.length > 2 * PASSWORD_MAX_LENGTH) return true;
  return codePointLength(password) > PASSWORD_MAX_LENGTH;
}

function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

// ---- Common passwords -----------------------------------------------------------------------------------

/*
 * The blocklist is the `passwords-common` dictionary of @zxcvbn-ts/language-common (MIT licence, © 2012-2016
 * Dan Wheeler and Dropbox, Inc., © 2021 zxcvbn-ts): 49,233 lower-case passwords ranked by frequency in leaked
 * password corpora. It is read on first use, not when this module is imported, through the package's CommonJS
 * build so that the check stays synchronous.
 */
const requireFromHere = createRequire(import.meta.url);
let commonPasswords: ReadonlySet<string> | undefined;

function loadCommonPasswords(): ReadonlySet<string> {
  if (commonPasswords === undefined) {
    const { dictionary } = requireFromHere('@zxcvbn-ts/language-common') as {
      dictionary: typeof ZxcvbnCommonDictionary;
    };
    const list = dictionary['passwords-common'];
    if (!Array.isArray(list) || list.length === 0) {
      throw new Error('@zxcvbn-ts/language-common has no passwords-common dictionary');
    }
    commonPasswords = new Set(list.map(commonPasswordKey));
  }
  return commonPasswords;
}

/** Django's CommonPasswordValidator compares `password.lower().strip()`; here on the NFKC form. */
function commonPasswordKey(password: string): string {
  return password.normalize('NFKC').toLowerCase().trim();
}

function isCommonPassword(normalized: string): boolean {
  return loadCommonPasswords().has(commonPasswordKey(normalized));
}

// ---- Guessability (zxcvbn) --------------------------------------------------------------------------------

/**
 * zxcvbn's score 2, "somewhat guessable": at least 10^6 guesses, what an online attacker slowed down by the
 * login throttle cannot try. Below it a password is refused, with zxcvbn's reason.
 */
const MIN_SCORE = 2;
/**
 * Longer passwords are not scored: zxcvbn's matching grows faster than linearly with the length, and a
 * passphrase this long is past any online attack (a repeated character is refused before, as common).
 */
const MAX_SCORED_LENGTH = 128;

interface Zxcvbn {
  check(password: string, userInputs?: string[]): { score: number; feedback: { warning: string | null } };
}
let zxcvbn: Zxcvbn | undefined;

/** Built on first use (a few MB of dictionaries, ~0.2 s), never at import: idle servers do not pay for it. */
function loadZxcvbn(): Zxcvbn {
  if (zxcvbn === undefined) {
    const { ZxcvbnFactory } = requireFromHere('@zxcvbn-ts/core') as {
      ZxcvbnFactory: new (options: object) => Zxcvbn;
    };
    const common = requireFromHere('@zxcvbn-ts/language-common') as {
      dictionary: typeof ZxcvbnCommonDictionary;
      adjacencyGraphs: object;
    };
    zxcvbn = new ZxcvbnFactory({ dictionary: common.dictionary, graphs: common.adjacencyGraphs });
  }
  return zxcvbn;
}

/** zxcvbn's reason when the password scores below MIN_SCORE; undefined when it is good enough. */
function guessability(normalized: string, context: PasswordContext): { warning: string | null } | undefined {
  const inputs = [context.username, context.email, context.email?.split('@')[0]].filter(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  const result = loadZxcvbn().check(normalized, inputs);
  return result.score < MIN_SCORE ? { warning: result.feedback.warning } : undefined;
}

// ---- Similarity to the account's attributes -------------------------------------------------------------

/** Python's `\W+` on str: runs of characters that are neither letters, numbers nor the underscore. */
const NON_WORD = /[^\p{L}\p{N}_]+/u;

/**
 * Django's UserAttributeSimilarityValidator: the first attribute that the lower-cased password is too
 * similar to, comparing with the whole value and with each of its parts split on non-word
 * characters (so an email address's local part and each label of its domain).
 */
function similarAttribute(
  lowerPassword: string,
  context: PasswordContext,
): (typeof SIMILARITY_ATTRIBUTES)[number] | undefined {
  const password = [...lowerPassword];
  for (const attribute of SIMILARITY_ATTRIBUTES) {
    const value = context[attribute];
    if (!value) continue;
    const lowerValue = value.normalize('NFKC').toLowerCase();
    for (const part of [...lowerValue.split(NON_WORD), lowerValue]) {
      const valuePart = [...part];
      if (exceedsMaximumLengthRatio(password.length, valuePart.length)) continue;
      if (quickRatio(password, valuePart) >= MAX_SIMILARITY) return attribute;
    }
  }
  return undefined;
}

/**
 * Django's exceeds_maximum_length_ratio: a password at least ten times longer than the value, and long enough
 * that the value could not make it similar, is not compared with it.
 */
function exceedsMaximumLengthRatio(passwordLength: number, valueLength: number): boolean {
  const lengthBoundSimilarity = (MAX_SIMILARITY / 2) * passwordLength;
  return passwordLength >= 10 * valueLength && valueLength < lengthBoundSimilarity;
}

/**
 * Python's difflib.SequenceMatcher(a=a, b=b).quick_ratio(): 2·M / (|a| + |b|), M being the size of the
 * multiset intersection of the two sequences' elements (here code points); 1 when both are empty.
 */
export function quickRatio(a: readonly string[], b: readonly string[]): number {
  const total = a.length + b.length;
  if (total === 0) return 1;
  const available = new Map<string, number>();
  for (const element of b) available.set(element, (available.get(element) ?? 0) + 1);
  let matches = 0;
  for (const element of a) {
    const count = available.get(element) ?? 0;
    if (count > 0) {
      matches++;
      available.set(element, count - 1);
    }
  }
  return (2 * matches) / total;
}
