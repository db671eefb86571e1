import { describe, expect, test } from 'vitest';
import { errorFromResponse, GatehouseError, SecondFactorRequired } from './errors.js';

const NOW = Date.UTC(2026, 0, 1);
const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  errorFromResponse(new Response(JSON.stringify(body), { status, headers }), NOW);

describe('errorFromResponse', () => {
  test('401 mfa_required with a challenge: a SecondFactorRequired, still a GatehouseError', async () => {
    const error = await answer(401, {
      detail: 'Second factor required.',
      code: 'mfa_required',
      mfa_token: 'tok',
      methods: ['otp', 'hwk', 7],
    });
    expect(error).toBeInstanceOf(SecondFactorRequired);
    expect(error).toBeInstanceOf(GatehouseError);
    expect(error).toMatchObject({
      status: 401,
      code: 'mfa_required',
      mfaToken: 'tok',
      methods: ['otp', 'hwk'],
    });
    expect((error as SecondFactorRequired).enrollment).toBe(false);

    const enrol = await answer(401, { detail: 'Set up.', code: 'mfa_enrollment_required', mfa_token: 't2' });
    expect(enrol).toMatchObject({ mfaToken: 't2', methods: [], enrollment: true });
    // Without a challenge to answer, it is a plain refusal.
    const bare = await answer(401, { detail: 'Second factor required.', code: 'mfa_required' });
    expect(bare).not.toBeInstanceOf(SecondFactorRequired);
  });

  test('400: DRF field errors, the first message as the detail', async () => {
    const error = await answer(400, {
      username: ['This field is required.'],
      password: ['Too short.', 'Too common.'],
    });
    expect(error).toBeInstanceOf(GatehouseError);
    expect(error).toMatchObject({
      status: 400,
      code: 'invalid',
      detail: 'This field is required.',
      fieldErrors: { username: ['This field is required.'], password: ['Too short.', 'Too common.'] },
      retryAfter: undefined,
    });
    expect(error.message).toBe('This field is required.');
  });

  test('400: non_field_errors come first', async () => {
    const error = await answer(400, { email: ['Bad.'], non_field_errors: ['Passwords differ.'] });
    expect(error.detail).toBe('Passwords differ.');
  });

  test('401: the body’s code when there is one, else the status’s, else the caller’s', async () => {
    expect(await answer(401, { detail: 'Token is blacklisted', code: 'token_not_valid' })).toMatchObject({
      code: 'token_not_valid',
      detail: 'Token is blacklisted',
      fieldErrors: {},
    });
    expect(await answer(401, { detail: 'Authentication credentials were not provided.' })).toMatchObject({
      code: 'not_authenticated',
    });
    const login = await errorFromResponse(
      new Response('{"detail":"No active account found with the given credentials"}', { status: 401 }),
      NOW,
      { 401: 'no_active_account' },
    );
    expect(login.code).toBe('no_active_account');
  });

  test('429: retryAfter from Retry-After (seconds or a date), else from DRF’s text', async () => {
    const detail = 'Request was throttled. Expected available in 42 seconds.';
    expect(await answer(429, { detail }, { 'retry-after': '42' })).toMatchObject({
      code: 'throttled',
      retryAfter: 42,
      detail,
    });
    const date = new Date(NOW + 90_000).toUTCString();
    expect((await answer(429, { detail }, { 'retry-after': date })).retryAfter).toBe(90);
    expect(
      (await answer(429, { detail: 'Request was throttled. Expected available in 1 second.' })).retryAfter,
    ).toBe(1);
  });

  test('503: the server’s code and Retry-After', async () => {
    const error = await answer(
      503,
      { detail: 'Service temporarily unavailable, try again shortly.', code: 'service_unavailable' },
      { 'retry-after': '5' },
    );
    expect(error).toMatchObject({ status: 503, code: 'service_unavailable', retryAfter: 5 });
  });

  test('other statuses, and bodies that are not JSON', async () => {
    expect((await answer(403, { detail: 'CSRF check failed.' })).code).toBe('permission_denied');
    expect((await answer(404, { detail: 'Not found.' })).code).toBe('not_found');
    expect((await answer(502, '<html>')).code).toBe('server_error');
    const html = await errorFromResponse(
      new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
      NOW,
    );
    expect(html).toMatchObject({ code: 'server_error', detail: 'Bad Gateway', fieldErrors: {} });
    expect((await answer(418, {})).code).toBe('unexpected_response');
  });
});
