import { afterEach, expect, test } from 'vitest';
import { createTestContext, type TestContext } from '../testing/test-app.js';

let ctx: TestContext;
afterEach(() => ctx.close());

/** Headers that differ between any two responses (dates) are not evidence. */
const VOLATILE = new Set(['date']);

// Timing is measured by the benchmark (npm run bench: login of an unknown vs a known user), not here:
// a timed assertion would be flaky on a loaded machine. What this asserts is that the answers are
// identical byte for byte; users-service.test.ts asserts that both cost exactly one argon2 verification.
test('unknown user, wrong password and inactive user: identical status, headers and body on every login route', async () => {
  ctx = await createTestContext({ GATEHOUSE_RATE_LIMITS: 'false' });
  await ctx.createUser({ username: 'user1', email: 'user1@example.com' });
  await ctx.createUser({ username: 'sleepy', email: 'sleepy@example.com' });
  await ctx.store.updateUser(2, { isActive: false }, new Date());
  const routes: [string, string][] = [
    ['/api/token/', 'username'],
    ['/token/', 'email'],
    ['/api/auth/login/', 'email'],
    ['/user/login', 'email'],
  ];
  for (const [url, field] of routes) {
    // Each route starts with no failures: one account's username and email share a throttle bucket.
    await ctx.rows.all('delete from login_failures');
    const shapes = new Set<string>();
    for (const identifier of ['user1', 'user1@example.com', 'nobody', 'nobody@example.com', 'sleepy']) {
      const password = identifier === 'sleepy' ? 'password1' : 'wrong-password-1';
      const response = await ctx.app.inject({
        method: 'POST',
        url,
        payload: { [field]: identifier, password },
      });
      const headers = Object.entries(response.headers).filter(([name]) => !VOLATILE.has(name));
      shapes.add(JSON.stringify([response.statusCode, headers, response.body]));
    }
    expect([...shapes], url).toHaveLength(1);
    expect(JSON.parse([...shapes][0] as string)[0], url).toBe(401);
  }
});
