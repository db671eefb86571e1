// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { GroupDetailResponse, GroupResponse, RoleResponse } from '@gatehouse/contract';
import { account, json, sessionHandlers } from '../../../testing/fake-api';
import { renderApp } from '../../test-app';

afterEach(cleanup);

const role = (overrides: Partial<RoleResponse> = {}): RoleResponse => ({
  name: 'support',
  description: '',
  permissions: ['users:read'],
  users_count: 0,
  created: '2026-01-01T00:00:00.000Z',
  updated: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

const superuser = sessionHandlers(account({ is_superuser: true }));
const form = (name: string) => screen.findByRole('form', { name });

describe('the roles page', () => {
  it('creates a role with Gatehouse’s permissions and one of the deployer’s own', async () => {
    const roles: RoleResponse[] = [];
    const { sent } = renderApp('/admin/roles', {
      ...superuser,
      'GET /api/roles/': () => json(200, roles),
      'POST /api/roles/': ({ body }) => {
        const created = role({ ...body, description: body?.description ?? '' });
        roles.push(created);
        return json(201, created);
      },
    });
    const create = await form('New role');
    fireEvent.change(within(create).getByLabelText('Name'), { target: { value: 'support' } });
    fireEvent.click(within(create).getByRole('checkbox', { name: 'users:read' }));
    fireEvent.click(within(create).getByRole('checkbox', { name: 'users:deactivate' }));
    fireEvent.change(within(create).getByLabelText('Other permissions'), {
      target: { value: 'posts:publish,  tickets:close' },
    });
    fireEvent.click(within(create).getByRole('button', { name: 'Create role' }));
    expect(await screen.findByText('The role support was created.')).toBeTruthy();
    expect(sent('POST /api/roles/').map((call) => call.body)).toEqual([
      {
        name: 'support',
        description: '',
        permissions: ['users:read', 'users:deactivate', 'posts:publish', 'tickets:close'],
      },
    ]);
    const table = screen.getByRole('table', { name: 'Roles' });
    await within(table).findByText('support');
    expect(within(table).getByText('tickets:close')).toBeTruthy();
  });

  it('edits a role’s permissions, and deletes it after a confirmation', async () => {
    let roles = [role({ permissions: ['users:read'], users_count: 2 })];
    const { sent } = renderApp('/admin/roles', {
      ...superuser,
      'GET /api/roles/': () => json(200, roles),
      'PATCH /api/roles/support/': ({ body }) => {
        roles = [role({ ...roles[0], ...body })];
        return json(200, roles[0] as RoleResponse);
      },
      'DELETE /api/roles/support/': () => {
        roles = [];
        return json(204, {});
      },
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Edit support' }));
    const edit = await form('Edit role support');
    fireEvent.click(within(edit).getByRole('checkbox', { name: 'audit:read' }));
    fireEvent.click(within(edit).getByRole('checkbox', { name: 'users:read' }));
    fireEvent.click(within(edit).getByRole('button', { name: 'Save role' }));
    expect(await screen.findByText('The role support was saved.')).toBeTruthy();
    expect(sent('PATCH /api/roles/support/').map((call) => call.body)).toEqual([
      { description: '', permissions: ['audit:read'] },
    ]);

    fireEvent.click(await screen.findByRole('button', { name: 'Edit support' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Delete role' }));
    const confirm = screen.getByRole('group', { name: 'Confirm deletion' });
    expect(confirm.textContent).toContain('2 user(s)');
    fireEvent.click(within(confirm).getByRole('button', { name: 'Yes, delete support' }));
    expect(await screen.findByText('The role support was deleted.')).toBeTruthy();
    expect(sent('DELETE /api/roles/support/')).toHaveLength(1);
    expect(await screen.findByText('No roles yet.')).toBeTruthy();
  });

  it('a manager who is not a superuser cannot grant what they do not hold; the server’s refusal shows', async () => {
    renderApp('/admin/roles', {
      ...sessionHandlers(account({ username: 'lead' })),
      'GET /api/users/me/permissions/': () =>
        json(200, {
          is_superuser: false,
          roles: ['lead'],
          groups: [],
          effective_roles: ['lead'],
          permissions: ['roles:manage', 'users:read'],
        }),
      'GET /api/roles/': () => json(200, []),
      'POST /api/roles/': () =>
        json(403, {
          detail: 'You cannot grant a permission you do not hold.',
          code: 'permission_escalation',
        }),
    });
    const create = await form('New role');
    const held = within(create).getByRole('checkbox', { name: 'users:read' }) as HTMLInputElement;
    const notHeld = within(create).getByRole('checkbox', { name: 'users:delete' }) as HTMLInputElement;
    expect(held.disabled).toBe(false);
    expect(notHeld.disabled).toBe(true);

    fireEvent.change(within(create).getByLabelText('Name'), { target: { value: 'x' } });
    fireEvent.change(within(create).getByLabelText('Other permissions'), {
      target: { value: 'posts:publish' },
    });
    fireEvent.click(within(create).getByRole('button', { name: 'Create role' }));
    expect(await within(create).findByText('You cannot grant a permission you do not hold.')).toBeTruthy();
  });
});

describe('the groups page', () => {
  const team = (members: GroupDetailResponse['members']): GroupDetailResponse => ({
    name: 'team',
    description: '',
    roles: ['support'],
    members_count: members.length,
    members,
    created: '2026-01-01T00:00:00.000Z',
    updated: '2026-01-01T00:00:00.000Z',
  });

  it('creates a group with roles, then edits its roles and its members', async () => {
    let group: GroupDetailResponse | undefined;
    const summary = (): GroupResponse[] => {
      if (!group) return [];
      const { members: _members, ...rest } = group;
      return [rest];
    };
    const { sent } = renderApp('/admin/groups', {
      ...superuser,
      'GET /api/roles/': () => json(200, [role(), role({ name: 'editor' })]),
      'GET /api/groups/': () => json(200, summary()),
      'POST /api/groups/': ({ body }) => {
        group = { ...team([]), roles: body?.roles ?? [] };
        return json(201, summary()[0] as GroupResponse);
      },
      'GET /api/groups/team/': () => json(200, group as GroupDetailResponse),
      'PATCH /api/groups/team/': ({ body }) => {
        group = { ...(group as GroupDetailResponse), roles: body?.roles ?? [] };
        return json(200, summary()[0] as GroupResponse);
      },
      'GET /api/users/': () =>
        json(200, {
          count: 2,
          next: null,
          previous: null,
          results: [
            account({ id: 'u3', public_id: 'u3', username: 'bobby' }),
            account({ id: 'u2', public_id: 'u2', username: 'bob' }),
          ],
        }),
      'PUT /api/groups/team/members/': ({ body }) => {
        const members = (body?.users ?? []).map((id) => ({ id, username: id === 'u2' ? 'bob' : id }));
        group = { ...(group as GroupDetailResponse), members, members_count: members.length };
        return json(200, group);
      },
    });

    const create = await form('New group');
    fireEvent.change(within(create).getByLabelText('Name'), { target: { value: 'team' } });
    fireEvent.click(await within(create).findByRole('checkbox', { name: 'support' }));
    fireEvent.click(within(create).getByRole('button', { name: 'Create group' }));
    expect(await screen.findByText('The group team was created.')).toBeTruthy();
    expect(sent('POST /api/groups/').map((call) => call.body)).toEqual([
      { name: 'team', description: '', roles: ['support'] },
    ]);

    fireEvent.click(await screen.findByRole('button', { name: 'Edit team' }));
    const add = await form('Add a member');
    fireEvent.change(within(add).getByLabelText('Add a member'), { target: { value: 'bob' } });
    fireEvent.click(within(add).getByRole('button', { name: 'Add' }));
    // "bob", not the first match of the search ("bobby").
    expect(await screen.findByRole('button', { name: 'Remove bob' })).toBeTruthy();
    expect(sent('PUT /api/groups/team/members/').map((call) => call.body)).toEqual([{ users: ['u2'] }]);

    fireEvent.click(screen.getByRole('button', { name: 'Remove bob' }));
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Remove bob' })).toBeNull());
    expect(sent('PUT /api/groups/team/members/').at(-1)?.body).toEqual({ users: [] });

    const settings = await form('Edit group team');
    fireEvent.click(within(settings).getByRole('checkbox', { name: 'editor' }));
    fireEvent.click(within(settings).getByRole('button', { name: 'Save group' }));
    expect(await screen.findByText('The group team was saved.')).toBeTruthy();
    expect(sent('PATCH /api/groups/team/').map((call) => call.body)).toEqual([
      { description: '', roles: ['support', 'editor'] },
    ]);
  });
});
