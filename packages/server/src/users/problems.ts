import type { UniqueField } from '../store/users/store.js';

/**
 * Why a value was refused, as a stable code and the values its message needs; undefined for a code that
 * needs none. Services return these and never words: what a client reads (DRF's and Django's texts on the
 * wire, http/messages.ts) or an operator reads (the CLI) is the presentation layer's to say. The codes are
 * Django's and DRF's own (ValidationError's `code`) where one fits.
 */
export interface ProblemParams {
  /** Missing, where it is needed (an address, when email verification is mandatory). */
  required: undefined;
  blank: undefined;
  max_length: { maxLength: number };
  invalid_username: undefined;
  /** Letters of several scripts (Cyrillic `а` in `admin`): a look-alike of another name. */
  mixed_script_username: undefined;
  /** A username with `@` that is not the account's own email address. */
  username_not_own_email: undefined;
  invalid_email: undefined;
  /** Another account already has this value. */
  unique: { field: UniqueField };
  /** Django's UserAttributeSimilarityValidator: the first attribute the password resembles. */
  password_too_similar: { attribute: 'username' | 'email' };
  password_too_short: { minLength: number };
  password_too_common: undefined;
  /** zxcvbn scores it as guessable in under a million tries; `warning` is zxcvbn's reason, when it gives one. */
  password_too_guessable: { warning: string | null };
  password_entirely_numeric: undefined;
  /** The password confirming a sensitive action is not the account's. */
  password_incorrect: undefined;
  /** A new address that is the account's address already. */
  same_email: undefined;
  /** The current password given with a new one is not the account's (Django's PasswordChangeForm). */
  old_password_incorrect: undefined;
}

export type ProblemCode = keyof ProblemParams;

export type Problem = {
  [C in ProblemCode]: ProblemParams[C] extends undefined
    ? { code: C }
    : { code: C; params: ProblemParams[C] };
}[ProblemCode];

/** Problems by field name, fields and each field's problems in the order they are to be reported. */
export type FieldProblems = Record<string, Problem[]>;

/** An expected refusal: the request's fields and why each was refused. */
export type Refused = { ok: false; problems: FieldProblems };

export const refused = (field: string, problem: Problem): Refused => ({
  ok: false,
  problems: { [field]: [problem] },
});
