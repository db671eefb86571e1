// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { Identity } from '@gatehouse/client';
import { AuthProvider } from '@gatehouse/client/react';
import { useLayoutEffect } from 'react';
import { MemoryRouter, useLocation, type Location } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  account,
  fakeFetch,
  IDENTITY_ID,
  json,
  sessionHandlers,
  testClient,
  type Handlers,
} from '../../../testing/fake-api';
import { IdentitiesCard } from './identities-card';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const CORP: Identity = {
  id: IDENTITY_ID,
  provider: 'corp',
  display_name: 'Corp SSO',
  issuer: 'https://sso.corp.example',
  subject: '24400320',
  email: 'ada@corp.example',
  created_at: '2026-01-01T00:00:00.000Z',
  last_used_at: null,
};
const REAUTH = { detail: 'Please sign in again to continue.', code: 'reauthentication_required' } as const;

function page(linked: Identity[], more: Handlers = {}): Handlers {
  return {
    ...sessionHandlers(account()),
    'GET /api/auth/oidc/providers/': () =>
      json(200, [
        { name: 'corp', display_name: 'Corp SSO' },
        { name: 'google', display_name: 'Google' },
      ]),
    'GET /api/users/me/identities/': () => json(200, linked),
    ...more,
  };
}

/** The card on /account/security, signed in, over a fake Gatehouse; `where()`: the router's location. */
function renderCard(handlers: Handlers, path = '/account/security') {
  const { fetch, calls } = fakeFetch(handlers);
  let location: Location | undefined;
  function Probe() {
    const current = useLocation();
    useLayoutEffect(() => {
      location = current;
    }, [current]);
    return null;
  }
  render(
    <AuthProvider client={testClient(fetch)}>
      <MemoryRouter initialEntries={[path]}>
        <Probe />
        <IdentitiesCard returnTo="/account/security" reauthenticate={<p>Sign in again, please.</p>} />
      </MemoryRouter>
    </AuthProvider>,
  );
  const sent = (route: string) => calls.filter((call) => `${call.method} ${call.path}` === route);
  return { sent, where: () => location };
}

const card = () => screen.findByRole('region', { name: 'Linked accounts' });

describe('the linked accounts card', () => {
  it('lists the linked identities, and links the other providers through their sign-in', async () => {
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => undefined);
    const { sent } = renderCard(page([CORP]));
    const section = await card();
    const item = await within(section).findByRole('listitem', { name: 'Corp SSO' });
    expect(item.textContent).toContain('ada@corp.example');
    expect(item.textContent).toContain('never used');
    // Corp is linked already: no second button for it.
    expect(within(section).queryByRole('button', { name: 'Link Corp SSO' })).toBeNull();
    fireEvent.click(await within(section).findByRole('button', { name: 'Link Google' }));
    const start = 'http://gatehouse.test/api/auth/oidc/google/start?next=%2Faccount%2Fsecurity&intent=link';
    await waitFor(() => expect(assign).toHaveBeenCalledWith(start));
    // A plain navigation: the server itself sends a refusal back here (#oidc_error=), nothing is asked first.
    expect(sent('GET /api/auth/oidc/google/start')).toHaveLength(0);
    // While the browser leaves, the buttons wait.
    expect((within(section).getByRole('button', { name: 'Link Google' }) as HTMLButtonElement).disabled).toBe(
      true,
    );
  });

  it('nothing linked: says so, and offers every provider', async () => {
    renderCard(page([]));
    const section = await card();
    expect(await within(section).findByText('No linked accounts yet.')).toBeTruthy();
    await within(section).findByRole('button', { name: 'Link Corp SSO' });
  });

  it('no provider configured and nothing linked: no card', async () => {
    const { sent } = renderCard({
      ...page([]),
      'GET /api/auth/oidc/providers/': () => json(200, []),
    });
    await waitFor(() => expect(sent('GET /api/auth/oidc/providers/')).toHaveLength(1));
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Linked accounts' })).toBeNull());
  });

  it('unlinks after a confirmation', async () => {
    const linked = [CORP];
    const { sent } = renderCard(
      page(linked, {
        'DELETE /api/users/me/identities/id1/': () => {
          linked.length = 0;
          return json(204, {});
        },
      }),
    );
    const item = await within(await card()).findByRole('listitem', { name: 'Corp SSO' });
    fireEvent.click(within(item).getByRole('button', { name: 'Unlink' }));
    const confirm = within(item).getByRole('group', { name: 'Confirm unlinking' });
    expect(confirm.textContent).toContain('You will no longer sign in with Corp SSO.');
    expect(sent('DELETE /api/users/me/identities/id1/')).toHaveLength(0);
    fireEvent.click(within(confirm).getByRole('button', { name: 'Yes, unlink' }));
    expect(await screen.findByText('No linked accounts yet.')).toBeTruthy();
    expect(sent('DELETE /api/users/me/identities/id1/')).toHaveLength(1);
  });

  it('the last way to sign in: explains why it stays', async () => {
    renderCard(
      page([CORP], {
        'DELETE /api/users/me/identities/id1/': () =>
          json(400, { detail: 'This is the last way to sign in.', code: 'oidc_last_method' }),
      }),
    );
    const item = await within(await card()).findByRole('listitem', { name: 'Corp SSO' });
    fireEvent.click(within(item).getByRole('button', { name: 'Unlink' }));
    fireEvent.click(within(item).getByRole('button', { name: 'Yes, unlink' }));
    expect((await within(item).findByRole('alert')).textContent).toBe(
      'This is the only way you can sign in to this account, so it cannot be unlinked. Add another way first (a password, or another provider), then unlink this one.',
    );
  });

  it('a sign-in too old for unlinking: the way to sign in again', async () => {
    renderCard(page([CORP], { 'DELETE /api/users/me/identities/id1/': () => json(403, REAUTH) }));
    const item = await within(await card()).findByRole('listitem', { name: 'Corp SSO' });
    fireEvent.click(within(item).getByRole('button', { name: 'Unlink' }));
    fireEvent.click(within(item).getByRole('button', { name: 'Yes, unlink' }));
    expect(await within(item).findByText('Sign in again, please.')).toBeTruthy();
  });

  it('linking refused (back with #oidc_error): explained, and the fragment leaves the address', async () => {
    const { where } = renderCard(page([]), '/account/security#oidc_error=oidc_identity_in_use');
    const alert = await within(await card()).findByRole('alert');
    expect(alert.textContent).toContain('already linked to another account here');
    await waitFor(() => expect(where()?.hash).toBe(''));
    expect(where()?.pathname).toBe('/account/security');
  });

  it('linking needs a recent sign-in (back with #oidc_error): the way to sign in again', async () => {
    const { where } = renderCard(page([]), '/account/security#oidc_error=reauthentication_required');
    expect(await within(await card()).findByText('Sign in again, please.')).toBeTruthy();
    await waitFor(() => expect(where()?.hash).toBe(''));
  });

  it('linking started without a session (back with #oidc_error, after signing in): explained', async () => {
    const { where } = renderCard(page([]), '/account/security#oidc_error=not_authenticated');
    const alert = await within(await card()).findByRole('alert');
    expect(alert.textContent).toBe(
      'Your session had ended, so nothing was linked. Now that you are signed in, link the provider again.',
    );
    await waitFor(() => expect(where()?.hash).toBe(''));
  });
});
