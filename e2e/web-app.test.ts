import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { allStarted } from './support/all-started.js';
import { describeInBrowser, launchBrowser } from './support/browser.js';
import { startGatehouse, WEB_DIST, type Gatehouse } from './support/gatehouse.js';
import { screenshot } from './support/screenshots.js';

// Gatehouse's own web app (apps/web, built by `npm run build`), served by the real server at `/`.
// It finds things by the names a person (or a screen reader) sees: the UI text contract of apps/web.

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 812 };
const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;
const ACCESS_DENIED = 'You do not have access to this page.';
const WRONG_CREDENTIALS = 'No active account found with the given credentials';
/** Run in the page before its scripts (as a string: this file is type-checked without the DOM's types). */
const WATCH_FOR_LOGIN = `
  window.sawLogin = false;
  const check = () => {
    const labels = [...document.querySelectorAll('label')].map((label) => label.textContent || '');
    if (location.pathname.startsWith('/login') || labels.some((text) => text.includes('Username or email'))) {
      window.sawLogin = true;
    }
  };
  check();
  new MutationObserver(check).observe(document, { subtree: true, childList: true });
`;

describeInBrowser('the web app', () => {
  let gatehouse: Gatehouse;
  /** The same server with 3-second access tokens, for the expiry test. */
  let shortLived: Gatehouse;
  let browser: Browser;
  const contexts = new Set<BrowserContext>();
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`${WEB_DIST}index.html does not exist: run \`npm run build\` first`);
    }
    await allStarted([
      startGatehouse({ GATEHOUSE_WEB_ROOT: WEB_DIST }).then((started) => (gatehouse = started)),
      startGatehouse({ GATEHOUSE_WEB_ROOT: WEB_DIST, GATEHOUSE_ACCESS_TOKEN_LIFETIME: '3' }).then(
        (started) => (shortLived = started),
      ),
      launchBrowser().then((started) => (browser = started)),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([gatehouse?.stop(), shortLived?.stop()]);
  });

  /** A fresh browser profile: its own cookies and storage, as another person's browser. */
  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: DESKTOP });
    context.setDefaultTimeout(10_000);
    context.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
    });
    context.on('weberror', (error) => pageErrors.push(String(error.error())));
    contexts.add(context);
    return context;
  }

  // Each test's browsers are closed after it (their timers would go on refreshing). The app ran under its
  // CSP without a violation, and without an uncaught error.
  afterEach(async () => {
    await Promise.all([...contexts].map((context) => context.close()));
    contexts.clear();
    const errors = pageErrors.splice(0);
    expect(errors).toEqual([]);
  });

  async function newPage(): Promise<Page> {
    return (await newContext()).newPage();
  }

  const loginForm = (page: Page) => page.getByLabel('Username or email');

  /** Fills the login form of the page at /login (or where a protected page sent the visitor). */
  async function submitLogin(page: Page, username: string, password: string): Promise<void> {
    await loginForm(page).fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  async function logIn(page: Page, username: string, password: string, base = gatehouse.base): Promise<void> {
    await page.goto(`${base}/login`);
    await submitLogin(page, username, password);
    await page.getByText(`Hello ${username}!`).waitFor();
    // The page the login leads to is loaded on demand: the greeting may come first.
    await page.waitForURL((url) => url.pathname !== '/login');
  }

  const pathOf = (page: Page) => new URL(page.url()).pathname;

  describe('signing in and out', () => {
    test('log in: the header greets the user, the home page shows their profile', async () => {
      const page = await newPage();
      await logIn(page, 'user1', 'password1');
      expect(pathOf(page)).toBe('/');
      await page.getByText('Sam Smith').waitFor();
      await page.getByText('sam@smith.com').waitFor();
      await page.getByRole('link', { name: 'Home' }).waitFor();
      await page.getByRole('link', { name: 'Account' }).waitFor();
      expect(await page.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    });

    test('a reload keeps the session, and the login form never shows in between', async () => {
      const page = await newPage();
      await logIn(page, 'user1', 'password1');
      await page.addInitScript({ content: WATCH_FOR_LOGIN });
      await page.reload();
      await page.getByText('Hello user1!').waitFor();
      await page.getByText('Sam Smith').waitFor();
      expect(await page.evaluate('window.sawLogin')).toBe(false);
      expect(pathOf(page)).toBe('/');
    });

    test('log out: back to the login page, and the home page is private again', async () => {
      const page = await newPage();
      await logIn(page, 'user1', 'password1');
      await page.getByRole('button', { name: 'Log out' }).click();
      await loginForm(page).waitFor();
      expect(pathOf(page)).toBe('/login');
      await page.goto(`${gatehouse.base}/`);
      await loginForm(page).waitFor();
      expect(pathOf(page)).toBe('/login');
      expect(await page.getByText('Hello user1!').count()).toBe(0);
    });

    test('each user sees only their own profile', async () => {
      const page = await newPage();
      await logIn(page, 'user2', 'password2');
      await page.getByText('Tim Allen').waitFor();
      await page.getByText('tim@allen.com').waitFor();
      expect(await page.textContent('body')).not.toContain('Sam Smith');
    });

    test('a wrong password shows the server’s message', async () => {
      const page = await newPage();
      await page.goto(`${gatehouse.base}/login`);
      await submitLogin(page, 'user2', 'not-the-password');
      await page.getByRole('alert').filter({ hasText: WRONG_CREDENTIALS }).waitFor();
      expect(pathOf(page)).toBe('/login');
      await screenshot(page, 'web-login-error');
    });

    test('register: a new account is signed in at once', async () => {
      const page = await newPage();
      await page.goto(`${gatehouse.base}/login`);
      await page.getByRole('link', { name: 'Create an account' }).click();
      await page.waitForURL(`${gatehouse.base}/register`);
      await page.getByLabel('Username', { exact: true }).fill('carol');
      await page.getByLabel('Email', { exact: true }).fill('carol@example.com');
      await page.getByLabel('Password', { exact: true }).fill('plum-violet-kettle-42');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByText('Hello carol!').waitFor();
      await page.waitForURL((url) => url.pathname !== '/register');
    });

    test('a protected page sends a signed-out visitor to log in, then back to it', async () => {
      const page = await newPage();
      await page.goto(`${gatehouse.base}/account`);
      await loginForm(page).waitFor();
      expect(pathOf(page)).toBe('/login');
      await submitLogin(page, 'user1', 'password1');
      await page.waitForURL((url) => url.pathname === '/account');
      await page.getByLabel('First name').waitFor();
      await page.getByText('Hello user1!').waitFor();
    });
  });

  describe('the session in the browser', () => {
    test('no token is readable by scripts: the refresh token is an httpOnly cookie', async () => {
      const context = await newContext();
      const page = await context.newPage();
      await logIn(page, 'user1', 'password1');
      await page.getByText('Sam Smith').waitFor();
      const readable = await page.evaluate(
        'JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])',
      );
      expect(readable).not.toMatch(JWT);

      const cookies = await context.cookies();
      const refresh = cookies.filter((cookie) => JWT.test(cookie.value));
      expect(refresh).toHaveLength(1);
      expect(refresh[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/auth' });
    });

    test('two tabs: logging out in one signs the other out too', async () => {
      const context = await newContext();
      const first = await context.newPage();
      await logIn(first, 'user1', 'password1');
      const second = await context.newPage();
      await second.goto(`${gatehouse.base}/`);
      await second.getByText('Hello user1!').waitFor();

      await first.getByRole('button', { name: 'Log out' }).click();
      await loginForm(first).waitFor();
      // No reload in the second tab: it hears of the logout and shows the login page.
      await loginForm(second).waitFor();
      expect(await second.getByText('Hello user1!').count()).toBe(0);
    });

    test('five tabs reloaded at once all stay signed in', async () => {
      const context = await newContext();
      const first = await context.newPage();
      await logIn(first, 'user1', 'password1');
      const others = await Promise.all(
        [1, 2, 3, 4].map(async () => {
          const page = await context.newPage();
          await page.goto(`${gatehouse.base}/`);
          await page.getByText('Hello user1!').waitFor();
          return page;
        }),
      );
      const pages = [first, ...others];
      await Promise.all(pages.map((page) => page.reload()));
      await Promise.all(pages.map((page) => page.getByText('Hello user1!').waitFor()));
      for (const page of pages) expect(await loginForm(page).count()).toBe(0);

      // The session survived the burst of refreshes: a later reload still signs in.
      await first.reload();
      await first.getByText('Sam Smith').waitFor();
      expect(pathOf(first)).toBe('/');
    });

    test('an expired access token is renewed without a visible logout', async () => {
      const page = await newPage();
      const refreshes: string[] = [];
      page.on('request', (request) => {
        if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/auth/refresh/') {
          refreshes.push(request.url());
        }
      });
      await logIn(page, 'user1', 'password1', shortLived.base);
      await page.getByText('Sam Smith').waitFor();
      const before = refreshes.length;

      await page.waitForTimeout(4_000);
      await page.getByRole('link', { name: 'Account' }).click();
      await page.getByLabel('First name').waitFor();
      await page.getByText('Hello user1!').waitFor();
      expect(await loginForm(page).count()).toBe(0);
      expect(refreshes.length).toBeGreaterThan(before);
    });
  });

  describe('administration', () => {
    test('a user who is not a superuser is refused the admin pages', async () => {
      const page = await newPage();
      await logIn(page, 'user1', 'password1');
      for (const url of ['/admin', '/admin/audit']) {
        await page.goto(`${gatehouse.base}${url}`);
        await page.getByText(ACCESS_DENIED).waitFor();
        expect(await page.getByLabel('Search users').count()).toBe(0);
      }
      await screenshot(page, 'web-admin-refused');
    });

    test('the superuser sees the users, a user’s details and the audit log', async () => {
      const page = await newPage();
      await logIn(page, 'admin', 'adminpass123');
      await page.getByRole('link', { name: 'Admin' }).click();
      await page.getByLabel('Search users').waitFor();
      await page.getByRole('link', { name: 'user2', exact: true }).click();
      await page.waitForURL((url) => /^\/admin\/users\/[\w-]+\/?$/.test(url.pathname));
      await page.getByRole('button', { name: 'Deactivate' }).waitFor();
      await page.getByRole('checkbox', { name: 'Staff' }).waitFor();
      await page.getByRole('checkbox', { name: 'Superuser' }).waitFor();
      await page.goto(`${gatehouse.base}/admin/audit`);
      await page.waitForLoadState('networkidle');
      expect(pathOf(page)).toBe('/admin/audit');
      expect(await page.getByText(ACCESS_DENIED).count()).toBe(0);
      await page.getByText('Hello admin!').waitFor();
    });
  });

  test('every page, on a desktop and on a 375 px phone', async () => {
    const context = await newContext();
    const page = await context.newPage();
    const shoot = async (name: string) => {
      await page.setViewportSize(DESKTOP);
      await screenshot(page, `web-${name}-desktop`);
      await page.setViewportSize(PHONE);
      await screenshot(page, `web-${name}-375`);
      await page.setViewportSize(DESKTOP);
    };

    await page.goto(`${gatehouse.base}/login`);
    await loginForm(page).waitFor();
    await shoot('login');
    await page.goto(`${gatehouse.base}/register`);
    await page.getByRole('button', { name: 'Create account' }).waitFor();
    await shoot('register');

    await page.goto(`${gatehouse.base}/login`);
    await submitLogin(page, 'admin', 'adminpass123');
    await page.getByText('Hello admin!').waitFor();
    await shoot('home');
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('button', { name: 'Save profile' }).waitFor();
    await page.getByText('This device').waitFor();
    await shoot('account');
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('link', { name: 'user1', exact: true }).waitFor();
    await shoot('admin-users');
    await page.getByRole('link', { name: 'user1', exact: true }).click();
    await page.getByRole('button', { name: 'Deactivate' }).waitFor();
    await shoot('admin-user');
    await page.goto(`${gatehouse.base}/admin/audit`);
    await page.waitForLoadState('networkidle');
    await shoot('audit-log');
  });
});
