import { describe, expect, test } from 'vitest';
import { GatehouseError, SecondFactorRequired } from './errors.js';
import type { WebAuthn } from './passkeys.js';
import type { FakeServer } from './testing/fake-server.js';
import { credentials, setup } from './testing/setup.js';

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('resolved'),
    (error: unknown) => {
      expect(error).toBeInstanceOf(GatehouseError);
      return error as GatehouseError;
    },
  );

const json = (status: number, body: unknown) =>
  new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

const lastCall = (server: FakeServer, path: string) => server.calls.findLast((call) => call.path === path);

const PASSKEY = {
  id: 'pk1',
  name: 'Laptop',
  created_at: '2026-01-01T00:00:00.000Z',
  last_used_at: null,
  device_type: 'singleDevice',
  backed_up: false,
};

/** A browser whose authenticator answers every ceremony, or refuses as Chromium does (NotAllowedError). */
function fakeWebAuthn(refuse = false) {
  const seen: unknown[] = [];
  const refusal = () =>
    Object.assign(new Error('The operation either timed out or was not allowed.'), {
      name: 'NotAllowedError',
    });
  const webAuthn: WebAuthn = {
    startAuthentication: async ({ optionsJSON }) => {
      seen.push(optionsJSON);
      if (refuse) throw refusal();
      return {
        id: 'cred',
        rawId: 'cred',
        type: 'public-key',
        response: { clientDataJSON: 'c', authenticatorData: 'a', signature: 's' },
        clientExtensionResults: {},
      };
    },
    startRegistration: async ({ optionsJSON }) => {
      seen.push(optionsJSON);
      if (refuse) throw refusal();
      return {
        id: 'cred',
        rawId: 'cred',
        type: 'public-key',
        response: { clientDataJSON: 'c', attestationObject: 'o' },
        clientExtensionResults: {},
      };
    },
  };
  return { webAuthn, seen };
}

