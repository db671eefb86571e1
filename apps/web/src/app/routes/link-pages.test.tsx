// @vitest-environment happy-dom
import { Messages } from '@gatehouse/contract';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { account, json, sessionHandlers } from '../../testing/fake-api';
import { renderApp } from '../test-app';

afterEach(cleanup);

const INVALID = { detail: 'This link is invalid or has expired.', code: 'invalid_token' } as const;
const TOKEN = 'dGhlLXRva2VuLW9mLXRoZS1saW5r';

/** Lets every pending request and render settle: what the page does on its own, before the user acts. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('set a new password (/reset-password)', () => {
  it('spends the token only when the user submits the new password, then offers to log in', async () => {
    const { sent, router } = renderApp(
      '/reset-password',
      {
        ...sessionHandlers(null),
        'POST /api/auth/password/reset/confirm/': () =>
          json(200, { detail: 'Your password has been reset. Sign in with the new password.' }),
      },
      TOKEN,
    );
    const input = await screen.findByLabelText('New password');
    await settle();
    expect(sent('POST /api/auth/password/reset/confirm/')).toHaveLength(0);

    fireEvent.change(input, { target: { value: 'tangerine-kayak-42' } });
    fireEvent.click(screen.getByRole('button', { name: 'Set the new password' }));
    expect((await screen.findByRole('status')).textContent).toBe(
      'Your password has been reset. Sign in with the new password.',
    );
    expect(sent('POST /api/auth/password/reset/confirm/').map((call) => call.body)).toEqual([
      { token: TOKEN, new_password: 'tangerine-kayak-42' },
    ]);
    fireEvent.click(screen.getByRole('link', { name: 'Log in' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
  });

  it('puts the password policy’s refusal under the input, and keeps the form', async () => {
    renderApp(
      '/reset-password',
      {
        ...sessionHandlers(null),
        'POST /api/auth/password/reset/confirm/': () =>
          json(400, { new_password: ['This password is too common.'] }),
      },
      TOKEN,
    );
    fireEvent.change(await screen.findByLabelText('New password'), { target: { value: 'password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Set the new password' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('This password is too common.');
    const input = screen.getByLabelText('New password');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toContain(alert.id);
  });

  it('an expired or used link: says so, and offers a new one', async () => {
    const { router } = renderApp(
      '/reset-password',
      { ...sessionHandlers(null), 'POST /api/auth/password/reset/confirm/': () => json(400, INVALID) },
      TOKEN,
    );
    fireEvent.change(await screen.findByLabelText('New password'), {
      target: { value: 'tangerine-kayak-42' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Set the new password' }));
    expect((await screen.findByRole('alert')).textContent).toBe(INVALID.detail);
    expect(screen.queryByLabelText('New password')).toBeNull();
    fireEvent.click(screen.getByRole('link', { name: 'Request a new link' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Reset your password' })).toBeTruthy();
    expect(router.state.location.pathname).toBe('/forgot-password');
  });

  it('a link without a token: says so, and sends nothing', async () => {
    const { sent } = renderApp('/reset-password', sessionHandlers(null));
    expect((await screen.findByRole('alert')).textContent).toMatch(/This link is incomplete/);
    expect(screen.getByRole('link', { name: 'Request a new link' })).toBeTruthy();
    expect(sent('POST /api/auth/password/reset/confirm/')).toHaveLength(0);
  });
});

describe('request a reset (/forgot-password)', () => {
  it('posts the address and shows the server’s answer, the same for any address', async () => {
    const detail = 'If an account uses this address, a link to reset its password is on its way.';
    const { sent } = renderApp('/forgot-password', {
      ...sessionHandlers(null),
      'POST /api/auth/password/reset/': () => json(202, { detail }),
    });
    fireEvent.change(await screen.findByLabelText('Email'), { target: { value: ' ada@example.com ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send me a link' }));
    expect((await screen.findByRole('status')).textContent).toContain(detail);
    expect(sent('POST /api/auth/password/reset/').map((call) => call.body)).toEqual([
      { email: 'ada@example.com' },
    ]);
  });

  it('a malformed address: the field error under the input', async () => {
    renderApp('/forgot-password', {
      ...sessionHandlers(null),
      'POST /api/auth/password/reset/': () => json(400, { email: [Messages.invalidEmail] }),
    });
    fireEvent.change(await screen.findByLabelText('Email'), { target: { value: 'ada@example' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send me a link' }));
    expect((await screen.findByRole('alert')).textContent).toBe(Messages.invalidEmail);
    expect(screen.getByLabelText('Email').getAttribute('aria-invalid')).toBe('true');
  });
});

describe('the pages of the other links', () => {
  it('/verify-email: nothing is sent until "Verify my address"; then the address shows as verified', async () => {
    const { sent } = renderApp(
      '/verify-email',
      {
        ...sessionHandlers(null),
        'POST /api/auth/email/verify/': () =>
          json(200, { detail: 'Your email address is verified.', email: 'ada@example.com' }),
      },
      TOKEN,
    );
    const button = await screen.findByRole('button', { name: 'Verify my address' });
    await settle();
    expect(sent('POST /api/auth/email/verify/')).toHaveLength(0);
    fireEvent.click(button);
    const status = await screen.findByRole('status');
    expect(status.textContent).toBe('Your email address is verified.ada@example.com');
    expect(sent('POST /api/auth/email/verify/').map((call) => call.body)).toEqual([{ token: TOKEN }]);
    expect(screen.queryByRole('button', { name: 'Verify my address' })).toBeNull();
  });

  it('/verify-email with a stale link, signed out: a new link to the address typed', async () => {
    const { sent } = renderApp(
      '/verify-email',
      {
        ...sessionHandlers(null),
        'POST /api/auth/email/verify/': () => json(400, INVALID),
        'POST /api/auth/email/verify/resend/': () =>
          json(202, { detail: 'If the address needs verifying, a new link is on its way.' }),
      },
      TOKEN,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Verify my address' }));
    expect((await screen.findByRole('alert')).textContent).toBe(INVALID.detail);
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'ada@example.com' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send a new link' }));
    expect((await screen.findByRole('status')).textContent).toBe(
      'If the address needs verifying, a new link is on its way.',
    );
    expect(sent('POST /api/auth/email/verify/resend/').map((call) => call.body)).toEqual([
      { email: 'ada@example.com' },
    ]);
  });

  it('/confirm-email, signed in: confirms, and the account shows the new address', async () => {
    let email = 'ada@example.com';
    const { client } = renderApp(
      '/confirm-email',
      {
        ...sessionHandlers(null),
        'POST /api/auth/refresh/': () => json(200, { access: 'access-1' }),
        'GET /api/users/me/': () => json(200, account({ email })),
        'POST /api/auth/email/change/confirm/': () => {
          email = 'ada@new.example';
          return json(200, { detail: 'Your email address is changed.', email });
        },
      },
      TOKEN,
    );
    await screen.findByText('Hello ada!');
    fireEvent.click(await screen.findByRole('button', { name: 'Confirm the new address' }));
    expect((await screen.findByRole('status')).textContent).toBe(
      'Your email address is changed.Your account now uses ada@new.example.',
    );
    expect(client.getState()).toMatchObject({ user: { email: 'ada@new.example' } });
  });

  it('/revert-email: a danger action that names what it does; the outcome points to a password reset', async () => {
    renderApp(
      '/revert-email',
      {
        ...sessionHandlers(null),
        'POST /api/auth/email/change/revert/': () =>
          json(200, {
            detail: 'Your email address is restored and every session has ended.',
            email: 'ada@example.com',
          }),
      },
      TOKEN,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Restore my old address' }));
    expect((await screen.findByRole('status')).textContent).toContain(
      'Your account uses ada@example.com again.',
    );
    expect(screen.getByRole('link', { name: 'Reset my password' }).getAttribute('href')).toBe(
      '/forgot-password',
    );
  });

  it('/end-sessions: says how many sessions ended', async () => {
    const { sent } = renderApp(
      '/end-sessions',
      {
        ...sessionHandlers(null),
        'POST /api/auth/sessions/end-all/': () =>
          json(200, { detail: 'Every session has ended.', sessions_ended: 3 }),
      },
      TOKEN,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'End every session' }));
    expect((await screen.findByRole('status')).textContent).toMatch(
      /^Every session has ended\.3 sessions were/,
    );
    expect(sent('POST /api/auth/sessions/end-all/').map((call) => call.body)).toEqual([{ token: TOKEN }]);
  });

  it('a token is for the page its link opened, not for the next page', async () => {
    const { router } = renderApp('/end-sessions', sessionHandlers(null), TOKEN);
    await screen.findByRole('button', { name: 'End every session' });
    await router.navigate('/verify-email');
    expect((await screen.findByRole('alert')).textContent).toMatch(/This link is incomplete/);
  });
});
