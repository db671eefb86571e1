// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { renderApp } from '../test-app';
import { json, sessionHandlers } from '../../testing/fake-api';

afterEach(cleanup);

const NOT_VERIFIED = {
  detail: 'Verify your email address before signing in.',
  code: 'email_not_verified',
} as const;
const RESENT = 'If the address needs verifying, a new link is on its way.';

async function logIn(identifier: string) {
  fireEvent.change(await screen.findByLabelText('Username or email'), { target: { value: identifier } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'password1' } });
  fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
}

describe('the login page', () => {
  it('links to the password reset', async () => {
    const { router } = renderApp('/login', sessionHandlers(null));
    fireEvent.click(await screen.findByRole('link', { name: 'Forgot password?' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/forgot-password'));
  });

  it('an unverified address: the server’s words, and a new link to the address the user typed', async () => {
    const { sent } = renderApp('/login', {
      ...sessionHandlers(null),
      'POST /api/auth/login/': () => json(401, NOT_VERIFIED),
      'POST /api/auth/email/verify/resend/': () => json(202, { detail: RESENT }),
    });
    await logIn('ada@example.com');
    expect((await screen.findByRole('alert')).textContent).toBe(NOT_VERIFIED.detail);
    expect(((await screen.findByLabelText('Email')) as HTMLInputElement).value).toBe('ada@example.com');
    fireEvent.click(screen.getByRole('button', { name: 'Send a new link' }));
    expect((await screen.findByRole('status')).textContent).toBe(RESENT);
    const [call] = sent('POST /api/auth/email/verify/resend/');
    expect(call?.body).toEqual({ email: 'ada@example.com' });
    expect(call?.headers.has('authorization')).toBe(false);
  });

  it('an unverified account logged into by username: asks for the address', async () => {
    renderApp('/login', { ...sessionHandlers(null), 'POST /api/auth/login/': () => json(401, NOT_VERIFIED) });
    await logIn('ada');
    await screen.findByRole('alert');
    expect(((await screen.findByLabelText('Email')) as HTMLInputElement).value).toBe('');
  });
});
