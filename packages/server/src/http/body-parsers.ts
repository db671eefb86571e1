import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { HttpError } from './errors.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * JSON and form bodies, as DRF parses them. An empty body is an empty object (so a bare POST gets
 * "This field is required." rather than a parse error); `__proto__`/`constructor` keys are refused,
 * never merged into an object.
 */
export function registerBodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'invalid JSON';
      done(new HttpError(400, 'parse_error', { detail: `JSON parse error - ${reason}` }), undefined);
    }
  });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      const fields: Record<string, string> = {};
      for (const [key, value] of new URLSearchParams(String(body))) {
        if (FORBIDDEN_KEYS.has(key)) {
          return done(
            new HttpError(400, 'parse_error', { detail: `Form parse error - forbidden field name "${key}"` }),
          );
        }
        fields[key] = value;
      }
      done(null, fields);
    },
  );
  // A request without a body validates as an empty object, as in DRF.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && request.routeOptions.schema?.body) request.body = {};
  });
}
