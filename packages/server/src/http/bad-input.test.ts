import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTestContext, type TestContext } from '../testing/test-app.js';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await ctx.createUser({ username: 'user1' });
});
afterEach(() => ctx.close());

const raw = (payload: string, contentType = 'application/json', url = '/api/token/') =>
  ctx.app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload });

describe('bad input gets a clear 4xx JSON error, never a 500', () => {
  test('malformed JSON', async () => {
    const response = await raw('{"username":');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ detail: 'JSON parse error - Unexpected end of JSON input' });
  });

  test('prototype-pollution keys are refused, never merged', async () => {
    for (const payload of [
      '{"__proto__":{"is_superuser":true},"username":"user1","password":"password1"}',
      '{"constructor":{"prototype":{"x":1}},"username":"user1","password":"password1"}',
    ]) {
      const response = await raw(payload);
      expect(response.statusCode).toBe(400);
      expect(response.json().detail).toMatch(
        /^JSON parse error - Object contains forbidden prototype property/,
      );
    }
    const form = await raw(
      '__proto__=x&username=user1&password=password1',
      'application/x-www-form-urlencoded',
    );
    expect(form.statusCode).toBe(400);
    expect(({} as Record<string, unknown>).is_superuser).toBeUndefined();
  });

  test('a body that is not an object', async () => {
    const cases: [string, string][] = [
      ['[1,2]', 'list'],
      ['"text"', 'str'],
      ['42', 'int'],
      ['null', 'NoneType'],
      ['true', 'bool'],
    ];
    for (const [payload, type] of cases) {
      const response = await raw(payload);
      expect(response.statusCode, payload).toBe(400);
      expect(response.json().non_field_errors).toEqual([
        `Invalid data. Expected a dictionary, but got ${type}.`,
      ]);
    }
  });

  test('an empty body is an empty object', async () => {
    for (const response of [await raw(''), await ctx.app.inject({ method: 'POST', url: '/api/token/' })]) {
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        username: ['This field is required.'],
        password: ['This field is required.'],
      });
    }
  });

  test('unsupported content type is 415', async () => {
    const response = await raw('username=user1', 'text/plain');
    expect(response.statusCode).toBe(415);
    expect(response.json()).toEqual({ detail: 'Unsupported media type "text/plain" in request.' });
  });

  test('a body over the limit is 413', async () => {
    const response = await raw(JSON.stringify({ username: 'user1', password: 'x'.repeat(20_000) }));
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({ detail: 'Request body is too large.' });
  });

  test('unknown fields are ignored', async () => {
    const response = await raw(
      JSON.stringify({ username: 'user1', password: 'password1', is_superuser: true }),
    );
    expect(response.statusCode).toBe(200);
  });

  test('a token field of the wrong type or oversized', async () => {
    for (const [refresh, message] of [
      [123, 'Not a valid string.'],
      [{ a: 1 }, 'Not a valid string.'],
      ['x'.repeat(8193), 'Ensure this field has no more than 8192 characters.'],
    ] as const) {
      const response = await raw(JSON.stringify({ refresh }), 'application/json', '/api/token/refresh/');
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ refresh: [message] });
    }
  });

  test('an unknown path is a JSON 404', async () => {
    const response = await ctx.app.inject({ url: '/nope/' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ detail: 'Not found.' });
  });

  test('a URL that cannot be decoded', async () => {
    const response = await ctx.app.inject({ url: '/api/%zz' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ detail: 'Malformed URL.' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  test('a 1 MB Authorization header is refused as a token, not a crash', async () => {
    const response = await ctx.app.inject({
      url: '/api/profile/',
      headers: { authorization: `Bearer ${'a'.repeat(1024 * 1024)}` },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('token_not_valid');
  });
});
