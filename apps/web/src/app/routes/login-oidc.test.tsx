// @vitest-environment happy-dom
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { SignedInResponse } from '@gatehouse/contract';
import { renderApp, renderRoutes } from '../test-app';
import {
  account,
  fakeFetch,
  json,
  sessionHandlers,
  testClient,
  type Handlers,
  type SecondFactorRefusal,
} from '../../testing/fake-api';

afterEach(cleanup);

const PROVIDERS: Handlers = {
  'GET /api/auth/oidc/providers/': () =>
    json(200, [
      { name: 'corp', display_name: 'Corp SSO' },
      { name: 'google', display_name: 'Google' },
    ]),
};
const home: Handlers = {
  'GET /api/profile/': () =>
    json(200, { user: { ...account(), id: 1 }, first_name: 'Ada', last_name: '', email: 'ada@example.com' }),
  'GET /api/users/me/sessions/': () => json(200, []),
  'GET /api/users/me/events/': () => json(200, { count: 0, next: null, previous: null, results: [] }),
};

describe('the login page’s providers', () => {
  it('a link per provider, to its sign-in, which comes back to the page the user wanted', async () => {
    const { router } = renderApp('/account', { ...sessionHandlers(null), ...PROVIDERS });
    const corp = await screen.findByRole('link', { name: 'Continue with Corp SSO' });
    expect(router.state.location.pathname).toBe('/login');
    expect(corp.getAttribute('href')).toBe('http://gatehouse.test/api/auth/oidc/corp/start?next=%2Faccount');
    expect(screen.getByRole('link', { name: 'Continue with Google' }).getAttribute('href')).toBe(
      'http://gatehouse.test/api/auth/oidc/google/start?next=%2Faccount',
    );
  });

  it('opened directly: the sign-in comes back to the home page', async () => {
    renderApp('/login', { ...sessionHandlers(null), ...PROVIDERS });
    const google = await screen.findByRole('link', { name: 'Continue with Google' });
    expect(google.getAttribute('href')).toBe('http://gatehouse.test/api/auth/oidc/google/start?next=%2F');
  });

  it('no provider configured: no links, and the page is as before', async () => {
    renderApp('/login', {
      ...sessionHandlers(null),
      'GET /api/auth/oidc/providers/': () => json(200, []),
    });
    await screen.findByRole('button', { name: 'Log in' });
    await waitFor(() => expect(screen.queryByRole('link', { name: /^Continue with/ })).toBeNull());
  });

  it('a refusal in the fragment: explained in plain words, and the fragment leaves the address', async () => {
    const { router } = renderApp('/login#oidc_error=oidc_account_exists', {
      ...sessionHandlers(null),
      ...PROVIDERS,
    });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain(
      'An account with this email address already exists. Log in to it first',
    );
    expect(alert.textContent).toContain('then link the provider from Account → Security');
    await waitFor(() => expect(router.state.location.hash).toBe(''));
    expect(router.state.location.pathname).toBe('/login');
    // Still shown once the address is clean, and the links are there to try again.
    expect(screen.getByRole('alert')).toBe(alert);
    await screen.findByRole('link', { name: 'Continue with Google' });
  });

  it('a refusal of linking comes back to the Security page, where it started: shown there', async () => {
    const { router } = renderApp('/account/security#oidc_error=oidc_identity_in_use', {
      ...sessionHandlers(account()),
      ...PROVIDERS,
      'GET /api/users/me/mfa/': () => json(200, { totp: false, passkeys: 0, recovery_codes_left: 0 }),
      'GET /api/users/me/passkeys/': () => json(200, []),
      'GET /api/users/me/identities/': () => json(200, []),
    });
    const card = await screen.findByRole('region', { name: 'Linked accounts' });
    expect((await within(card).findByRole('alert')).textContent).toContain(
      'already linked to another account here',
    );
    await waitFor(() => expect(router.state.location.hash).toBe(''));
    expect(router.state.location.pathname).toBe('/account/security');
  });

  it('a code this app does not know: a general message, never the raw code', async () => {
    renderApp('/login#oidc_error=something_new', { ...sessionHandlers(null), ...PROVIDERS });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('Signing in with the provider did not work. Please try again.');
  });
});

const CHALLENGE = {
  detail: 'Second factor required.',
  code: 'mfa_required',
  mfa_token: 'mfa-secret-token',
  methods: ['otp'],
} satisfies SecondFactorRefusal;

/** /login/oidc opened by a provider's sign-in, its code already taken out of the address (main.tsx). */
function land(path: string, code: string | null, handlers: Handlers) {
  const { fetch, calls } = fakeFetch(handlers);
  const pathname = path.split('?')[0] ?? path;
  const router = renderRoutes(testClient(fetch), path, code === null ? null : { pathname, token: code });
  const sent = (route: string) => calls.filter((call) => `${call.method} ${call.path}` === route);
  return { router, sent };
}

describe('/login/oidc, where a provider’s sign-in hands over its code', () => {
  it('exchanges the code at once, which signs in, then goes on to the page wanted', async () => {
    const { router, sent } = land('/login/oidc?next=/account', 'c0de', {
      ...sessionHandlers(null),
      ...home,
      'POST /api/auth/oidc/exchange/': () => json<SignedInResponse>(200, { access: 'a2', user: account() }),
    });
    await waitFor(() => expect(router.state.location.pathname).toBe('/account'));
    expect(sent('POST /api/auth/oidc/exchange/').map((call) => call.body)).toEqual([{ code: 'c0de' }]);
  });

  it('a second factor is due: on to the second step, the challenge in memory, then the page wanted', async () => {
    const { router } = land('/login/oidc?next=/account', 'c0de', {
      ...sessionHandlers(null),
      'POST /api/auth/oidc/exchange/': () => json(401, CHALLENGE),
    });
    await screen.findByLabelText('Authentication code');
    expect(router.state.location.pathname).toBe('/login/verify');
    expect(router.state.location.state).toMatchObject({
      challenge: { mfaToken: 'mfa-secret-token', methods: ['otp'] },
      from: { pathname: '/account' },
    });
  });

  it('a used or expired code: says so, and leads back to the login page', async () => {
    land('/login/oidc', 'spent', {
      ...sessionHandlers(null),
      'POST /api/auth/oidc/exchange/': () =>
        json(400, { detail: 'The code is invalid or has expired.', code: 'oidc_code_invalid' }),
    });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe(
      'This sign-in has expired or was already used. Start again from the login page.',
    );
    expect(screen.getByRole('link', { name: 'Back to login' }).getAttribute('href')).toBe('/login');
  });

  it('opened without a code: nothing is sent', async () => {
    const { sent } = land('/login/oidc', null, sessionHandlers(null));
    expect((await screen.findByRole('alert')).textContent).toContain('This sign-in is incomplete.');
    expect(sent('POST /api/auth/oidc/exchange/')).toEqual([]);
  });

  it('a `next` of another site is not followed', async () => {
    const { router } = land('/login/oidc?next=//evil.example/x', 'c0de', {
      ...sessionHandlers(null),
      ...home,
      'POST /api/auth/oidc/exchange/': () => json<SignedInResponse>(200, { access: 'a2', user: account() }),
    });
    await waitFor(() => expect(router.state.location.pathname).toBe('/'));
    expect(within(document.body).queryByRole('alert')).toBeNull();
  });
});
