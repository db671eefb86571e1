import nodemailer from 'nodemailer';
import { afterEach, describe, expect, test } from 'vitest';
import { firstLink, startMailServer, type TestMailServer } from './mail-server.js';

describe('the test SMTP server', () => {
  let server: TestMailServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  test('receives and parses what nodemailer sends; refuses on request; requires its credentials', async () => {
    server = await startMailServer({ auth: { user: 'relay', pass: 'p@ss word' } });
    const transport = nodemailer.createTransport(server.url);
    const send = () =>
      transport.sendMail({
        from: 'Gatehouse <no-reply@example.com>',
        to: 'alice@example.com',
        subject: 'Hello',
        text: 'Open https://auth.example.com/reset-password#token=abc now.',
        html: '<p>Hello</p>',
      });

    server.refuseNext(1, 451);
    await expect(send()).rejects.toMatchObject({ responseCode: 451 });
    server.refuseNext(1, 550);
    await expect(send()).rejects.toMatchObject({ responseCode: 550 });
    expect(server.refused()).toBe(2);
    expect(server.messages).toHaveLength(0);

    await send();
    const mail = await server.waitForMessage((m) => m.subject === 'Hello', 1000);
    expect(mail.envelope).toEqual({ from: 'no-reply@example.com', to: ['alice@example.com'] });
    expect(mail.html).toBe('<p>Hello</p>');
    expect(firstLink(mail.text)).toBe('https://auth.example.com/reset-password#token=abc');
    transport.close();

    const wrong = nodemailer.createTransport(server.url.replace('relay:', 'other:'));
    await expect(
      wrong.sendMail({ from: 'a@example.com', to: 'b@example.com', text: 'x' }),
    ).rejects.toMatchObject({
      responseCode: 535,
    });
    wrong.close();
    await expect(server.waitForMessage((m) => m.subject === 'never', 50)).rejects.toThrow(
      /no matching message/,
    );
  });
});
