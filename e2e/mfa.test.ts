import fs from 'node:fs';
import path from 'node:path';
import { generateTOTP } from '@oslojs/otp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort } from '../packages/server/src/testing/free-port.js';
import { allStarted } from './support/all-started.js';
import { describeInBrowser, launchBrowser, trackedPages } from './support/browser.js';
import { startGatehouse, WEB_DIST, type Gatehouse } from './support/gatehouse.js';
import { screenshot } from './support/screenshots.js';

// Second factors and passkeys through the web app (issue 15): the authenticator app with codes computed
// here from the key the page shows, recovery codes, and passkeys held by Chromium's virtual
// authenticator (CDP). WebAuthn needs a real domain for its RP ID: the browser uses
// http://localhost:<port> (a secure context), and GATEHOUSE_PUBLIC_URL says the same.

const STEP_SECONDS = 30;

/** RFC 4648 base32 (the key as the page shows it, spaces and padding aside). */
function base32(text: string): Uint8Array {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of clean) {
    const index = alphabet.indexOf(char);
    if (index === -1) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >>> bits) & 0xff);
    }
  }
  return Uint8Array.from(bytes);
}

/**
 * The app's current code, as a phone would show it. A code is good once (the server refuses a replay
 * within its step): when this step's code was used already, wait for the next step.
 */
async function freshCode(key: Uint8Array, used: Set<string>): Promise<string> {
  for (;;) {
    const step = Math.floor(Date.now() / 1000 / STEP_SECONDS);
    const code = generateTOTP(key, STEP_SECONDS, 6);
    // Not in the last second of a step either: the request would arrive in the next one.
    const late = Date.now() / 1000 - step * STEP_SECONDS > STEP_SECONDS - 2;
    if (!used.has(`${step}`) && !late) {
      used.add(`${step}`);
      return code;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

describeInBrowser('second factors and passkeys in the web app', () => {
  let gatehouse: Gatehouse;
  let base: string;
  let browser: Browser;
  const newPage = trackedPages(() => browser);

  beforeAll(async () => {
    if (!fs.existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`${WEB_DIST}index.html does not exist: run \`npm run build\` first`);
    }
    const port = await freePort();
    base = `http://localhost:${port}`;
    await allStarted([
      startGatehouse({ GATEHOUSE_WEB_ROOT: WEB_DIST, GATEHOUSE_PUBLIC_URL: base }, { port }).then(
        (started) => (gatehouse = started),
      ),
      launchBrowser().then((started) => (browser = started)),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await gatehouse?.stop();
  });

  async function logIn(page: Page, username: string, password: string): Promise<void> {
    await page.goto(`${base}/login`);
    await page.getByLabel('Username or email').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  async function logOut(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Username or email').waitFor();
  }

  test('the authenticator app: set up from the Security page, then asked for at login; a recovery code works once', async () => {
    const page = await newPage();
    const used = new Set<string>();
    await logIn(page, 'user1', 'password1');
    await page.getByText('Hello user1!').waitFor();

    await page.goto(`${base}/account`);
    await page.getByRole('link', { name: 'Two-step verification and passkeys' }).click();
    await page.waitForURL(`${base}/account/security`);
    await page.getByRole('button', { name: 'Set up the authenticator app' }).click();
    await page.getByRole('img', { name: 'QR code for your authenticator app' }).locator('svg').waitFor();
    const key = base32(await page.getByLabel('Setup key').innerText());
    expect(key.length).toBeGreaterThanOrEqual(10);
    await screenshot(page, 'web-security-totp-setup');

    await page.getByLabel('Authentication code').fill(await freshCode(key, used));
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    const codesRegion = page.getByRole('region', { name: 'Recovery codes' });
    await codesRegion.waitFor();
    const recoveryCodes = (await codesRegion.getByRole('listitem').allInnerTexts()).map((code) =>
      code.trim(),
    );
    expect(recoveryCodes).toHaveLength(10);
    await screenshot(page, 'web-security-recovery-codes');
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.getByText('Recovery codes left:').waitFor();
    await logOut(page);

    // The password alone no longer signs in: the second step asks for a code.
    await logIn(page, 'user1', 'password1');
    await page.waitForURL(`${base}/login/verify`);
    expect(page.url()).not.toContain('mfa');
    await page.getByLabel('Authentication code').fill('000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Authentication code').fill(await freshCode(key, used));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('Hello user1!').waitFor();
    await logOut(page);

    // A recovery code instead of the app: once.
    const [recovery] = recoveryCodes as [string];
    for (const attempt of ['first', 'again'] as const) {
      await logIn(page, 'user1', 'password1');
      await page.waitForURL(`${base}/login/verify`);
      await page.getByRole('button', { name: 'Use a recovery code' }).click();
      await page.getByLabel('Recovery code').fill(recovery);
      await page.getByRole('button', { name: 'Verify' }).click();
      if (attempt === 'first') {
        await page.getByText('Hello user1!').waitFor();
        await logOut(page);
      } else {
        await page.getByRole('alert').waitFor();
        expect(new URL(page.url()).pathname).toBe('/login/verify');
      }
    }
  }, 120_000);

  test('passkeys: added from the Security page, then a sign-in without a password; an unverified user is refused', async () => {
    const page = await newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      },
    });

    await logIn(page, 'user2', 'password2');
    await page.getByText('Hello user2!').waitFor();
    await page.goto(`${base}/account/security`);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByLabel('Passkey name').fill('Test laptop');
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await page.getByRole('listitem', { name: 'Test laptop' }).waitFor();
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]?.isResidentCredential).toBe(true);
    await screenshot(page, 'web-security-passkeys');
    await logOut(page);

    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByText('Hello user2!').waitFor();
    await logOut(page);

    // The authenticator can no longer verify the user (no fingerprint, no PIN): refused, and said so.
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    expect((await refusal.innerText()).trim()).not.toBe('');
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.getByText('Hello user2!').count()).toBe(0);
    await screenshot(page, 'web-passkey-refused');
  }, 60_000);
});
