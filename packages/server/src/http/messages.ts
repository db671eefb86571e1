import { EmailChangeMessages, Messages, type FieldErrors } from '@gatehouse/contract';
import type { FieldProblems, Problem, ProblemCode, ProblemParams } from '../users/problems.js';

/**
 * The words for every problem a service reports: Django's and DRF's texts, byte for byte, because the
 * tutorials' clients compare against them. The only place they are written; the CLI says them too.
 */
/** zxcvbn's reasons (@zxcvbn-ts/language-en's words for its warning codes). */
const GUESSABLE_WARNINGS: Readonly<Record<string, string>> = {
  straightRow: 'Straight rows of keys on your keyboard are easy to guess.',
  keyPattern: 'Short keyboard patterns are easy to guess.',
  simpleRepeat: 'Repeated characters like "aaa" are easy to guess.',
  extendedRepeat: 'Repeated character patterns like "abcabcabc" are easy to guess.',
  sequences: 'Common character sequences like "abc" are easy to guess.',
  recentYears: 'Recent years are easy to guess.',
  dates: 'Dates are easy to guess.',
  topTen: 'This is a heavily used password.',
  topHundred: 'This is a frequently used password.',
  common: 'This is a commonly used password.',
  similarToCommon: 'This is similar to a commonly used password.',
  wordByItself: 'Single words are easy to guess.',
  namesByThemselves: 'Single names or surnames are easy to guess.',
  commonNames: 'Common names and surnames are easy to guess.',
  userInputs: 'It should not contain your username or email address.',
};

const PROBLEM_MESSAGES: { [C in ProblemCode]: (params: ProblemParams[C]) => string } = {
  required: () => Messages.fieldRequired,
  blank: () => Messages.fieldBlank,
  max_length: ({ maxLength }) => `Ensure this field has no more than ${maxLength} characters.`,
  invalid_username: () =>
    'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
  mixed_script_username: () =>
    'Enter a valid username. This value may not mix letters of different scripts (such as Latin and Cyrillic).',
  username_not_own_email: () =>
    "Enter a valid username. A username may contain @ only when it is the account's own email address.",
  invalid_email: () => Messages.invalidEmail,
  // DRF's UniqueValidator, naming the field as the tutorials' servers do.
  unique: ({ field }) => `user with this ${field} already exists.`,
  // Django names the attribute by the User model's verbose name.
  password_too_similar: ({ attribute }) =>
    `The password is too similar to the ${attribute === 'email' ? 'email address' : attribute}.`,
  password_too_short: ({ minLength }) =>
    `This password is too short. It must contain at least ${minLength} ${minLength === 1 ? 'character' : 'characters'}.`,
  password_too_common: () => 'This password is too common.',
  password_too_guessable: ({ warning }) =>
    `This password is too easy to guess.${warning && GUESSABLE_WARNINGS[warning] ? ` ${GUESSABLE_WARNINGS[warning]}` : ''}`,
  password_entirely_numeric: () => 'This password is entirely numeric.',
  password_incorrect: () => 'Incorrect password.',
  same_email: () => EmailChangeMessages.sameEmail,
  old_password_incorrect: () => 'Your old password was entered incorrectly. Please enter it again.',
};

export function problemMessage(problem: Problem): string {
  // The table's type pairs each code with its own params; TypeScript cannot follow that pairing through a
  // lookup by a union-typed code, hence the widening.
  const message = PROBLEM_MESSAGES[problem.code] as (params: unknown) => string;
  return message('params' in problem ? problem.params : undefined);
}

/** DRF's validation body: the same fields in the same order, each problem in words. */
export function fieldErrors(problems: FieldProblems): FieldErrors {
  return Object.fromEntries(
    Object.entries(problems).map(([field, list]) => [field, list.map(problemMessage)]),
  );
}
