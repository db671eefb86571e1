import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort } from '../packages/server/src/testing/free-port.js';
import {
  startMailServer,
  type ReceivedMail,
  type TestMailServer,
} from '../packages/server/src/testing/mail-server.js';
import { allStarted } from './support/all-started.js';
import { describeInBrowser, launchBrowser, trackedPages } from './support/browser.js';
import { startGatehouse, WEB_DIST, type Gatehouse } from './support/gatehouse.js';
import { screenshot } from './support/screenshots.js';

// The mailed-link flows through the web app, with the real built server delivering to a real SMTP
// server on loopback: the links are followed as a person would, from the mail they received.

const WRONG_CREDENTIALS = 'No active account found with the given credentials';
const RESET_DONE = 'Your password has been reset. Sign in with the new password.';
const INVALID_LINK = 'This link is invalid or has expired.';

/** The link of `page` in a mail's text: `<PUBLIC_URL><page>#token=…`. */
function linkIn(mail: ReceivedMail, page: string): string | undefined {
  return new RegExp(`https?://[^\\s"'<>]*${page}#token=[A-Za-z0-9_-]+`).exec(mail.text)?.[0];
}

describeInBrowser('mailed links in the web app', () => {
  let gatehouse: Gatehouse;
  let smtp: TestMailServer;
  let browser: Browser;
  const newPage = trackedPages(() => browser);

  beforeAll(async () => {
    if (!fs.existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`${WEB_DIST}index.html does not exist: run \`npm run build\` first`);
    }
    smtp = await startMailServer();
    const port = await freePort();
    await allStarted([
      startGatehouse(
        {
          GATEHOUSE_WEB_ROOT: WEB_DIST,
          GATEHOUSE_SMTP_URL: smtp.url,
          GATEHOUSE_PUBLIC_URL: `http://127.0.0.1:${port}`,
        },
        { port },
      ).then((started) => (gatehouse = started)),
      launchBrowser().then((started) => (browser = started)),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await gatehouse?.stop();
    await smtp?.close();
  });

  async function logIn(page: Page, username: string, password: string): Promise<void> {
    await page.goto(`${gatehouse.base}/login`);
    await page.getByLabel('Username or email').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  /** The next mail to `to` with a link to `page`, once it arrives. */
  async function mailedLink(to: string, page: string, after: ReceivedMail[] = []): Promise<string> {
    const mail = await smtp.waitForMessage(
      (received) =>
        !after.includes(received) &&
        received.envelope.to.includes(to) &&
        linkIn(received, page) !== undefined,
      15_000,
    );
    return linkIn(mail, page) as string;
  }

  test('forgot password: the mail’s link sets a new password, which logs in; the old session and password are refused', async () => {
    // A session from before the reset, in another browser.
    const before = await newPage();
    await logIn(before, 'user1', 'password1');
    await before.getByText('Hello user1!').waitFor();

    const page = await newPage();
    await page.goto(`${gatehouse.base}/login`);
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    // Exact: until the page's chunk has loaded, the login form's "Username or email" is the only
    // field whose label contains "Email", and filling it would leave the reset form empty.
    await page.waitForURL(`${gatehouse.base}/forgot-password`);
    await page.getByLabel('Email', { exact: true }).fill('user1@example.com');
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await page
      .getByText('If an account uses this address, a link to reset its password is on its way.')
      .waitFor();
    await screenshot(page, 'web-forgot-password');

    const link = await mailedLink('user1@example.com', '/reset-password');
    expect(link.startsWith(`${gatehouse.base}/reset-password#token=`)).toBe(true);

    const spent: Request[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/auth/password/reset/confirm/') spent.push(request);
    });
    const response = await page.goto(link);
    expect(response?.headers()['referrer-policy']).toBe('no-referrer');
    await page.getByLabel('New password').waitFor();
    // The token left the address bar at once, and opening the page spent nothing.
    expect(new URL(page.url()).hash).toBe('');
    expect(await page.evaluate('location.href')).toBe(`${gatehouse.base}/reset-password`);
    await page.waitForTimeout(500);
    expect(spent).toHaveLength(0);
    await screenshot(page, 'web-reset-password');

    await page.getByLabel('New password').fill('plum-violet-kettle-42');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByText(RESET_DONE).waitFor();
    expect(spent).toHaveLength(1);
    // No Referer leaves the page; the CSRF check still gets the Origin.
    const sent = (await spent[0]?.allHeaders()) ?? {};
    expect(sent['referer'] ?? '').toBe('');
    expect(sent['origin']).toBe(gatehouse.base);
    await screenshot(page, 'web-reset-password-done');

    await page.getByRole('link', { name: 'Log in', exact: true }).click();
    await page.getByLabel('Username or email').fill('user1');
    await page.getByLabel('Password', { exact: true }).fill('password1');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: WRONG_CREDENTIALS }).waitFor();
    await page.getByLabel('Password', { exact: true }).fill('plum-violet-kettle-42');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Hello user1!').waitFor();

    // The session from before the reset ended with it.
    await before.reload();
    await before.getByLabel('Username or email').waitFor();
    expect(new URL(before.url()).pathname).toBe('/login');

    // The link works once.
    const again = await newPage();
    await again.goto(link);
    await again.getByLabel('New password').fill('another-plum-kettle-43');
    await again.getByRole('button', { name: 'Set the new password' }).click();
    await again.getByRole('alert').filter({ hasText: INVALID_LINK }).waitFor();
    await again.getByRole('link', { name: 'Request a new link' }).waitFor();
    await screenshot(again, 'web-reset-password-invalid');
  });

  test('registration mails a verification link; following it verifies the address', async () => {
    const page = await newPage();
    await page.goto(`${gatehouse.base}/register`);
    await page.getByLabel('Username', { exact: true }).fill('carol');
    await page.getByLabel('Email', { exact: true }).fill('carol@example.com');
    await page.getByLabel('Password', { exact: true }).fill('plum-violet-kettle-42');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Hello carol!').waitFor();
    await page.getByRole('link', { name: 'Account' }).click();
    const card = page.getByRole('region', { name: 'Email address' });
    await card.getByText('Not verified').waitFor();

    const link = await mailedLink('carol@example.com', '/verify-email');
    await page.goto(link);
    await page.getByRole('button', { name: 'Verify my address' }).click();
    await page.getByText('Your email address is verified.').waitFor();
    await screenshot(page, 'web-verify-email');
    await page.getByRole('link', { name: 'Go to your account' }).click();
    await page
      .getByRole('region', { name: 'Email address' })
      .getByText('Verified', { exact: true })
      .waitFor();
  });
});
