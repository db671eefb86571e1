import { createTestContext } from '../../server/src/testing/test-app.js';
import { withCookieJar } from './testing/cookie-jar.js';
import { createFakeServer, manualClock } from './testing/fake-server.js';
import { describeServerScenarios } from './testing/scenarios.js';

// One suite, two servers: the client's tests use the fake, so the fake answers as the real server does.
describeServerScenarios('the fake server', async () => {
  const clock = manualClock();
  const fake = createFakeServer({ now: clock });
  fake.addUser('ada');
  return {
    baseUrl: 'http://gatehouse.test',
    fetch: fake.fetch,
    cookie: {
      get: () => fake.cookie,
      set: (value) => {
        fake.cookie = value;
      },
    },
    advance: clock.advance,
    accessTokenLifetime: 300,
    rotationGracePeriod: 5,
    close: async () => undefined,
  };
});

describeServerScenarios('the real server', async () => {
  const ctx = await createTestContext();
  await ctx.createUser({ username: 'ada', email: 'ada@example.com' });
  const baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  const browser = withCookieJar((input, init) => fetch(input, init));
  return {
    baseUrl,
    ...browser,
    advance: ctx.clock.advance,
    accessTokenLifetime: ctx.config.jwt.accessTokenLifetime,
    rotationGracePeriod: ctx.config.sessions.rotationGracePeriod,
    close: () => ctx.close(),
  };
});
