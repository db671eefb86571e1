// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Passkey } from '@gatehouse/client';
import type { AdminUserResponse } from '@gatehouse/contract';
import { renderApp } from '../test-app';
import { account, fakeWebAuthn, json, sessionHandlers, type Handlers } from '../../testing/fake-api';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const SETUP = {
  secret: 'JBSWY3DPEHPK3PXP',
  otpauth_uri: 'otpauth://totp/Gatehouse:ada?secret=JBSWY3DPEHPK3PXP&issuer=Gatehouse',
};
const PASSKEY: Passkey = {
  id: 'pk1',
  name: 'Laptop',
  created_at: '2026-01-01T00:00:00.000Z',
  last_used_at: null,
  device_type: 'singleDevice',
  backed_up: false,
};
const REAUTH = { detail: 'Please sign in again to continue.', code: 'reauthentication_required' } as const;

function securityPage(state: { totp: boolean; passkeys: Passkey[] }): Handlers {
  return {
    ...sessionHandlers(account()),
    'GET /api/users/me/mfa/': () =>
      json(200, {
        totp: state.totp,
        passkeys: state.passkeys.length,
        recovery_codes_left: state.totp ? 10 : 0,
      }),
    'GET /api/users/me/passkeys/': () => json(200, state.passkeys),
  };
}

const card = (name: string) => screen.findByRole('region', { name });

describe('Account → Security', () => {
  it('is linked from the account page', async () => {
    const { router } = renderApp('/account', {
      ...securityPage({ totp: false, passkeys: [] }),
      'GET /api/users/me/sessions/': () => json(200, []),
      'GET /api/users/me/events/': () => json(200, { count: 0, next: null, previous: null, results: [] }),
    });
    fireEvent.click(await screen.findByRole('link', { name: 'Two-step verification and passkeys' }));
    await card('Authenticator app');
    expect(router.state.location.pathname).toBe('/account/security');
  });

  it('sets up the authenticator app: QR code and key, a code, then the recovery codes once', async () => {
    const state = { totp: false, passkeys: [] };
    const { sent } = renderApp('/account/security', {
      ...securityPage(state),
      'POST /api/users/me/mfa/totp/': () => json(200, SETUP),
      'POST /api/users/me/mfa/totp/confirm/': () => {
        state.totp = true;
        return json(200, { recovery_codes: ['aaaa-1111', 'bbbb-2222'] });
      },
    });
    const app = await card('Authenticator app');
    fireEvent.click(await within(app).findByRole('button', { name: 'Set up the authenticator app' }));
    const qr = await screen.findByRole('img', { name: 'QR code for your authenticator app' });
    expect(qr.querySelector('svg')).not.toBeNull();
    expect(screen.getByLabelText('Setup key').textContent).toBe('JBSW Y3DP EHPK 3PXP');

    fireEvent.change(screen.getByLabelText('Authentication code'), { target: { value: '123456' } });
    fireEvent.click(screen.getByRole('button', { name: 'Turn on' }));
    const codes = await screen.findByRole('region', { name: 'Recovery codes' });
    expect(
      within(codes)
        .getAllByRole('listitem')
        .map((item) => item.textContent),
    ).toEqual(['aaaa-1111', 'bbbb-2222']);
    expect(sent('POST /api/users/me/mfa/totp/confirm/')[0]?.body).toEqual({ code: '123456' });
    expect(await within(app).findByText('On')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'I have saved them' }));
    expect(screen.queryByRole('region', { name: 'Recovery codes' })).toBeNull();
    expect(app.textContent).toContain('Recovery codes left: 10');
  });

  it('on: regenerates the recovery codes, and turns off with a code', async () => {
    const state = { totp: true, passkeys: [] };
    const { sent } = renderApp('/account/security', {
      ...securityPage(state),
      'POST /api/users/me/mfa/recovery-codes/': () => json(200, { recovery_codes: ['cccc-3333'] }),
      'DELETE /api/users/me/mfa/totp/': () => {
        state.totp = false;
        return json(204, {});
      },
    });
    const app = await card('Authenticator app');
    fireEvent.click(await within(app).findByRole('button', { name: 'Regenerate recovery codes' }));
    expect((await screen.findByRole('region', { name: 'Recovery codes' })).textContent).toContain(
      'cccc-3333',
    );
    fireEvent.click(screen.getByRole('button', { name: 'I have saved them' }));

    fireEvent.change(within(app).getByLabelText('Authentication code'), { target: { value: '654321' } });
    fireEvent.click(within(app).getByRole('button', { name: 'Turn off' }));
    await within(app).findByRole('button', { name: 'Set up the authenticator app' });
    expect(sent('DELETE /api/users/me/mfa/totp/')[0]?.body).toEqual({ code: '654321' });
  });

  it('a sign-in too old for the change: sign in again, then back here', async () => {
    const { router } = renderApp('/account/security', {
      ...securityPage({ totp: false, passkeys: [] }),
      'POST /api/users/me/mfa/totp/': () => json(403, REAUTH),
    });
    const app = await card('Authenticator app');
    fireEvent.click(await within(app).findByRole('button', { name: 'Set up the authenticator app' }));
    expect(await screen.findByText('Sign in again to change how you sign in.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Sign in again' }));
    expect(
      await screen.findByText('For your security, log in again to change how you sign in.'),
    ).toBeTruthy();
    expect(router.state.location.pathname).toBe('/login');
  });

  it('passkeys: added with a name, renamed, removed', async () => {
    vi.stubGlobal('PublicKeyCredential', function PublicKeyCredential() {});
    const state = { totp: false, passkeys: [] as Passkey[] };
    const { sent } = renderApp(
      '/account/security',
      {
        ...securityPage(state),
        'POST /api/users/me/passkeys/options/': () => json(200, { challenge: 'c', user: { id: 'u' } }),
        'POST /api/users/me/passkeys/': ({ body }) => {
          state.passkeys = [{ ...PASSKEY, name: String(body?.name) }];
          return json(201, state.passkeys[0] as Passkey);
        },
        'PATCH /api/users/me/passkeys/pk1/': ({ body }) => {
          state.passkeys = [{ ...PASSKEY, name: String(body?.name) }];
          return json(200, state.passkeys[0] as Passkey);
        },
        'DELETE /api/users/me/passkeys/pk1/': () => {
          state.passkeys = [];
          return json(204, {});
        },
      },
      undefined,
      { webAuthn: fakeWebAuthn() },
    );
    const passkeys = await card('Passkeys');
    expect(await within(passkeys).findByText('No passkeys yet.')).toBeTruthy();
    fireEvent.click(within(passkeys).getByRole('button', { name: 'Add a passkey' }));
    fireEvent.change(within(passkeys).getByLabelText('Passkey name'), { target: { value: 'Laptop' } });
    fireEvent.click(within(passkeys).getByRole('button', { name: 'Create passkey' }));
    const item = await within(passkeys).findByRole('listitem', { name: 'Laptop' });
    expect(sent('POST /api/users/me/passkeys/')[0]?.body).toMatchObject({
      name: 'Laptop',
      credential: { id: 'cred' },
    });

    fireEvent.click(within(item).getByRole('button', { name: 'Rename' }));
    fireEvent.change(within(item).getByLabelText('New name'), { target: { value: 'Work laptop' } });
    fireEvent.click(within(item).getByRole('button', { name: 'Save' }));
    const renamed = await within(passkeys).findByRole('listitem', { name: 'Work laptop' });
    expect(sent('PATCH /api/users/me/passkeys/pk1/')[0]?.body).toEqual({ name: 'Work laptop' });

    fireEvent.click(within(renamed).getByRole('button', { name: 'Remove' }));
    fireEvent.click(within(renamed).getByRole('button', { name: 'Yes, remove it' }));
    expect(await within(passkeys).findByText('No passkeys yet.')).toBeTruthy();
    expect(sent('DELETE /api/users/me/passkeys/pk1/')).toHaveLength(1);
  });
});

