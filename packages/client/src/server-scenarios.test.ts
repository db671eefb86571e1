import { startMailServer, type ReceivedMail } from '../../server/src/testing/mail-server.js';
import { createTestContext } from '../../server/src/testing/test-app.js';
import { withCookieJar } from './testing/cookie-jar.js';
import type { FakeMail } from './testing/fake-mail.js';
import { createFakeServer, manualClock } from './testing/fake-server.js';
import { describeMailScenarios, tokenInLink, type MailScenarioServer } from './testing/mail-scenarios.js';
import { describeServerScenarios } from './testing/scenarios.js';

// One suite, two servers: the client's tests use the fake, so the fake answers as the real server does.
async function fakeServer(): Promise<MailScenarioServer> {
  const clock = manualClock();
  const fake = createFakeServer({ now: clock });
  fake.addUser('ada');
  const read = new Set<FakeMail>();
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
    reauthenticationWindow: 900,
    async linkToken(to, page) {
      const mail = fake.outbox.find(
        (sent) => !read.has(sent) && sent.to === to && tokenInLink(sent.link ?? '', page) !== undefined,
      );
      if (!mail) throw new Error(`no mail to ${to} with a link to ${page}`);
      read.add(mail);
      return tokenInLink(mail.link ?? '', page) as string;
    },
    close: async () => undefined,
  };
}

async function realServer(): Promise<MailScenarioServer> {
  const smtp = await startMailServer();
  // `mail`: the test context runs the sender, delivering to the SMTP server (helper/mail's option; the
  // cast lets this compile before that lands, and can go once it has).
  const deliver = { mail: { smtpUrl: smtp.url } } as unknown as Parameters<typeof createTestContext>[1];
  const ctx = await createTestContext(
    { GATEHOUSE_SMTP_URL: smtp.url, GATEHOUSE_PUBLIC_URL: 'http://gatehouse.test' },
    deliver,
  );
  await ctx.createUser({ username: 'ada', email: 'ada@example.com' });
  const baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  const browser = withCookieJar((input, init) => fetch(input, init));
  const read = new Set<ReceivedMail>();
  return {
    baseUrl,
    ...browser,
    advance: ctx.clock.advance,
    accessTokenLifetime: ctx.config.jwt.accessTokenLifetime,
    rotationGracePeriod: ctx.config.sessions.rotationGracePeriod,
    reauthenticationWindow: ctx.config.sessions.reauthenticationWindow,
    async linkToken(to, page) {
      const mail = await smtp.waitForMessage(
        (received) =>
          !read.has(received) &&
          received.envelope.to.includes(to) &&
          tokenInLink(received.text, page) !== undefined,
      );
      read.add(mail);
      return tokenInLink(mail.text, page) as string;
    },
    close: async () => {
      await ctx.close();
      await smtp.close();
    },
  };
}

describeServerScenarios('the fake server', fakeServer);
describeServerScenarios('the real server', realServer);
describeMailScenarios('the fake server', fakeServer);
describeMailScenarios('the real server', realServer);
