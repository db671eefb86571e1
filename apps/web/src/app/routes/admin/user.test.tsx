// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdminUserResponse, RoleResponse } from '@gatehouse/contract';
import { account, json, sessionHandlers } from '../../../testing/fake-api';
import { renderApp } from '../../test-app';

afterEach(cleanup);

const support: RoleResponse = {
  name: 'support',
  description: '',
  permissions: ['users:deactivate', 'users:read'],
  users_count: 0,
  created: '2026-01-01T00:00:00.000Z',
  updated: '2026-01-01T00:00:00.000Z',
};

const card = async () => {
  const heading = await screen.findByRole('heading', { name: 'Roles and permissions' });
  return heading.closest('section') as HTMLElement;
};

describe('a user’s roles in the administration', () => {
  it('shows roles, groups and effective permissions, and assigns a role', async () => {
    let bob: AdminUserResponse = {
      ...account({ id: 'u2', public_id: 'u2', username: 'bob' }),
      sessions: [],
      roles: [],
      groups: ['night shift'],
      permissions: ['audit:read'],
    };
    const { sent } = renderApp('/admin/users/u2', {
      ...sessionHandlers(account({ is_superuser: true })),
      'GET /api/users/u2/': () => json(200, bob),
      'GET /api/users/u2/mfa/': () => json(200, { totp: false, recovery_codes_left: 0, passkeys: [] }),
      'GET /api/roles/': () => json(200, [support]),
      'GET /api/groups/': () => json(200, []),
      'PUT /api/users/u2/roles/': ({ body }) => {
        bob = { ...bob, roles: body?.roles ?? [], permissions: ['audit:read', ...support.permissions] };
        return json(200, {
          is_superuser: false,
          roles: bob.roles ?? [],
          groups: bob.groups ?? [],
          effective_roles: bob.roles ?? [],
          permissions: bob.permissions ?? [],
        });
      },
    });
    const section = await card();
    expect(section.textContent).toContain('night shift');
    expect(section.textContent).toContain('audit:read');

    const roles = within(section).getByRole('form', { name: 'Roles of the user' });
    fireEvent.click(await within(roles).findByRole('checkbox', { name: 'support' }));
    fireEvent.click(within(roles).getByRole('button', { name: 'Save roles' }));
    expect(await within(section).findByText('Roles saved.')).toBeTruthy();
    expect(sent('PUT /api/users/u2/roles/').map((call) => call.body)).toEqual([{ roles: ['support'] }]);
    // Read again: the effective permissions now include the role's.
    expect(await within(section).findByText('users:deactivate')).toBeTruthy();
  });

  it('one’s own roles are not one’s own to change', async () => {
    const me = account({ id: 'u2', public_id: 'u2', username: 'ada', is_superuser: true });
    renderApp('/admin/users/u2', {
      ...sessionHandlers(me),
      'GET /api/users/u2/': () => json(200, { ...me, sessions: [], roles: [], groups: [], permissions: [] }),
      'GET /api/users/u2/mfa/': () => json(200, { totp: false, recovery_codes_left: 0, passkeys: [] }),
    });
    const section = await card();
    expect(section.textContent).toContain('Every permission (superuser)');
    expect(within(section).getByText(/for another administrator to change/)).toBeTruthy();
    expect(within(section).queryByRole('button', { name: 'Save roles' })).toBeNull();
  });
});
