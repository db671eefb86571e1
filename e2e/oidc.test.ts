import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort } from '../packages/server/src/testing/free-port.js';
import { startOidcProvider, type TestOidcProvider } from '../packages/server/src/testing/oidc-provider.js';
import { allStarted } from './support/all-started.js';
import { describeInBrowser, launchBrowser, trackedPages } from './support/browser.js';
import { startGatehouse, WEB_DIST, type Gatehouse } from './support/gatehouse.js';
import { screenshot } from './support/screenshots.js';

// Signing in with an OpenID provider through the web app (issue 16): a real oidc-provider on loopback
// (packages/server/src/testing/oidc-provider.ts) whose login form Chromium fills in, and the built server
// configured with it by environment variables alone, as a deployer would.

const PROVIDER = 'Corp SSO';
const ACCOUNT_EXISTS = 'An account with this email address already exists. Log in to it first';
const IN_USE = 'This account at the provider is already linked to another account here.';
const NO_SESSION = 'Your session had ended, so nothing was linked.';

describeInBrowser('signing in with an OpenID provider in the web app', () => {
  let provider: TestOidcProvider;
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
      startOidcProvider({
        redirectUris: [`${base}/api/auth/oidc/corp/callback`],
        users: [
          { login: 'grace', email: 'grace@corp.example', email_verified: true, preferred_username: 'grace' },
          // The address of a local account that has not verified it: never linked on it.
          { login: 'lin', email: 'lin@example.com', email_verified: true, preferred_username: 'lin' },
          { login: 'user1-at-corp', email: 'user1@corp.example', email_verified: true },
          {
            login: 'olivia',
            email: 'olivia@corp.example',
            email_verified: true,
            preferred_username: 'olivia',
          },
        ],
      }).then((started) => (provider = started)),
      launchBrowser().then((started) => (browser = started)),
    ]);
    gatehouse = await startGatehouse(
      {
        GATEHOUSE_WEB_ROOT: WEB_DIST,
        GATEHOUSE_PUBLIC_URL: base,
        GATEHOUSE_OIDC_PROVIDERS: 'corp',
        GATEHOUSE_OIDC_CORP_ISSUER: provider.issuer,
        GATEHOUSE_OIDC_CORP_CLIENT_ID: provider.clientId,
        GATEHOUSE_OIDC_CORP_CLIENT_SECRET: provider.clientSecret,
        GATEHOUSE_OIDC_CORP_DISPLAY_NAME: PROVIDER,
        GATEHOUSE_OIDC_CORP_TRUST_EMAIL: 'true',
      },
      { port },
    );
    // A local account by sign-up: its address is not verified yet.
    const signUp = await fetch(`${base}/api/users/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'lin', email: 'lin@example.com', password: 'a long passphrase 1' }),
    });
    expect(signUp.status).toBe(201);
  });

  afterAll(async () => {
    await browser?.close();
    await gatehouse?.stop();
    await provider?.close();
  });

  /** A page whose requests leave only for this machine (the provider's login page imports a web font). */
  async function localPage(): Promise<Page> {
    const page = await newPage();
    await page.context().route(
      (url) => !['localhost', '127.0.0.1'].includes(url.hostname),
      (route) => route.abort(),
    );
    return page;
  }

  /** At the provider's login form (oidc-provider's own page, on its own origin): sign in as `login`. */
  async function signInAtProvider(page: Page, login: string): Promise<void> {
    await page.waitForURL((url) => url.origin === provider.issuer);
    await page.getByPlaceholder('Enter any login').fill(login);
    await page.getByPlaceholder('and password').fill('any');
    await page.getByRole('button', { name: 'Sign-in' }).click();
  }

  async function logIn(page: Page, username: string, password: string): Promise<void> {
    await page.goto(`${base}/login`);
    await page.getByLabel('Username or email').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  test('the login page’s button → the provider’s login → back in the app, signed in; a reload keeps the session', async () => {
    const page = await localPage();
    await page.goto(`${base}/account`);
    await page.waitForURL(`${base}/login`);
    const button = page.getByRole('link', { name: `Continue with ${PROVIDER}` });
    await button.waitFor();
    await screenshot(page, 'web-oidc-login');
    await button.click();

    await signInAtProvider(page, 'grace');
    // Back on the page the user wanted, with a new account (no password) made from the profile.
    await page.waitForURL(`${base}/account`);
    await page.getByText('grace@corp.example').first().waitFor();
    expect(page.url()).not.toMatch(/[?#&](code|state)=/);

    await page.reload();
    await page.getByText('grace@corp.example').first().waitFor();
    expect(new URL(page.url()).pathname).toBe('/account');

    // Its only way to sign in: the identity stays, and the page says why.
    await page.goto(`${base}/account/security`);
    const item = page.getByRole('listitem', { name: PROVIDER });
    await item.getByRole('button', { name: 'Unlink' }).click();
    await item.getByRole('button', { name: 'Yes, unlink' }).click();
    await item.getByText('This is the only way you can sign in to this account').waitFor();
    await screenshot(page, 'web-oidc-last-method');
  }, 60_000);

  test('an address of a local account that is not verified: nothing is linked, sign in there first', async () => {
    const page = await localPage();
    await page.goto(`${base}/login`);
    await page.getByRole('link', { name: `Continue with ${PROVIDER}` }).click();
    await signInAtProvider(page, 'lin');

    await page.waitForURL(`${base}/login`);
    const alert = page.getByRole('alert');
    await alert.getByText(ACCOUNT_EXISTS).waitFor();
    // The reason is shown, and out of the address: a reload does not show it again.
    expect(new URL(page.url()).hash).toBe('');
    await screenshot(page, 'web-oidc-account-exists');
    await page.reload();
    await page.getByLabel('Username or email').waitFor();
    expect(await page.getByText(ACCOUNT_EXISTS).count()).toBe(0);
  }, 60_000);

  test('linked from the Security page while signed in (and listed on the admin’s user page), then unlinked', async () => {
    const page = await localPage();
    await logIn(page, 'user1', 'password1');
    await page.getByText('Hello user1!').waitFor();
    await page.goto(`${base}/account/security`);
    const card = page.getByRole('region', { name: 'Linked accounts' });
    await card.getByText('No linked accounts yet.').waitFor();
    await card.getByRole('button', { name: `Link ${PROVIDER}` }).click();

    await signInAtProvider(page, 'user1-at-corp');
    await page.waitForURL(`${base}/account/security`);
    const item = card.getByRole('listitem', { name: PROVIDER });
    await item.getByText('user1@corp.example').waitFor();
    await screenshot(page, 'web-oidc-linked');

    // The provider now signs in to this account (in another browser: no session there, nor at the provider).
    const other = await localPage();
    await other.goto(`${base}/login`);
    await other.getByRole('link', { name: `Continue with ${PROVIDER}` }).click();
    await signInAtProvider(other, 'user1-at-corp');
    await other.getByText('Hello user1!').waitFor();

    // A superuser sees the identity on the user's page: the provider, its issuer and subject.
    const admin = await localPage();
    await logIn(admin, 'admin', 'adminpass123');
    await admin.getByRole('link', { name: 'Admin' }).click();
    await admin.getByRole('link', { name: 'user1', exact: true }).click();
    const identities = admin.getByRole('region', { name: 'Linked accounts' });
    await identities.getByText(`subject user1-at-corp at ${provider.issuer}`).waitFor();
    expect(await identities.innerText()).toContain(`${PROVIDER} · user1@corp.example`);

    await item.getByRole('button', { name: 'Unlink' }).click();
    await item.getByRole('button', { name: 'Yes, unlink' }).click();
    await card.getByText('No linked accounts yet.').waitFor();
    await card.getByRole('button', { name: `Link ${PROVIDER}` }).waitFor();
  }, 60_000);

  test('a link refused (the identity is another account’s): back on the Security page, which says why', async () => {
    // olivia's identity makes her account.
    const first = await localPage();
    await first.goto(`${base}/login`);
    await first.getByRole('link', { name: `Continue with ${PROVIDER}` }).click();
    await signInAtProvider(first, 'olivia');
    await first.getByText('olivia@corp.example').first().waitFor();

    const page = await localPage();
    await logIn(page, 'user2', 'password2');
    await page.getByText('Hello user2!').waitFor();
    await page.goto(`${base}/account/security`);
    const card = page.getByRole('region', { name: 'Linked accounts' });
    await card.getByRole('button', { name: `Link ${PROVIDER}` }).click();
    await signInAtProvider(page, 'olivia');

    await page.waitForURL(`${base}/account/security`);
    await card.getByRole('alert').getByText(IN_USE).waitFor();
    expect(new URL(page.url()).hash).toBe('');
    await card.getByText('No linked accounts yet.').waitFor();
    await screenshot(page, 'web-oidc-link-refused');
  }, 60_000);

  test('a link started without a session: the page, never JSON; after logging in, the reason', async () => {
    const page = await localPage();
    const started = await page.goto(`${base}/api/auth/oidc/corp/start?intent=link`);
    expect(started?.headers()['content-type'] ?? '').not.toMatch(/json/);
    await page.waitForURL(`${base}/login`);
    await page.getByLabel('Username or email').fill('user2');
    await page.getByLabel('Password', { exact: true }).fill('password2');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${base}/account/security`);
    const card = page.getByRole('region', { name: 'Linked accounts' });
    await card.getByRole('alert').getByText(NO_SESSION).waitFor();
    expect(new URL(page.url()).hash).toBe('');
  }, 60_000);
});
