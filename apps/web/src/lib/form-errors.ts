import { GatehouseError } from '@gatehouse/client';

export interface FormErrors<Field extends string> {
  /** For the form as a whole: a refusal that names no input (wrong password, throttled, offline). */
  form?: string;
  /** Under each input: the server's messages for that field, joined. */
  fields: Partial<Record<Field, string>>;
}

const UNKNOWN_FAILURE = 'Something went wrong. Please try again.';
const OFFLINE = 'Cannot reach the server. Check your connection and try again.';

/**
 * Spreads a failure over a form. DRF's field errors go under the inputs that own them (`aliases` maps a
 * server field to another input, e.g. the login's `email` to its one identifier input); the rest —
 * `non_field_errors`, fields without an input, a bare `detail` — goes to the form. No error (undefined),
 * no messages.
 */
export function formErrors<Field extends string>(
  error: unknown,
  fields: readonly Field[],
  aliases: Readonly<Partial<Record<string, Field>>> = {},
): FormErrors<Field> {
  if (error === undefined) return { fields: {} };
  if (!(error instanceof GatehouseError)) return { form: UNKNOWN_FAILURE, fields: {} };
  if (error.code === 'network_error') return { form: OFFLINE, fields: {} };

  const byField: Partial<Record<Field, string>> = {};
  const loose: string[] = [];
  for (const [name, messages] of Object.entries(error.fieldErrors)) {
    const target = aliases[name] ?? fields.find((field) => field === name);
    if (target === undefined) loose.push(...messages);
    else byField[target] = [byField[target], ...messages].filter(Boolean).join(' ');
  }
  if (Object.keys(byField).length === 0 && loose.length === 0) return { form: error.detail, fields: {} };
  return loose.length > 0 ? { form: loose.join(' '), fields: byField } : { fields: byField };
}

/** The message for a failure outside a form (a list that did not load, a button's action). */
export function errorMessage(error: unknown): string {
  return formErrors(error ?? new Error('unknown'), []).form ?? UNKNOWN_FAILURE;
}
