import { afterEach, beforeEach, expect, test } from 'vitest';
import { createTestContext, type TestContext } from '../testing/test-app.js';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
});
afterEach(() => ctx.close());

const NUL = 'Null characters are not allowed.';

test('a NUL character in a body field is a field error, as in DRF (PostgreSQL cannot hold it)', async () => {
  const login = await ctx.app.inject({
    method: 'POST',
    url: '/api/token/',
    payload: { email: 'a\u0000b', password: 'password1' },
  });
  expect(login.statusCode).toBe(400);
  expect(login.json()).toEqual({ email: [NUL] });

  const register = await ctx.app.inject({
    method: 'POST',
    url: '/api/users/',
    payload: { username: 'alice', password: 'tangerine\u0000kayak', first_name: '\u0000' },
  });
  expect(register.statusCode).toBe(400);
  expect(register.json()).toEqual({ password: [NUL], first_name: [NUL] });
  expect(await ctx.rows.userByUsernameKey('alice')).toBeUndefined();
});

test('in a query parameter: 400; in a path parameter: 404; anonymous callers are told to sign in first', async () => {
  await ctx.createUser({ username: 'root', isSuperuser: true, isStaff: true });
  const { access } = await ctx.login('root');
  const authorization = `Bearer ${access}`;

  const search = await ctx.app.inject({ url: '/api/users/?search=%00', headers: { authorization } });
  expect(search.statusCode).toBe(400);
  expect(search.json()).toEqual({ search: [NUL] });

  for (const url of ['/api/users/%00/', '/api/users/%00/sessions/x/', '/api/users/me/sessions/%00/']) {
    const method = url.includes('sessions') ? 'DELETE' : 'GET';
    const response = await ctx.app.inject({ method, url, headers: { authorization } });
    expect(response.statusCode, url).toBe(404);
    expect((await ctx.app.inject({ method, url })).statusCode, `${url} anonymously`).toBe(401);
  }
});
