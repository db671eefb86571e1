import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { allStarted } from './support/all-started.js';
import { describeInBrowser, launchBrowser, trackedPages } from './support/browser.js';
import { startGatehouse, WEB_DIST, type Gatehouse } from './support/gatehouse.js';
import { screenshot } from './support/screenshots.js';

// Roles and permissions in Gatehouse's web app (issue 17), on the real built server: a superuser makes
// a role and gives it to a user in the UI; a "support" account, not a superuser, uses exactly the part of
// the admin area its permissions open.

const ACCESS_DENIED = 'You do not have access to this page.';

describeInBrowser('roles and permissions in the web app', () => {
  let gatehouse: Gatehouse;
  let browser: Browser;
  const newPage = trackedPages(() => browser);

  beforeAll(async () => {
    if (!fs.existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`${WEB_DIST}index.html does not exist: run \`npm run build\` first`);
    }
    await allStarted([
      startGatehouse({ GATEHOUSE_WEB_ROOT: WEB_DIST }).then((started) => (gatehouse = started)),
      launchBrowser().then((started) => (browser = started)),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await gatehouse?.stop();
  });

  /** The JSON API as `username` (a token of their own, not the browser's session). */
  async function api(username: string, password: string) {
    const login = await fetch(`${gatehouse.base}/api/token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    expect(login.status).toBe(200);
    const { access } = (await login.json()) as { access: string };
    return async (method: string, route: string, body?: object) => {
      const response = await fetch(`${gatehouse.base}${route}`, {
        method,
        headers: {
          authorization: `Bearer ${access}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      expect(response.status, `${method} ${route}`).toBeLessThan(300);
      return (await response.json()) as Record<string, unknown>;
    };
  }

  async function publicIdOf(admin: Awaited<ReturnType<typeof api>>, username: string): Promise<string> {
    const page = (await admin('GET', `/api/users/?search=${username}`)) as {
      results: { username: string; public_id: string }[];
    };
    const found = page.results.find((user) => user.username === username);
    if (!found) throw new Error(`no user ${username}`);
    return found.public_id;
  }

  async function logIn(page: Page, username: string, password: string): Promise<void> {
    await page.goto(`${gatehouse.base}/login`);
    await page.getByLabel('Username or email').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText(`Hello ${username}!`).waitFor();
    await page.waitForURL((url) => url.pathname !== '/login');
  }

  test('a superuser creates a role and assigns it to a user in the UI', async () => {
    const page = await newPage();
    await logIn(page, 'admin', 'adminpass123');
    await page.getByRole('link', { name: 'Admin' }).click();
    await page
      .getByRole('navigation', { name: 'Administration' })
      .getByRole('link', { name: 'Roles' })
      .click();

    const create = page.getByRole('form', { name: 'New role' });
    await create.getByLabel('Name').fill('auditor');
    await create.getByLabel('Description').fill('Reads the audit log');
    await create.getByRole('checkbox', { name: 'audit:read' }).check();
    await create.getByLabel('Other permissions').fill('reports:read');
    await create.getByRole('button', { name: 'Create role' }).click();
    await page.getByText('The role auditor was created.').waitFor();
    await page.getByRole('table', { name: 'Roles' }).getByText('reports:read').waitFor();
    await screenshot(page, 'web-admin-roles');

    await page
      .getByRole('navigation', { name: 'Administration' })
      .getByRole('link', { name: 'Users' })
      .click();
    await page.getByRole('link', { name: 'user2', exact: true }).click();
    const assignment = page.getByRole('form', { name: 'Roles of the user' });
    await assignment.getByRole('checkbox', { name: 'auditor' }).check();
    await assignment.getByRole('button', { name: 'Save roles' }).click();
    await page.getByText('Roles saved.').waitFor();
    // Read again from the server: the effective permissions are the role's.
    const card = page.getByRole('region', { name: 'Roles and permissions' });
    await card.getByText('reports:read').waitFor();
    await screenshot(page, 'web-admin-user-roles');

    // Both changes are in the audit log, in words.
    await page
      .getByRole('navigation', { name: 'Administration' })
      .getByRole('link', { name: 'Audit log' })
      .click();
    await page.getByText('Role created').first().waitFor();
    await page.getByText('Roles of a user changed').first().waitFor();

    const admin = await api('admin', 'adminpass123');
    const user2 = await admin('GET', `/api/users/${await publicIdOf(admin, 'user2')}/`);
    expect(user2).toMatchObject({ roles: ['auditor'], permissions: ['audit:read', 'reports:read'] });
  });

  test('support (users:read, users:deactivate) lists users and deactivates one, and sees no more', async () => {
    const admin = await api('admin', 'adminpass123');
    await admin('POST', '/api/roles/', {
      name: 'support',
      permissions: ['users:read', 'users:deactivate'],
    });
    await admin('PUT', `/api/users/${await publicIdOf(admin, 'user1')}/roles/`, { roles: ['support'] });
    // An account of its own to deactivate (user2 may hold audit:read from the test above: out of
    // support's reach, as an account holding a Gatehouse permission support lacks is).
    const registered = await fetch(`${gatehouse.base}/api/users/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'dana', password: 'a long passphrase 7' }),
    });
    expect(registered.status).toBe(201);
    const danaId = await publicIdOf(admin, 'dana');

    const page = await newPage();
    await logIn(page, 'user1', 'password1');
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByLabel('Search users').waitFor();
    const tabs = page.getByRole('navigation', { name: 'Administration' }).getByRole('link');
    expect(await tabs.allTextContents()).toEqual(['Users']);
    await screenshot(page, 'web-admin-support-users');

    await page.getByLabel('Search users').fill('dana');
    await page.getByRole('link', { name: 'dana', exact: true }).click();
    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByText('dana is deactivated; every session has ended.').waitFor();
    expect(await page.getByRole('checkbox', { name: 'Superuser' }).count()).toBe(0);
    expect(await page.getByRole('checkbox', { name: 'Staff' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete user' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Save roles' }).count()).toBe(0);
    await screenshot(page, 'web-admin-support-user');
    expect(await admin('GET', `/api/users/${danaId}/`)).toMatchObject({ is_active: false });

    for (const url of ['/admin/audit', '/admin/roles', '/admin/groups']) {
      await page.goto(`${gatehouse.base}${url}`);
      await page.getByRole('heading', { name: ACCESS_DENIED }).waitFor();
    }
  });
});