describe('login with a second factor', () => {
  test('login throws a SecondFactorRequired; the code completes it and signs in', async () => {
    const { client, server, user } = setup();
    server.requireSecondFactor(user, '123456');
    const auth = client();
    const challenge = await failure(auth.login(credentials));
    expect(challenge).toBeInstanceOf(SecondFactorRequired);
    // Still the error the tutorials' clients know: a 401 with code mfa_required.
    expect(challenge).toMatchObject({
      status: 401,
      code: 'mfa_required',
      methods: ['otp'],
      enrollment: false,
    });
    expect(auth.getState()).toEqual({ status: 'loading' });
    const { mfaToken } = challenge as SecondFactorRequired;

    const wrong = await failure(auth.completeSecondFactor({ mfaToken, code: '000000' }));
    expect(wrong).toMatchObject({ status: 401, code: 'invalid_mfa_code' });
    expect(wrong).not.toBeInstanceOf(SecondFactorRequired);

    const signedIn = await auth.completeSecondFactor({ mfaToken, code: '123456' });
    expect(signedIn.username).toBe('ada');
    expect(lastCall(server, '/api/auth/mfa/')?.body).toEqual({ mfa_token: mfaToken, code: '123456' });
    expect(auth.getState()).toMatchObject({ status: 'signed-in', user: { username: 'ada' } });
    // Browser mode, as after a login: the refresh token went to the cookie, and it works.
    expect(server.cookie).not.toBeNull();
    await expect(auth.refresh()).resolves.toMatch(/^ey/);
  });

  test('a recovery code works once', async () => {
    const { client, server, user } = setup();
    server.requireSecondFactor(user, '123456', ['aaaa-bbbb']);
    const auth = client();
    const first = (await failure(auth.login(credentials))) as SecondFactorRequired;
    await auth.completeSecondFactor({ mfaToken: first.mfaToken, recoveryCode: 'aaaa-bbbb' });
    expect(lastCall(server, '/api/auth/mfa/')?.body).toEqual({
      mfa_token: first.mfaToken,
      recovery_code: 'aaaa-bbbb',
    });
    await auth.logout();
    const second = (await failure(auth.login(credentials))) as SecondFactorRequired;
    const spent = await failure(
      auth.completeSecondFactor({ mfaToken: second.mfaToken, recoveryCode: 'aaaa-bbbb' }),
    );
    expect(spent.code).toBe('invalid_mfa_code');
  });

  test('token mode keeps the refresh token of the second step', async () => {
    const { client, server, user } = setup();
    server.requireSecondFactor(user, '123456');
    const auth = client({ mode: 'token' });
    const { mfaToken } = (await failure(auth.login(credentials))) as SecondFactorRequired;
    await auth.completeSecondFactor({ mfaToken, code: '123456' });
    await expect(auth.refresh()).resolves.toMatch(/^ey/);
    expect(server.cookie).toBeNull();
  });

  test('enrolment under policy: a key, then the code signs in and hands over the recovery codes', async () => {
    const { client, server } = setup();
    const auth = client();
    server.respondOnce(
      '/api/auth/login/',
      json(401, {
        detail: 'Set up a second factor to continue.',
        code: 'mfa_enrollment_required',
        mfa_token: 'm1',
      }),
    );
    const challenge = await failure(auth.login(credentials));
    expect(challenge).toMatchObject({
      code: 'mfa_enrollment_required',
      enrollment: true,
      methods: [],
      mfaToken: 'm1',
    });

    const setupKey = {
      secret: 'JBSWY3DPEHPK3PXP',
      otpauth_uri: 'otpauth://totp/Gatehouse:ada?secret=JBSWY3DPEHPK3PXP',
    };
    server.respondOnce('/api/auth/mfa/enroll/totp/', json(200, setupKey));
    expect(await auth.startTotpEnrollment('m1')).toEqual(setupKey);
    expect(lastCall(server, '/api/auth/mfa/enroll/totp/')?.body).toEqual({ mfa_token: 'm1' });

    // The server's login answer (as a real login would give), plus the codes.
    const login = await client().login(credentials);
    server.respondOnce(
      '/api/auth/mfa/enroll/totp/confirm/',
      json(200, { access: 'ey.a.b', user: login, recovery_codes: ['r1', 'r2'] }),
    );
    const enrolled = await auth.confirmTotpEnrollment('m1', '123456');
    expect(enrolled).toEqual({ user: login, recoveryCodes: ['r1', 'r2'] });
    expect(lastCall(server, '/api/auth/mfa/enroll/totp/confirm/')?.body).toEqual({
      mfa_token: 'm1',
      code: '123456',
    });
    expect(auth.getState()).toMatchObject({ status: 'signed-in' });
  });
});

describe('passkeys', () => {
  test('passwordless: the server’s options go to the browser, its credential back', async () => {
    const { client, server } = setup();
    const { webAuthn, seen } = fakeWebAuthn();
    const auth = client({ webAuthn });
    const user = await client().login(credentials);
    const options = { challenge: 'xyz', rpId: 'gatehouse.test', userVerification: 'required' };
    server.respondOnce('/api/auth/passkey/options/', json(200, options));
    server.respondOnce('/api/auth/passkey/', json(200, { access: 'ey.a.b', user }));
    expect(await auth.signInWithPasskey()).toEqual(user);
    expect(seen).toEqual([options]);
    expect(lastCall(server, '/api/auth/passkey/')?.body).toMatchObject({ credential: { id: 'cred' } });
    expect(auth.getState()).toMatchObject({ status: 'signed-in' });
  });

  test('a refused ceremony is passkey_failed, and nothing is posted', async () => {
    const { client, server } = setup();
    const auth = client({ webAuthn: fakeWebAuthn(true).webAuthn });
    server.respondOnce('/api/auth/passkey/options/', json(200, { challenge: 'xyz' }));
    const error = await failure(auth.signInWithPasskey());
    expect(error).toMatchObject({ status: 0, code: 'passkey_failed' });
    expect(error.detail).toMatch(/could not verify you/);
    expect(server.count('/api/auth/passkey/')).toBe(0);
  });

  test('the second step with a passkey', async () => {
    const { client, server } = setup();
    const auth = client({ webAuthn: fakeWebAuthn().webAuthn });
    const user = await client().login(credentials);
    server.respondOnce('/api/auth/mfa/passkey/options/', json(200, { publicKey: { challenge: 'xyz' } }));
    server.respondOnce('/api/auth/mfa/passkey/', json(200, { access: 'ey.a.b', user }));
    await auth.passkeySecondStep('m1');
    expect(lastCall(server, '/api/auth/mfa/passkey/options/')?.body).toEqual({ mfa_token: 'm1' });
    expect(lastCall(server, '/api/auth/mfa/passkey/')?.body).toMatchObject({
      mfa_token: 'm1',
      credential: { id: 'cred' },
    });
  });
});

