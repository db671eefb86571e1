import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { freePort } from '../packages/server/src/testing/free-port.js';
import { allStarted } from './support/all-started.js';
import { describeInBrowser, launchBrowser } from './support/browser.js';
import { startGatehouse, type Gatehouse } from './support/gatehouse.js';
import { screenshot } from './support/screenshots.js';
import { serveStatic, type StaticServer } from './support/static-server.js';
import { buildTutorialA } from './support/tutorial-a-build.js';

// Compatibility: tutorial A's React client, its code as published, on its own origin, against Gatehouse.
describeInBrowser('tutorial A’s React client, unchanged', () => {
  let gatehouse: Gatehouse;
  let site: StaticServer;
  let browser: Browser;
  let outDir: string;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-tutorial-a-'));
    const sitePort = await freePort();
    const siteOrigin = `http://127.0.0.1:${sitePort}`;
    // The tutorial's django-cors-headers allowed its dev server; Gatehouse lists the app's origin.
    await allStarted([
      startGatehouse({ GATEHOUSE_CORS_ALLOWED_ORIGINS: siteOrigin }).then((started) => (gatehouse = started)),
      launchBrowser().then((started) => (browser = started)),
    ]);
    await buildTutorialA(gatehouse.base, outDir);
    site = await serveStatic(outDir, sitePort);
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await gatehouse?.stop();
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
  });
  afterEach(() => context.close());

  const storedTokens = () =>
    page.evaluate(() => JSON.parse(localStorage.getItem('authTokens') ?? 'null') as Record<string, string>);
  const refreshUrl = () => `${gatehouse.base}/api/token/refresh/`;

  /**
   * The tutorial's login form: two placeholder-labelled inputs and a bare submit button. Its
   * AuthProvider refreshes the new pair at once (its "edge cases" section); that is awaited, so that a
   * reload does not cut the rotation short and present the spent token.
   */
  async function logIn(username: string, password: string): Promise<void> {
    await page.goto(`${site.origin}/`);
    // PrivateRoute sends a signed-out visitor to /login.
    await page.waitForURL(`${site.origin}/login`);
    await page.getByPlaceholder('Enter username').fill(username);
    await page.getByPlaceholder('enter password').fill(password);
    const rotated = page.waitForResponse((response) => response.url() === refreshUrl() && response.ok());
    await page.locator('input[type="submit"]').click();
    await page.waitForURL(`${site.origin}/`);
    const { refresh } = (await (await rotated).json()) as { refresh: string };
    await expect.poll(async () => (await storedTokens())?.refresh).toBe(refresh);
  }

  test('log in: the home page greets the user and shows their private profile', async () => {
    await logIn('user1', 'password1');
    await page.getByText('Hello user1!').waitFor();
    await page.getByText('Name: Sam Smith').waitFor();
    await page.getByText('Email: sam@smith.com').waitFor();
    await screenshot(page, 'tutorial-a-home');
    // The tutorial keeps its tokens in localStorage (its design, not ours).
    expect(Object.keys(await storedTokens()).sort()).toEqual(['access', 'refresh']);
  });

  test('a reload keeps the session: the stored refresh token is rotated, the profile loads again', async () => {
    await logIn('user1', 'password1');
    await page.getByText('Name: Sam Smith').waitFor();
    const before = await storedTokens();

    // The tutorial's AuthProvider refreshes once on load (its "edge cases" section).
    const refreshed = page.waitForResponse(
      (response) => response.url() === refreshUrl() && response.request().method() === 'POST',
    );
    await page.reload();
    expect((await refreshed).status()).toBe(200);
    await page.getByText('Name: Sam Smith').waitFor();
    await page.getByText('Hello user1!').waitFor();
    expect(page.url()).toBe(`${site.origin}/`);
    await expect.poll(async () => (await storedTokens()).refresh).not.toBe(before.refresh);
  });

  test('log out: back to the login page, the stored tokens gone', async () => {
    await logIn('user1', 'password1');
    await page.getByText('Hello user1!').waitFor();
    await page.getByText('Logout').click();
    await page.waitForURL(`${site.origin}/login`);
    await page.getByPlaceholder('Enter username').waitFor();
    await page.getByRole('link', { name: 'Login' }).waitFor();
    expect(await storedTokens()).toBeNull();
    await screenshot(page, 'tutorial-a-login');

    // Signed out, the home page is private again.
    await page.goto(`${site.origin}/`);
    await page.waitForURL(`${site.origin}/login`);
  });

  test('each user sees only their own profile', async () => {
    await logIn('user2', 'password2');
    await page.getByText('Hello user2!').waitFor();
    await page.getByText('Name: Tim Allen').waitFor();
    await page.getByText('Email: tim@allen.com').waitFor();
    expect(await page.textContent('body')).not.toContain('Sam Smith');
  });
});
