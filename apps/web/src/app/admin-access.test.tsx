// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdminUserResponse, PermissionsResponse } from '@gatehouse/contract';
import { account, json, sessionHandlers, type Handlers } from '../testing/fake-api';
import { renderApp } from './test-app';

afterEach(cleanup);

const ACCESS_DENIED = 'You do not have access to this page.';

const permissions = (held: string[], roles = ['support']): PermissionsResponse => ({
  is_superuser: false,
  roles,
  groups: [],
  effective_roles: roles,
  permissions: held,
});

const bob: AdminUserResponse = {
  ...account({ id: 'u2', public_id: 'u2', username: 'bob' }),
  sessions: [
    {
      id: 's1',
      created_at: '2026-01-01T00:00:00.000Z',
      last_used_at: '2026-01-01T00:00:00.000Z',
      expires_at: '2026-02-01T00:00:00.000Z',
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
      ip: '203.0.113.9',
      current: false,
    },
  ],
  roles: [],
  groups: [],
  permissions: [],
};

/** A signed-in non-superuser holding `held`, and the admin routes a support page reads. */
function viewer(held: string[]): Handlers {
  return {
    ...sessionHandlers(account({ username: 'sam' })),
    'GET /api/users/me/permissions/': () => json(200, permissions(held)),
    'GET /api/users/': () => json(200, { count: 1, next: null, previous: null, results: [bob] }),
    'GET /api/users/u2/': () => json(200, bob),
    'GET /api/users/u2/mfa/': () => json(200, { totp: true, recovery_codes_left: 9, passkeys: [] }),
  };
}

const tabs = () =>
  within(screen.getByRole('navigation', { name: 'Administration' }))
    .getAllByRole('link')
    .map((link) => link.textContent);

describe('the admin area, by permission', () => {
  it('support (users:read, users:deactivate): the users, and only the tabs and buttons it may use', async () => {
    const { sent } = renderApp('/admin', {
      ...viewer(['users:deactivate', 'users:read']),
      'PATCH /api/users/u2/': ({ body }) => json(200, { ...bob, ...body }),
    });
    await screen.findByLabelText('Search users');
    expect(await screen.findByRole('link', { name: 'Admin' })).toBeTruthy();
    expect(tabs()).toEqual(['Users']);

    fireEvent.click(await screen.findByRole('link', { name: 'bob' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Deactivate' }));
    await screen.findByText('bob is deactivated; every session has ended.');
    expect(sent('PATCH /api/users/u2/').map((call) => call.body)).toEqual([{ is_active: false }]);

    // No users:update, sessions:revoke, users:delete, roles:manage; nobody but a superuser makes one.
    expect(screen.queryByRole('checkbox', { name: 'Staff' })).toBeNull();
    expect(screen.queryByRole('checkbox', { name: 'Superuser' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Revoke' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Reset second factors' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Delete user' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Save roles' })).toBeNull();
    expect(await screen.findByRole('heading', { name: 'Roles and permissions' })).toBeTruthy();
  });

  it('support is shown the 403 page on the audit log, roles and groups', async () => {
    const { router } = renderApp('/admin/audit', viewer(['users:deactivate', 'users:read']));
    expect(await screen.findByRole('heading', { name: ACCESS_DENIED })).toBeTruthy();
    for (const path of ['/admin/roles', '/admin/groups']) {
      await router.navigate(path);
      expect(await screen.findByRole('heading', { name: ACCESS_DENIED })).toBeTruthy();
    }
  });

  it('a viewer who may not read users is taken from /admin to the first page they may open', async () => {
    const { router } = renderApp('/admin', viewer(['audit:read']));
    await waitFor(() => expect(router.state.location.pathname).toBe('/admin/audit'));
    expect(tabs()).toEqual(['Audit log']);
  });

  it('a permission that opens no admin page does not open the admin area, nor show its link', async () => {
    renderApp('/admin', viewer(['posts:publish']));
    expect(await screen.findByRole('heading', { name: ACCESS_DENIED })).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Admin' })).toBeNull();
  });

  it('a superuser sees every tab without asking for their permissions', async () => {
    const { sent } = renderApp('/admin/roles', {
      ...sessionHandlers(account({ is_superuser: true })),
      'GET /api/roles/': () => json(200, []),
    });
    expect(await screen.findByText('No roles yet.')).toBeTruthy();
    expect(tabs()).toEqual(['Users', 'Roles', 'Groups', 'Audit log']);
    expect(sent('GET /api/users/me/permissions/')).toEqual([]);
  });
});