describe('managing the factors (signed in)', () => {
  test('each call carries the access token, its body, and reads the answer', async () => {
    const { client, server } = setup();
    const auth = client({ webAuthn: fakeWebAuthn().webAuthn });
    await auth.login(credentials);

    server.respondOnce('/api/users/me/mfa/', json(200, { totp: false, passkeys: 0, recovery_codes_left: 0 }));
    expect(await auth.getSecondFactors()).toEqual({ totp: false, passkeys: 0, recovery_codes_left: 0 });
    expect(lastCall(server, '/api/users/me/mfa/')?.headers.get('authorization')).toMatch(/^Bearer ey/);

    server.respondOnce('/api/users/me/mfa/totp/', json(200, { secret: 'S', otpauth_uri: 'otpauth://x' }));
    expect(await auth.startTotp()).toEqual({ secret: 'S', otpauth_uri: 'otpauth://x' });
    server.respondOnce('/api/users/me/mfa/totp/confirm/', json(200, { recovery_codes: ['a', 'b'] }));
    expect(await auth.confirmTotp('123456')).toEqual(['a', 'b']);
    expect(lastCall(server, '/api/users/me/mfa/totp/confirm/')?.body).toEqual({ code: '123456' });
    server.respondOnce('/api/users/me/mfa/recovery-codes/', json(200, { recovery_codes: ['c'] }));
    expect(await auth.regenerateRecoveryCodes()).toEqual(['c']);
    server.respondOnce('/api/users/me/mfa/totp/', json(204, null));
    await auth.disableTotp('654321');
    expect(lastCall(server, '/api/users/me/mfa/totp/')).toMatchObject({
      method: 'DELETE',
      body: { code: '654321' },
    });

    server.respondOnce('/api/users/me/passkeys/options/', json(200, { challenge: 'c', user: { id: 'u' } }));
    server.respondOnce('/api/users/me/passkeys/', json(201, PASSKEY));
    expect(await auth.addPasskey('Laptop')).toEqual(PASSKEY);
    expect(lastCall(server, '/api/users/me/passkeys/')?.body).toMatchObject({
      name: 'Laptop',
      credential: { id: 'cred' },
    });
    server.respondOnce('/api/users/me/passkeys/', json(200, [PASSKEY]));
    expect(await auth.listPasskeys()).toEqual([PASSKEY]);
    server.respondOnce('/api/users/me/passkeys/pk1/', json(200, { ...PASSKEY, name: 'Work' }));
    expect((await auth.renamePasskey('pk1', 'Work')).name).toBe('Work');
    expect(lastCall(server, '/api/users/me/passkeys/pk1/')).toMatchObject({
      method: 'PATCH',
      body: { name: 'Work' },
    });
    server.respondOnce('/api/users/me/passkeys/pk1/', json(204, null));
    await auth.removePasskey('pk1');
    expect(lastCall(server, '/api/users/me/passkeys/pk1/')?.method).toBe('DELETE');
  });

  test('an old sign-in: reauthentication_required', async () => {
    const { client, server } = setup();
    const auth = client();
    await auth.login(credentials);
    server.respondOnce(
      '/api/users/me/mfa/totp/',
      json(403, { detail: 'Please sign in again to continue.', code: 'reauthentication_required' }),
    );
    expect(await failure(auth.startTotp())).toMatchObject({ status: 403, code: 'reauthentication_required' });
  });
});