describe('the administration’s user detail', () => {
  it('shows the user’s factors, and resets them after a confirmation', async () => {
    const bob: AdminUserResponse = {
      ...account({ id: 'u2', public_id: 'u2', username: 'bob' }),
      sessions: [],
    };
    const factors = {
      totp: true,
      recovery_codes_left: 8,
      passkeys: [{ id: 'pk9', name: 'Phone', created_at: '2026-01-01T00:00:00.000Z', last_used_at: null }],
    };
    const { sent } = renderApp('/admin/users/u2', {
      ...sessionHandlers(account({ is_superuser: true, is_staff: true })),
      'GET /api/users/u2/': () => json(200, bob),
      'GET /api/users/u2/mfa/': () => json(200, factors),
      'DELETE /api/users/u2/mfa/': () => {
        Object.assign(factors, { totp: false, recovery_codes_left: 0, passkeys: [] });
        return json(204, {});
      },
    });
    const section = await card('Second factors');
    await within(section).findByText('Phone');
    expect(section.textContent).toContain('On');
    fireEvent.click(within(section).getByRole('button', { name: 'Reset second factors' }));
    const confirm = within(section).getByRole('group', { name: 'Confirm the reset' });
    fireEvent.click(within(confirm).getByRole('button', { name: 'Yes, reset second factors' }));
    expect((await within(section).findByRole('status')).textContent).toContain(
      'Every second factor of bob was removed.',
    );
    expect(sent('DELETE /api/users/u2/mfa/')).toHaveLength(1);
    await waitFor(() => expect(within(section).queryByText('Phone')).toBeNull());
  });
});
