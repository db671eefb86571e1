import { Messages, type FieldErrors } from '@gatehouse/contract';
import type { FastifyInstance } from 'fastify';
import { invalidFields, notFound } from './errors.js';

/**
 * Text with a NUL character is refused before any handler sees it, as DRF's CharField refuses it (with
 * this message): PostgreSQL can neither store nor compare such text, so it would reach the database as
 * a server error. A path parameter with one names nothing: 404. After authentication and validation, so
 * an anonymous caller still learns only that it must sign in.
 */
export function registerNullCharacterCheck(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => {
    if (Object.keys(fieldsWithNul(request.params)).length > 0) throw notFound();
    const errors = { ...fieldsWithNul(request.query), ...fieldsWithNul(request.body) };
    if (Object.keys(errors).length > 0) throw invalidFields(errors);
  });
}

function fieldsWithNul(fields: unknown): FieldErrors {
  if (typeof fields !== 'object' || fields === null) return {};
  return Object.fromEntries(
    Object.entries(fields)
      .filter(([, value]) => [value].flat().some((item) => typeof item === 'string' && item.includes('\0')))
      .map(([field]) => [field, [Messages.nullCharacters]]),
  );
}
