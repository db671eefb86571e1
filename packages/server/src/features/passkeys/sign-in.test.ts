import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { SoftAuthenticator } from '../../testing/soft-authenticator.js';
import { decodePayload } from '../../testing/test-app.js';
import type { User } from '../../store/users/store.js';
import { openPasskeys, type PasskeyHarness } from '../../testing/passkeys.js';

let h: PasskeyHarness;
let alice: User;
let laptop: SoftAuthenticator;
beforeEach(async () => {
  h = await openPasskeys();
  alice = await h.ctx.createUser({ username: 'alice', email: 'alice@example.com' });
  laptop = h.authenticator({ counter: 10 });
  const { access } = await h.ctx.login('alice');
  expect((await h.register(access, laptop, 'Laptop')).statusCode).toBe(201);
});
afterEach(() => h.ctx.close());

const NOT_VERIFIED = { detail: 'The passkey could not be verified.', code: 'passkey_not_verified' };
const CHALLENGE_INVALID = {
  detail: 'This passkey request is invalid or has expired. Try again.',
  code: 'passkey_challenge_invalid',
};
const UNKNOWN = { detail: 'This passkey is not registered to an active account.', code: 'passkey_unknown' };

describe('signing in with a passkey and no username', () => {
  test('options: any discoverable credential, user verification required', async () => {
    const options = await h.signInOptions();
    expect(options).toMatchObject({
      rpId: 'example.com',
      allowCredentials: [],
      userVerification: 'required',
      timeout: 300000,
    });
    expect(options.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test('a device-bound passkey: the login answer, amr hwk + user + mfa, and the session works', async () => {
    const response = await h.signIn(laptop);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(Object.keys(body)).toEqual(['refresh', 'access', 'user']);
    expect(body.user).toMatchObject({ username: 'alice', id: alice.publicId });
    expect(decodePayload(body.access)['amr']).toEqual(['hwk', 'user', 'mfa']);
    const me = await h.ctx.app.inject({
      method: 'GET',
      url: '/api/users/me/',
      headers: { authorization: `Bearer ${body.access}` },
    });
    expect(me.statusCode).toBe(200);
    expect((await h.post('/api/auth/refresh/', { refresh: body.refresh })).statusCode).toBe(200);
    const [passkey] = await h.ctx.store.listPasskeys(alice.id);
    expect(passkey).toMatchObject({ signCount: 11, lastUsedAt: h.ctx.clock() });
  });

  test('a synced passkey says swk', async () => {
    const phone = h.authenticator({ synced: true });
    // A session from the passkey registers another (her password alone now asks for a passkey).
    const session = (await h.signIn(laptop)).json().access as string;
    expect((await h.register(session, phone)).statusCode).toBe(201);
    const response = await h.signIn(phone);
    expect(decodePayload(response.json().access)['amr']).toEqual(['swk', 'user', 'mfa']);
  });

  test('browser mode: the refresh token in the cookie, as the login sets it', async () => {
    const credential = laptop.authenticate(await h.signInOptions());
    const response = await h.ctx.app.inject({
      method: 'POST',
      url: '/api/auth/passkey/',
      headers: {
        'x-gatehouse-session': 'cookie',
        origin: 'http://localhost:80',
        host: 'localhost:80',
        'sec-fetch-site': 'same-origin',
      },
      payload: { credential },
    });
    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.json())).toEqual(['access', 'user']);
    expect(String(response.headers['set-cookie'])).toMatch(
      /^gatehouse_refresh=ey.*HttpOnly; SameSite=Strict/,
    );
    const crossSite = await h.ctx.app.inject({
      method: 'POST',
      url: '/api/auth/passkey/',
      headers: {
        'x-gatehouse-session': 'cookie',
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
      },
      payload: { credential: laptop.authenticate(await h.signInOptions()) },
    });
    expect(crossSite.statusCode).toBe(403);
  });

  test('without user verification: refused', async () => {
    const credential = laptop.authenticate(await h.signInOptions(), { userVerified: false });
    const response = await h.post('/api/auth/passkey/', { credential });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(NOT_VERIFIED);
  });

  test('a challenge answers once: a replay is refused', async () => {
    const credential = laptop.authenticate(await h.signInOptions());
    expect((await h.post('/api/auth/passkey/', { credential })).statusCode).toBe(200);
    const replayed = await h.post('/api/auth/passkey/', { credential });
    expect(replayed.statusCode).toBe(401);
    expect(replayed.json()).toEqual(CHALLENGE_INVALID);
    // Nor is an older challenge signed anew, nor one that was never issued.
    const options = await h.signInOptions();
    for (const challenge of [credential.response.clientDataJSON, 'A'.repeat(43)]) {
      const forged = laptop.authenticate(options, { challenge });
      expect((await h.post('/api/auth/passkey/', { credential: forged })).json()).toEqual(CHALLENGE_INVALID);
    }
  });

  test('the same assertion sent twice at once: one session', async () => {
    const credential = laptop.authenticate(await h.signInOptions());
    const responses = await Promise.all([1, 2].map(() => h.post('/api/auth/passkey/', { credential })));
    expect(responses.map((response) => response.statusCode).sort()).toEqual([200, 401]);
  });

  test('a challenge lives 5 minutes', async () => {
    const options = await h.signInOptions();
    h.ctx.clock.advance(300);
    const response = await h.post('/api/auth/passkey/', { credential: laptop.authenticate(options) });
    expect(response.json()).toEqual(CHALLENGE_INVALID);
  });

  test('another origin, another RP ID, a registration challenge or a signature of another key: refused', async () => {
    const other = h.authenticator();
    const { access } = (await h.signIn(laptop)).json();
    const registrationOptions = await h.creationOptions(access);
    const cases = [
      laptop.authenticate(await h.signInOptions(), { origin: 'https://evil.example.com.attacker.net' }),
      laptop.authenticate(await h.signInOptions(), { origin: 'http://app.example.com' }),
      laptop.authenticate(await h.signInOptions(), {
        rpId: 'attacker.net',
        credentialId: laptop.credentials[0]?.id ?? '',
      }),
      laptop.authenticate(await h.signInOptions(), { type: 'webauthn.create' }),
      // The registration's challenge is no sign-in's.
      laptop.authenticate(await h.signInOptions(), { challenge: registrationOptions.challenge }),
    ];
    other.register(registrationOptions);
    const [otherCredential] = other.credentials;
    if (!otherCredential) throw new Error('no credential');
    // A signature by another key, claiming the laptop's credential id.
    const impostor = { ...other.authenticate(await h.signInOptions()), id: laptop.credentials[0]?.id ?? '' };
    const codes = [];
    for (const credential of [...cases, impostor]) {
      const response = await h.post('/api/auth/passkey/', { credential });
      expect(response.statusCode).toBe(401);
      codes.push(response.json().code);
    }
    expect(codes).toEqual([
      'passkey_not_verified',
      'passkey_not_verified',
      'passkey_not_verified',
      'passkey_not_verified',
      'passkey_challenge_invalid',
      'passkey_not_verified',
    ]);
  });

  test('a counter that does not move forward is refused and audited (a cloned authenticator)', async () => {
    expect((await h.signIn(laptop)).statusCode).toBe(200);
    const [credential] = laptop.credentials;
    if (!credential) throw new Error('no credential');
    credential.counter = 10;
    const response = await h.signIn(laptop);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(NOT_VERIFIED);
    const [entry] = (await h.ctx.store.listAudit(0, 10)).items;
    expect(entry).toMatchObject({
      action: 'passkey.counter_not_increased',
      actorId: alice.id,
      detail: { name: 'Laptop', sign_count: 11, stored_sign_count: 11 },
    });
    // The clone's owner moves on: the next count is accepted.
    credential.counter = 20;
    expect((await h.signIn(laptop)).statusCode).toBe(200);
  });

  test('an unknown credential or a deactivated account: 401', async () => {
    const stranger = h.authenticator();
    stranger.register(await h.creationOptions((await h.signIn(laptop)).json().access));
    expect((await h.signIn(stranger)).json()).toEqual(UNKNOWN);
    await h.ctx.store.updateUser(alice.id, { isActive: false }, h.ctx.clock());
    const response = await h.signIn(laptop);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(UNKNOWN);
  });

  test("a response carrying another account's user handle is refused", async () => {
    const credential = laptop.authenticate(await h.signInOptions());
    const forged = { ...credential, response: { ...credential.response, userHandle: 'AAAA' } };
    expect((await h.post('/api/auth/passkey/', { credential: forged })).json()).toEqual(NOT_VERIFIED);
  });

  test('bad input: 4xx JSON, never a 500', async () => {
    const good = laptop.authenticate(await h.signInOptions());
    for (const payload of [{}, { credential: null }, { credential: [] }, { credential: { id: 'x' } }]) {
      const response = await h.post('/api/auth/passkey/', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
    }
    for (const credential of [
      { ...good, response: { ...good.response, clientDataJSON: '!!!' } },
      { ...good, response: { ...good.response, clientDataJSON: 'e30' } },
    ]) {
      const response = await h.post('/api/auth/passkey/', { credential });
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('passkey_malformed');
    }
    const garbage = await h.post('/api/auth/passkey/', {
      credential: { ...good, response: { ...good.response, authenticatorData: 'AAAA', signature: 'zz' } },
    });
    expect(garbage.statusCode).toBe(401);
    expect(garbage.json()).toEqual(NOT_VERIFIED);
    expect((await h.ctx.app.inject({ method: 'GET', url: '/api/auth/passkey/' })).statusCode).toBe(405);
  });

  test("failures count toward the login throttle of the passkey's account", async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const credential = laptop.authenticate(await h.signInOptions(), { userVerified: false });
      expect((await h.post('/api/auth/passkey/', { credential })).statusCode).toBe(401);
    }
    const failures = await h.ctx.rows.all(
      "select * from login_failures where key = 'account:" + alice.id + "'",
    );
    expect(failures).toHaveLength(1);
    // Blocked for passwords; the passkey itself still lets its owner in.
    const password = await h.post('/api/auth/login/', { username: 'alice', password: 'password1' });
    expect([401, 429]).toContain(password.statusCode);
    expect((await h.signIn(laptop)).statusCode).toBe(200);
  });
});

