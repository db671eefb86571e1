// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderApp } from '../test-app';
import type { SignedInResponse } from '@gatehouse/contract';
import {
  account,
  fakeWebAuthn,
  json,
  sessionHandlers,
  type Handlers,
  type SecondFactorRefusal,
} from '../../testing/fake-api';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const CHALLENGE = {
  detail: 'Second factor required.',
  code: 'mfa_required',
  mfa_token: 'mfa-secret-token',
  methods: ['otp', 'hwk'],
} satisfies SecondFactorRefusal;

const home: Handlers = {
  'GET /api/profile/': () =>
    json(200, { user: { ...account(), id: 1 }, first_name: 'Ada', last_name: '', email: 'ada@example.com' }),
};

async function logIn() {
  fireEvent.change(await screen.findByLabelText('Username or email'), { target: { value: 'ada' } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'password1' } });
  fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
}

const signedIn = () => json<SignedInResponse>(200, { access: 'access-2', user: account() });

describe('the login’s second step', () => {
  it('a code from the app: the challenge stays out of the URL, and the code signs in', async () => {
    const { router, sent } = renderApp('/login', {
      ...sessionHandlers(null),
      ...home,
      'POST /api/auth/login/': () => json(401, CHALLENGE),
      'POST /api/auth/mfa/': ({ body }) =>
        body?.code === '123456'
          ? signedIn()
          : json(401, { detail: 'The code is wrong. 4 attempts left.', code: 'invalid_mfa_code' }),
    });
    await logIn();
    const input = (await screen.findByLabelText('Authentication code')) as HTMLInputElement;
    expect(router.state.location.pathname).toBe('/login/verify');
    expect(router.state.location.search + router.state.location.hash).not.toContain('mfa');
    expect(input.getAttribute('autocomplete')).toBe('one-time-code');
    expect(input.getAttribute('inputmode')).toBe('numeric');
    expect(screen.getByRole('button', { name: 'Use a passkey' })).toBeTruthy();

    fireEvent.change(input, { target: { value: '000000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Verify' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The code is wrong. 4 attempts left.');

    fireEvent.change(input, { target: { value: '123 456' } });
    fireEvent.click(screen.getByRole('button', { name: 'Verify' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/'));
    expect(sent('POST /api/auth/mfa/').map((call) => call.body)).toEqual([
      { mfa_token: CHALLENGE.mfa_token, code: '000000' },
      { mfa_token: CHALLENGE.mfa_token, code: '123456' },
    ]);
  });

  it('a recovery code instead', async () => {
    const { router, sent } = renderApp('/login', {
      ...sessionHandlers(null),
      ...home,
      'POST /api/auth/login/': () => json(401, { ...CHALLENGE, methods: ['otp'] }),
      'POST /api/auth/mfa/': signedIn,
    });
    await logIn();
    await screen.findByLabelText('Authentication code');
    expect(screen.queryByRole('button', { name: 'Use a passkey' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Use a recovery code' }));
    fireEvent.change(screen.getByLabelText('Recovery code'), { target: { value: ' abcd-efgh ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Verify' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/'));
    expect(sent('POST /api/auth/mfa/')[0]?.body).toEqual({
      mfa_token: CHALLENGE.mfa_token,
      recovery_code: 'abcd-efgh',
    });
  });

  it('a dead challenge: start the login again', async () => {
    renderApp('/login', {
      ...sessionHandlers(null),
      'POST /api/auth/login/': () => json(401, CHALLENGE),
      'POST /api/auth/mfa/': () => json(401, { detail: 'Log in again.', code: 'invalid_mfa_token' }),
    });
    await logIn();
    fireEvent.change(await screen.findByLabelText('Authentication code'), { target: { value: '123456' } });
    fireEvent.click(screen.getByRole('button', { name: 'Verify' }));
    expect((await screen.findByRole('alert')).textContent).toContain('This sign-in has expired.');
    expect(screen.getByRole('link', { name: 'Log in again' }).getAttribute('href')).toBe('/login');
  });

  it('opened without a challenge: back to the login page', async () => {
    const { router } = renderApp('/login/verify', sessionHandlers(null));
    await screen.findByLabelText('Username or email');
    expect(router.state.location.pathname).toBe('/login');
  });

  it('a passkey as the second step', async () => {
    const { router, sent } = renderApp(
      '/login',
      {
        ...sessionHandlers(null),
        ...home,
        'POST /api/auth/login/': () => json(401, { ...CHALLENGE, methods: ['hwk'] }),
        'POST /api/auth/mfa/passkey/options/': () => json(200, { challenge: 'c' }),
        'POST /api/auth/mfa/passkey/': signedIn,
      },
      undefined,
      { webAuthn: fakeWebAuthn() },
    );
    await logIn();
    fireEvent.click(await screen.findByRole('button', { name: 'Use a passkey' }));
    expect(screen.queryByLabelText('Authentication code')).toBeNull();
    await waitFor(() => expect(router.state.location.pathname).toBe('/'));
    expect(sent('POST /api/auth/mfa/passkey/')[0]?.body).toMatchObject({ mfa_token: CHALLENGE.mfa_token });
  });
});

describe('enrolment required by the server', () => {
  it('the key as a QR code and as text, a code, then the recovery codes once before going on', async () => {
    const { router, sent } = renderApp('/login', {
      ...sessionHandlers(null),
      ...home,
      'POST /api/auth/login/': () =>
        json(401, {
          detail: 'Set up a second factor to continue.',
          code: 'mfa_enrollment_required',
          mfa_token: 'enrol-token',
        }),
      'POST /api/auth/mfa/enroll/totp/': () =>
        json(200, {
          secret: 'JBSWY3DPEHPK3PXP',
          otpauth_uri: 'otpauth://totp/Gatehouse:ada?secret=JBSWY3DPEHPK3PXP&issuer=Gatehouse',
        }),
      'POST /api/auth/mfa/enroll/totp/confirm/': () =>
        json(200, { access: 'access-2', user: account(), recovery_codes: ['aaaa-1111', 'bbbb-2222'] }),
    });
    await logIn();
    const qr = await screen.findByRole('img', { name: 'QR code for your authenticator app' });
    expect(qr.querySelector('svg')).not.toBeNull();
    expect(router.state.location.pathname).toBe('/login/setup');
    expect(screen.getByLabelText('Setup key').textContent).toBe('JBSW Y3DP EHPK 3PXP');
    expect(sent('POST /api/auth/mfa/enroll/totp/')[0]?.body).toEqual({ mfa_token: 'enrol-token' });

    fireEvent.change(screen.getByLabelText('Authentication code'), { target: { value: '123456' } });
    fireEvent.click(screen.getByRole('button', { name: 'Turn on and continue' }));
    const codes = await screen.findByRole('region', { name: 'Recovery codes' });
    expect(codes.textContent).toContain('aaaa-1111');
    expect(router.state.location.pathname).toBe('/login/setup');
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/'));
  });
});

describe('registration under the server’s policy', () => {
  it('the new account sets up the app before it signs in', async () => {
    const { router } = renderApp('/register', {
      ...sessionHandlers(null),
      'POST /api/users/': () =>
        json(401, {
          detail: 'Set up a second factor to continue.',
          code: 'mfa_enrollment_required',
          mfa_token: 'enrol-token',
        }),
      'POST /api/auth/mfa/enroll/totp/': () =>
        json(200, { secret: 'JBSWY3DPEHPK3PXP', otpauth_uri: 'otpauth://x' }),
    });
    fireEvent.change(await screen.findByLabelText('Username'), { target: { value: 'newbie' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'a-long-password-1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
    await screen.findByLabelText('Setup key');
    expect(router.state.location.pathname).toBe('/login/setup');
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe('passkey sign-in on the login page', () => {
  it('absent where the browser has no WebAuthn', async () => {
    renderApp('/login', sessionHandlers(null));
    await screen.findByLabelText('Username or email');
    expect(screen.queryByRole('button', { name: 'Sign in with a passkey' })).toBeNull();
  });

  it('signs in; a refused ceremony says why', async () => {
    vi.stubGlobal('PublicKeyCredential', function PublicKeyCredential() {});
    const { router, sent } = renderApp(
      '/login',
      {
        ...sessionHandlers(null),
        ...home,
        'POST /api/auth/passkey/options/': () => json(200, { challenge: 'c' }),
        'POST /api/auth/passkey/': signedIn,
      },
      undefined,
      { webAuthn: fakeWebAuthn() },
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Sign in with a passkey' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/'));
    expect(sent('POST /api/auth/passkey/')[0]?.body).toMatchObject({ credential: { id: 'cred' } });
  });

  it('a passkey the device could not verify: a clear message, still on the login page', async () => {
    vi.stubGlobal('PublicKeyCredential', function PublicKeyCredential() {});
    const { router, sent } = renderApp(
      '/login',
      { ...sessionHandlers(null), 'POST /api/auth/passkey/options/': () => json(200, { challenge: 'c' }) },
      undefined,
      { webAuthn: fakeWebAuthn(true) },
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Sign in with a passkey' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/could not verify you/);
    expect(sent('POST /api/auth/passkey/')).toHaveLength(0);
    expect(router.state.location.pathname).toBe('/login');
  });
});
