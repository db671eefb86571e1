import { afterEach, expect, test } from 'vitest';
import { createTestContext, type TestContext } from '../testing/test-app.js';

let ctx: TestContext;
afterEach(() => ctx.close());

const register = (payload: object) => ctx.app.inject({ method: 'POST', url: '/api/users/', payload });
const login = (username: string, password: string) =>
  ctx.app.inject({ method: 'POST', url: '/api/token/', payload: { username, password } });

test("a username with @ must be the account's own address", async () => {
  ctx = await createTestContext();
  const response = await register({
    username: 'alice@corp.com',
    email: 'mallory@example.com',
    password: 'tangerine-kayak-42',
  });
  expect(response.statusCode).toBe(400);
  expect(response.json()).toEqual({
    username: [
      "Enter a valid username. A username may contain @ only when it is the account's own email address.",
    ],
  });
  const own = await register({
    username: 'Bob@Corp.com',
    email: 'bob@corp.com',
    password: 'tangerine-kayak-42',
  });
  expect(own.statusCode).toBe(201);
});

test("an address that is another account's username is taken: registering it cannot lock that account out", async () => {
  ctx = await createTestContext();
  // An account from before usernames and emails were one namespace: its username is an address.
  const created = await ctx.store.createUser(
    { username: 'alice@corp.com', usernameKey: 'alice@corp.com', email: null, passwordHash: null },
    new Date(),
  );
  expect(created.ok).toBe(true);
  const response = await register({ username: 'x', email: 'alice@corp.com', password: 'tangerine-kayak-42' });
  expect(response.statusCode).toBe(400);
  expect(response.json()).toEqual({ email: ['user with this email already exists.'] });
});

test('an identifier naming two accounts (one by email, one by username) signs neither in', async () => {
  ctx = await createTestContext();
  await ctx.createUser({ username: 'alice', email: 'shared@corp.com', password: 'password1' });
  // Left by data from before they were one namespace: another account's username is that address.
  const other = await ctx.createUser({ username: 'other', email: null });
  await ctx.rows.all(`update users set username_key = 'shared@corp.com' where id = ${other.id}`);
  const ambiguous = await login('shared@corp.com', 'password1');
  expect(ambiguous.statusCode).toBe(401);
  expect(ambiguous.json()).toMatchObject({ detail: 'No active account found with the given credentials' });
  // Alice still signs in by her username.
  expect((await login('alice', 'password1')).statusCode).toBe(200);
});