describe('a passkey as the second step of a password login', () => {
  const login = () => h.post('/api/auth/login/', { username: 'alice', password: 'password1' });

  test('the login asks for it; the options list that account’s passkeys; the answer signs in', async () => {
    const first = await login();
    expect(first.statusCode).toBe(401);
    expect(first.json()).toMatchObject({ code: 'mfa_required', methods: ['hwk'] });
    const mfaToken = first.json().mfa_token as string;

    const optionsResponse = await h.post('/api/auth/mfa/passkey/options/', { mfa_token: mfaToken });
    expect(optionsResponse.statusCode).toBe(200);
    const options = optionsResponse.json();
    expect(options.allowCredentials).toEqual([
      { id: laptop.credentials[0]?.id, type: 'public-key', transports: ['internal'] },
    ]);
    expect(options.userVerification).toBe('preferred');

    const response = await h.post('/api/auth/mfa/passkey/', {
      mfa_token: mfaToken,
      credential: laptop.authenticate(options),
    });
    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.json())).toEqual(['refresh', 'access', 'user']);
    expect(decodePayload(response.json().access)['amr']).toEqual(['pwd', 'hwk', 'user', 'mfa']);
    // The mfa_token is spent.
    expect(
      (
        await h.post('/api/auth/mfa/passkey/', {
          mfa_token: mfaToken,
          credential: laptop.authenticate(options),
        })
      ).json().code,
    ).toBe('invalid_mfa_token');
  });

  test('without user verification the passkey is still a second factor (amr without user)', async () => {
    const mfaToken = (await login()).json().mfa_token as string;
    const options = (await h.post('/api/auth/mfa/passkey/options/', { mfa_token: mfaToken })).json();
    const response = await h.post('/api/auth/mfa/passkey/', {
      mfa_token: mfaToken,
      credential: laptop.authenticate(options, { userVerified: false }),
    });
    expect(decodePayload(response.json().access)['amr']).toEqual(['pwd', 'hwk', 'mfa']);
  });

  test('a wrong answer spends one of the 5 attempts; then the mfa_token is dead', async () => {
    const mfaToken = (await login()).json().mfa_token as string;
    for (let attempt = 0; attempt < 5; attempt++) {
      const options = (await h.post('/api/auth/mfa/passkey/options/', { mfa_token: mfaToken })).json();
      const credential = laptop.authenticate(options, { origin: 'https://evil.example.net' });
      const response = await h.post('/api/auth/mfa/passkey/', { mfa_token: mfaToken, credential });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual(NOT_VERIFIED);
    }
    const dead = await h.post('/api/auth/mfa/passkey/options/', { mfa_token: mfaToken });
    expect(dead.statusCode).toBe(401);
    expect(dead.json()).toEqual({
      detail: 'This sign-in has expired. Sign in again.',
      code: 'invalid_mfa_token',
    });
  });

  test("another user's passkey, or a passwordless challenge, does not answer", async () => {
    const bob = await h.ctx.createUser({ username: 'bob' });
    const bobsKey = h.authenticator();
    const bobAccess = (await h.ctx.login('bob')).access;
    expect((await h.register(bobAccess, bobsKey)).statusCode).toBe(201);
    expect(bob.id).not.toBe(alice.id);

    const mfaToken = (await login()).json().mfa_token as string;
    const options = (await h.post('/api/auth/mfa/passkey/options/', { mfa_token: mfaToken })).json();
    const bobs = bobsKey.authenticate(options, { credentialId: bobsKey.credentials[0]?.id ?? '' });
    expect(
      (await h.post('/api/auth/mfa/passkey/', { mfa_token: mfaToken, credential: bobs })).json(),
    ).toEqual(NOT_VERIFIED);
    const passwordless = laptop.authenticate(await h.signInOptions());
    expect(
      (await h.post('/api/auth/mfa/passkey/', { mfa_token: mfaToken, credential: passwordless })).json(),
    ).toEqual(CHALLENGE_INVALID);
  });

  test('an unknown mfa_token, and bad input: 4xx', async () => {
    const credential = laptop.authenticate(await h.signInOptions());
    for (const token of ['A'.repeat(43), 'short']) {
      expect((await h.post('/api/auth/mfa/passkey/options/', { mfa_token: token })).json().code).toBe(
        'invalid_mfa_token',
      );
      expect((await h.post('/api/auth/mfa/passkey/', { mfa_token: token, credential })).json().code).toBe(
        'invalid_mfa_token',
      );
    }
    for (const payload of [
      {},
      { mfa_token: '' },
      { mfa_token: 'x'.repeat(129) },
      { mfa_token: 'x', credential: 1 },
    ]) {
      expect((await h.post('/api/auth/mfa/passkey/', payload)).statusCode).toBe(400);
    }
    expect((await h.post('/api/auth/mfa/passkey/options/', {})).statusCode).toBe(400);
  });

  test('every passkey removed, the password alone signs in again', async () => {
    const session = (await h.signIn(laptop)).json().access as string;
    const [passkey] = (await h.request('GET', '/api/users/me/passkeys/', session)).json();
    expect((await h.request('DELETE', `/api/users/me/passkeys/${passkey.id}/`, session)).statusCode).toBe(
      204,
    );
    expect((await login()).statusCode).toBe(200);
  });
});
