// @vitest-environment happy-dom
import { cleanup, render, screen, within } from '@testing-library/react';
import type { AdminUserResponse } from '@gatehouse/contract';
import { afterEach, describe, expect, it } from 'vitest';
import { account } from '../../../testing/fake-api';
import { UserIdentitiesCard } from './user-identities-card';

afterEach(cleanup);

const bob = (identities?: AdminUserResponse['identities']): AdminUserResponse => ({
  ...account({ id: 'u2', public_id: 'u2', username: 'bob' }),
  sessions: [],
  ...(identities && { identities }),
});

describe('the user detail’s linked accounts', () => {
  it('lists each identity: provider, address, and the issuer and subject that identify it', () => {
    render(
      <UserIdentitiesCard
        user={bob([
          {
            id: 'id1',
            provider: 'corp',
            display_name: 'Corp SSO',
            issuer: 'https://sso.corp.example',
            subject: '24400320',
            email: 'bob@corp.example',
            created_at: '2026-01-01T00:00:00.000Z',
            last_used_at: '2026-02-01T00:00:00.000Z',
          },
        ])}
      />,
    );
    const item = within(screen.getByRole('region', { name: 'Linked accounts' })).getByRole('listitem');
    expect(item.textContent).toContain('Corp SSO · bob@corp.example');
    expect(item.textContent).toContain('subject 24400320 at https://sso.corp.example');
    expect(item.textContent).toContain('last used');
  });

  it('none: says so', () => {
    render(<UserIdentitiesCard user={bob([])} />);
    expect(screen.getByRole('region', { name: 'Linked accounts' }).textContent).toContain('None.');
  });

  it('a server that does not report them: no card', () => {
    render(<UserIdentitiesCard user={bob()} />);
    expect(screen.queryByRole('region', { name: 'Linked accounts' })).toBeNull();
  });
});
