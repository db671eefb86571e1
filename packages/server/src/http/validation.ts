import { Messages, type FieldErrors } from '@gatehouse/contract';
import type { FastifySchemaValidationError } from 'fastify';
import { problemMessage } from './messages.js';

const TYPE_MESSAGES: Record<string, string> = {
  string: Messages.fieldNotString,
  integer: 'A valid integer is required.',
  number: 'A valid number is required.',
  boolean: 'Must be a valid boolean.',
  array: 'Expected a list of items.',
  object: 'Expected a dictionary of items.',
};

/**
 * Schema validation errors in DRF's shape: `{"field": ["message", …]}`, fields in the order the
 * schema declares them (DRF reports in serializer field order).
 */
export function toFieldErrors(
  errors: readonly FastifySchemaValidationError[],
  schema: { properties?: object } | undefined,
  body: unknown,
): FieldErrors {
  const collected = new Map<string, string[]>();
  const add = (field: string, message: string) => {
    const messages = collected.get(field) ?? [];
    if (!messages.includes(message)) messages.push(message);
    collected.set(field, messages);
  };
  for (const error of errors) {
    const params = error.params as Record<string, unknown>;
    if (error.keyword === 'anyOf') continue;
    if (error.keyword === 'required') {
      // For "one of these fields" (anyOf of required) only the first alternative is named, as the
      // route's own clients know it.
      const branch = /^#\/anyOf\/(\d+)\//.exec(error.schemaPath);
      if (branch && branch[1] !== '0') continue;
      add(String(params.missingProperty), Messages.fieldRequired);
      continue;
    }
    const field = error.instancePath.split('/')[1]?.replaceAll('~1', '/').replaceAll('~0', '~');
    if (field === undefined) {
      add('non_field_errors', `Invalid data. Expected a dictionary, but got ${pythonTypeName(body)}.`);
      continue;
    }
    add(field, messageFor(error.keyword, params));
  }
  const order = Object.keys(schema?.properties ?? {});
  const rank = (field: string) => (order.includes(field) ? order.indexOf(field) : order.length);
  return Object.fromEntries([...collected].sort(([a], [b]) => rank(a) - rank(b)));
}

function messageFor(keyword: string, params: Record<string, unknown>): string {
  switch (keyword) {
    case 'type':
      return TYPE_MESSAGES[String(params.type)] ?? 'Invalid value.';
    case 'minLength':
      return params.limit === 1
        ? Messages.fieldBlank
        : `Ensure this field has at least ${String(params.limit)} characters.`;
    case 'maxLength':
      return problemMessage({ code: 'max_length', params: { maxLength: Number(params.limit) } });
    case 'format':
      return params.format === 'email' ? Messages.invalidEmail : 'Enter a valid value.';
    default:
      return 'Invalid value.';
  }
}

/** The type names DRF puts in "Expected a dictionary, but got …". */
function pythonTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return typeof value;
}
