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
  // Synchronous, and a quick scan first: it runs on every request, and nearly none has a NUL.
  app.addHook('preHandler', (request, _reply, done) => {
    if (hasNul(request.params)) return done(notFound());
    if (hasNul(request.query) || hasNul(request.body)) {
      return done(invalidFields({ ...fieldsWithNul(request.query), ...fieldsWithNul(request.body) }));
    }
    done();
  });
}

function hasNul(fields: unknown): boolean {
  if (typeof fields !== 'object' || fields === null) return false;
  for (const value of Object.values(fields)) {
    if (typeof value === 'string' ? value.includes('\0') : Array.isArray(value) && hasNulItem(value))
      return true;
  }
  return false;
}

const hasNulItem = (items: unknown[]) =>
  items.some((item) => typeof item === 'string' && item.includes('\0'));

function fieldsWithNul(fields: unknown): FieldErrors {
  if (typeof fields !== 'object' || fields === null) return {};
  return Object.fromEntries(
    Object.entries(fields)
      .filter(([, value]) => hasNulItem([value].flat()))
      .map(([field]) => [field, [Messages.nullCharacters]]),
  );
}
