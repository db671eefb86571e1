import { Type } from 'typebox';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FEATURES } from '../features/features.js';
import { createTestContext, type TestContext } from '../testing/test-app.js';
import type { Feature } from './core.js';

/** A sensitive route as a feature would guard one (adding a factor, changing the email). */
const sensitive: Feature = async (app, { guards }) => {
  app.post(
    '/api/test/sensitive/',
    { preValidation: guards.recentlyAuthenticated, schema: { body: Type.Object({ value: Type.String() }) } },
    async (request) => ({ user: guards.caller(request).user.username, value: request.body.value }),
  );
};

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext(
    {
      GATEHOUSE_RATE_LIMITS: 'false',
      GATEHOUSE_REAUTHENTICATION_WINDOW: '10m',
      // Access tokens outlive the window here, so that only the window decides.
      GATEHOUSE_ACCESS_TOKEN_LIFETIME: '1h',
    },
    { features: [...FEATURES, sensitive] },
  );
  await ctx.createUser({ username: 'user1' });
});
afterEach(() => ctx.close());

const call = (access: string | undefined, payload: object = { value: 'x' }) =>
  ctx.app.inject({
    method: 'POST',
    url: '/api/test/sensitive/',
    payload,
    headers: access === undefined ? {} : { authorization: `Bearer ${access}` },
  });

const REAUTHENTICATE = { detail: 'Please sign in again to continue.', code: 'reauthentication_required' };

describe('recent authentication', () => {
  test('allowed within the window after a sign-in', async () => {
    const { access } = await ctx.login('user1');
    ctx.clock.advance(599);
    const response = await call(access);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ user: 'user1', value: 'x' });
  });

  test('refused past the window, and a refresh does not make a session recent again', async () => {
    const { refresh } = await ctx.login('user1');
    ctx.clock.advance(601);
    const refreshed = await ctx.app.inject({
      method: 'POST',
      url: '/api/token/refresh/',
      payload: { refresh },
    });
    expect(refreshed.statusCode).toBe(200);
    const response = await call(refreshed.json().access as string);
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual(REAUTHENTICATE);
  });

  test('a new sign-in makes it recent', async () => {
    await ctx.login('user1');
    ctx.clock.advance(3600);
    const { access } = await ctx.login('user1');
    expect((await call(access)).statusCode).toBe(200);
  });

  test('a token without auth_time is never recent; anonymous callers get the usual 401 before validation', async () => {
    const { access } = await ctx.login('user1');
    const payload = JSON.parse(
      Buffer.from(access.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as Record<string, unknown>;
    delete payload['auth_time'];
    expect((await call(ctx.mint(payload))).json()).toEqual(REAUTHENTICATE);
    const anonymous = await call(undefined, { value: 42 });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
  });
});
