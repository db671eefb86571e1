// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { account, json, sessionHandlers, user, type Handlers } from '../testing/fake-api';
import { renderApp } from './test-app';

afterEach(cleanup);

const accountPage: Handlers = {
  'GET /api/profile/': () =>
    json(200, { user: user(), first_name: 'Ada', last_name: 'Lovelace', email: 'ada@l.com' }),
  'GET /api/users/me/sessions/': () => json(200, []),
  'GET /api/users/me/events/': () => json(200, { count: 0, next: null, previous: null, results: [] }),
};

describe('protected routes', () => {
  it('shows a neutral loading state, never the login page, while the session is restored', async () => {
    const pending = new Promise<Response>(() => undefined);
    renderApp('/account', { 'POST /api/auth/refresh/': () => pending });
    expect(await screen.findByText('Restoring your session…')).toBeTruthy();
    expect(screen.queryByLabelText('Username or email')).toBeNull();
  });

  it('sends a signed-out visitor to /login, then back where they were going', async () => {
    const ada = account();
    const { router } = renderApp('/account?tab=sessions', {
      ...sessionHandlers(null),
      ...accountPage,
      'POST /api/auth/login/': ({ body }) =>
        (body as { password: string }).password === 'right'
          ? json(200, { access: 'access-2', user: ada })
          : json(401, { detail: 'No active account found with the given credentials' }),
    });

    fireEvent.change(await screen.findByLabelText('Username or email'), { target: { value: 'ada' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'wrong' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'No active account found with the given credentials',
    );
    expect(router.state.location.pathname).toBe('/login');

    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'right' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Account' })).toBeTruthy();
    expect(router.state.location.pathname + router.state.location.search).toBe('/account?tab=sessions');
    expect(screen.getByText('Hello ada!')).toBeTruthy();
  });

  it('tells a signed-in user who is not a superuser that /admin is not for them', async () => {
    renderApp('/admin', sessionHandlers(account()));
    expect(await screen.findByRole('heading', { name: 'You do not have access to this page.' })).toBeTruthy();
    expect(screen.queryByLabelText('Search users')).toBeNull();
    expect(screen.queryByRole('link', { name: 'Admin' })).toBeNull();
  });

  it('sends a signed-in user away from /login', async () => {
    const { router } = renderApp('/login', {
      ...sessionHandlers(account()),
      'GET /api/profile/': () =>
        json(200, { user: user(), first_name: 'Ada', last_name: 'Lovelace', email: 'ada@l.com' }),
    });
    expect(await screen.findByText('Hello ada!')).toBeTruthy();
    await waitFor(() => expect(router.state.location.pathname).toBe('/'));
    expect(await screen.findByText('Ada Lovelace')).toBeTruthy();
  });
});
