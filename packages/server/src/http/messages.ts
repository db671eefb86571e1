import { EmailChangeMessages, Messages, type FieldErrors } from '@gatehouse/contract';
import type { FieldProblems, Problem, ProblemCode, ProblemParams } from '../users/problems.js';

/**
 * The words for every problem a service reports: Django's and DRF's texts, byte for byte, because the
 * tutorials' clients compare against them. The only place they are written; the CLI says them too.
 */
const PROBLEM_MESSAGES: { [C in ProblemCode]: (params: ProblemParams[C]) => string } = {
  blank: () => Messages.fieldBlank,
  max_length: ({ maxLength }) => `Ensure this field has no more than ${maxLength} characters.`,
  invalid_username: () =>
    'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
  invalid_email: () => Messages.invalidEmail,
  // DRF's UniqueValidator, naming the field as the tutorials' servers do.
  unique: ({ field }) => `user with this ${field} already exists.`,
  // Django names the attribute by the User model's verbose name.
  password_too_similar: ({ attribute }) =>
    `The password is too similar to the ${attribute === 'email' ? 'email address' : attribute}.`,
  password_too_short: ({ minLength }) =>
    `This password is too short. It must contain at least ${minLength} ${minLength === 1 ? 'character' : 'characters'}.`,
  password_too_common: () => 'This password is too common.',
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
