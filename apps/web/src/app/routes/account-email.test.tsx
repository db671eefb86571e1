// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { renderApp } from '../test-app';
import { account, json, sessionHandlers, user, type Handlers } from '../../testing/fake-api';

afterEach(cleanup);

const accountPage: Handlers = {
  'GET /api/profile/': () =>
    json(200, { user: user(), first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' }),
  'GET /api/users/me/sessions/': () => json(200, []),
  'GET /api/users/me/events/': () => json(200, { count: 0, next: null, previous: null, results: [] }),
};

const emailCard = () => screen.findByRole('region', { name: 'Email address' });

describe('the account page’s email card', () => {
  it('an unverified address: says so, and sends a new link to it (signed in, no address typed)', async () => {
    const { sent } = renderApp('/account', {
      ...sessionHandlers(account({ email_verified: false })),
      ...accountPage,
      'POST /api/auth/email/verify/resend/': () =>
        json(202, { detail: 'If the address needs verifying, a new link is on its way.' }),
    });
    const card = await emailCard();
    expect(card.textContent).toContain('Not verified');
    expect(card.textContent).toContain('ada@example.com');
    fireEvent.click(screen.getByRole('button', { name: 'Send a new link' }));
    const resent = await screen.findByText('If the address needs verifying, a new link is on its way.');
    expect(resent.closest('[role="status"]')).not.toBeNull();
    const [call] = sent('POST /api/auth/email/verify/resend/');
    expect(call?.headers.get('authorization')).toBe('Bearer access-1');
    expect(call?.body).toEqual({});
  });

  it('a verified address: a badge, and no resend', async () => {
    renderApp('/account', { ...sessionHandlers(account()), ...accountPage });
    const card = await emailCard();
    expect(card.textContent).toContain('Verified');
    expect(screen.queryByRole('button', { name: 'Send a new link' })).toBeNull();
  });

  it('change: sends the new address and the password, and says where the link went', async () => {
    const { sent } = renderApp('/account', {
      ...sessionHandlers(account()),
      ...accountPage,
      'POST /api/users/me/email/': () =>
        json(202, { detail: 'We have sent a confirmation link to the new address.' }),
    });
    await emailCard();
    fireEvent.change(screen.getByLabelText('New email'), { target: { value: ' ada@new.example ' } });
    fireEvent.change(screen.getAllByLabelText('Current password')[0] as HTMLElement, {
      target: { value: 'password1' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Send a confirmation link' }));
    const status = await screen.findByText('We have sent a confirmation link to the new address.');
    expect(status.closest('[role="status"]')?.textContent).toContain('ada@new.example');
    expect(sent('POST /api/users/me/email/').map((call) => call.body)).toEqual([
      { email: 'ada@new.example', password: 'password1' },
    ]);
    expect((screen.getByLabelText('New email') as HTMLInputElement).value).toBe('');
  });

  it('a wrong password: under the password input', async () => {
    renderApp('/account', {
      ...sessionHandlers(account()),
      ...accountPage,
      'POST /api/users/me/email/': () => json(400, { password: ['Your password was entered incorrectly.'] }),
    });
    await emailCard();
    fireEvent.change(screen.getByLabelText('New email'), { target: { value: 'ada@new.example' } });
    const password = screen.getAllByLabelText('Current password')[0] as HTMLElement;
    fireEvent.change(password, { target: { value: 'nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send a confirmation link' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('Your password was entered incorrectly.');
    expect(password.getAttribute('aria-describedby')).toContain(alert.id);
  });

  it('a sign-in too old for the change: tells the user to sign in again, then brings them back', async () => {
    let signedIn = true;
    const { sent, router } = renderApp('/account', {
      ...sessionHandlers(account()),
      ...accountPage,
      'POST /api/users/me/email/': () =>
        json(403, { detail: 'Please sign in again to continue.', code: 'reauthentication_required' }),
      'POST /api/auth/logout/': () => {
        signedIn = false;
        return json(200, {});
      },
      'POST /api/auth/login/': () => {
        signedIn = true;
        return json(200, { access: 'access-2', user: account() });
      },
    });
    await emailCard();
    fireEvent.change(screen.getByLabelText('New email'), { target: { value: 'ada@new.example' } });
    fireEvent.change(screen.getAllByLabelText('Current password')[0] as HTMLElement, {
      target: { value: 'password1' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Send a confirmation link' }));
    expect(await screen.findByText('Sign in again to change your email address.')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Sign in again' }));
    expect(
      await screen.findByText('For your security, log in again to change your email address.'),
    ).toBeTruthy();
    await waitFor(() => expect(signedIn).toBe(false));
    expect(sent('POST /api/auth/logout/')).toHaveLength(1);
    expect(router.state.location.pathname).toBe('/login');

    fireEvent.change(screen.getByLabelText('Username or email'), { target: { value: 'ada' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'password1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/account'));
  });
});
