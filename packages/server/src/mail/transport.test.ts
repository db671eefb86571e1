import { afterEach, describe, expect, test } from 'vitest';
import { startMailServer, type TestMailServer } from '../testing/mail-server.js';
import { createMailTransport } from './transport.js';

/**
 * GATEHOUSE_SMTP_URL's TLS, against a real SMTP server: smtp:// upgrades with STARTTLS when the server
 * offers it, smtps:// is TLS from the first byte, ?requireTLS=true refuses a server that does not offer
 * it. The test server's certificate is smtp-server's self-signed one, hence tls.rejectUnauthorized=false.
 */
const SELF_SIGNED = 'tls.rejectUnauthorized=false';
const mail = {
  id: 'test-1',
  to: 'alice@example.com',
  subject: 'Hello',
  text: 'Hello, Alice',
  html: undefined,
};

let server: TestMailServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function send(url: string) {
  const transport = createMailTransport({ smtpUrl: url, from: 'no-reply@example.com', outboxDir: '' });
  try {
    return await transport.send(mail);
  } finally {
    transport.close();
  }
}

describe('SMTP over TLS', () => {
  test('smtp:// upgrades with STARTTLS when the server offers it', async () => {
    server = await startMailServer({ tls: 'starttls' });
    expect(server.url).toMatch(/^smtp:\/\//);
    await send(`${server.url}?${SELF_SIGNED}`);
    const received = await server.waitForMessage();
    expect(received.secure).toBe(true);
    expect(received.text.trim()).toBe('Hello, Alice');
  });

  test('smtps:// speaks TLS from the first byte', async () => {
    server = await startMailServer({ tls: 'implicit' });
    expect(server.url).toMatch(/^smtps:\/\//);
    await send(`${server.url}?${SELF_SIGNED}`);
    expect((await server.waitForMessage()).secure).toBe(true);
  });

  test('a server that offers no STARTTLS gets the mail in the clear, unless ?requireTLS=true', async () => {
    server = await startMailServer();
    await send(server.url);
    expect((await server.waitForMessage()).secure).toBe(false);
    await expect(send(`${server.url}?requireTLS=true`)).rejects.toThrow(/STARTTLS/);
    expect(server.messages).toHaveLength(1);
  });
});
