import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { User } from '../../store/users/store.js';
import { ORIGIN, openPasskeys, type PasskeyHarness } from '../../testing/passkeys.js';

let h: PasskeyHarness;
let alice: User;
let access: string;
let refresh: string;
beforeEach(async () => {
  h = await openPasskeys();
  alice = await h.ctx.createUser({ username: 'alice', email: 'alice@example.com', firstName: 'Alice' });
  ({ access, refresh } = await h.ctx.login('alice'));
});
afterEach(() => h.ctx.close());

const PASSKEY = {
  id: expect.stringMatching(/^[0-9a-f-]{36}$/),
  name: 'Passkey',
  created_at: expect.any(String),
  last_used_at: null,
  device_type: 'singleDevice',
  backed_up: false,
};

describe('registering a passkey', () => {
  test('options: the RP, a random user handle, user verification and a discoverable credential required', async () => {
    const options = await h.creationOptions(access);
    expect(options).toMatchObject({
      rp: { id: 'example.com', name: 'Example' },
      user: { name: 'alice', displayName: 'Alice' },
      timeout: 300000,
      attestation: 'none',
      excludeCredentials: [],
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    expect(options.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(options.pubKeyCredParams).toContainEqual({ alg: -7, type: 'public-key' });
    // 32 random bytes: neither the account's id nor its email.
    const handle = Buffer.from(options.user.id, 'base64url');
    expect(handle).toHaveLength(32);
    expect(handle.toString('utf8')).not.toContain('alice');
    expect(options.user.id).not.toBe(String(alice.id));
    // Kept only with the first passkey.
    expect(await h.ctx.store.findWebauthnUserHandle(alice.id)).toBeUndefined();
  });

  test('register, list, rename, delete: each change audited and told by mail', async () => {
    const laptop = h.authenticator();
    const created = await h.register(access, laptop, 'Laptop');
    expect(created.statusCode).toBe(201);
    expect(created.json()).toStrictEqual({ ...PASSKEY, name: 'Laptop' });
    const id = created.json().id as string;
    h.ctx.clock.advance(1);
    const phone = await h.register(access, h.authenticator({ synced: true }));
    expect(phone.json()).toStrictEqual({ ...PASSKEY, device_type: 'multiDevice', backed_up: true });

    const list = await h.request('GET', '/api/users/me/passkeys/', access);
    expect(list.statusCode).toBe(200);
    expect(list.json().map((passkey: { name: string }) => passkey.name)).toEqual(['Laptop', 'Passkey']);

    const renamed = await h.request('PATCH', `/api/users/me/passkeys/${id}/`, access, {
      name: '  Work laptop ',
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toStrictEqual({ ...PASSKEY, name: 'Work laptop' });

    const removed = await h.request('DELETE', `/api/users/me/passkeys/${id}/`, access);
    expect(removed.statusCode).toBe(204);
    expect((await h.request('DELETE', `/api/users/me/passkeys/${id}/`, access)).statusCode).toBe(404);
    expect((await h.request('GET', '/api/users/me/passkeys/', access)).json()).toHaveLength(1);

    const audit = (await h.ctx.store.listAudit(0, 10)).items;
    expect(audit.map((entry) => [entry.action, entry.detail['name']])).toEqual([
      ['passkey.removed', 'Work laptop'],
      ['passkey.added', 'Passkey'],
      ['passkey.added', 'Laptop'],
    ]);
    const mail = (await h.ctx.rows.outbox()).map((m) => [m.kind, m.to, m.data['change'], m.data['name']]);
    // Queued at one instant of the test clock: in any order.
    expect(mail).toHaveLength(3);
    expect(mail).toEqual(
      expect.arrayContaining([
        ['mfa_changed', 'alice@example.com', 'passkey_added', 'Laptop'],
        ['mfa_changed', 'alice@example.com', 'passkey_added', 'Passkey'],
        ['mfa_changed', 'alice@example.com', 'passkey_removed', 'Work laptop'],
      ]),
    );
  });

  test('excludeCredentials lists the existing passkeys; the user handle is made once and kept', async () => {
    const first = h.authenticator();
    const firstOptions = await h.creationOptions(access);
    const credential = first.register(firstOptions);
    expect((await h.post('/api/users/me/passkeys/', { credential }, access)).statusCode).toBe(201);
    expect(await h.ctx.store.findWebauthnUserHandle(alice.id)).toBe(firstOptions.user.id);

    const second = await h.creationOptions(access);
    expect(second.user.id).toBe(firstOptions.user.id);
    expect(second.excludeCredentials).toEqual([
      { id: credential.id, type: 'public-key', transports: ['internal'] },
    ]);
    // Every passkey removed, the handle stays: a new passkey is for the same WebAuthn user.
    const [passkey] = (await h.request('GET', '/api/users/me/passkeys/', access)).json();
    await h.request('DELETE', `/api/users/me/passkeys/${passkey.id}/`, access);
    expect((await h.creationOptions(access)).user.id).toBe(firstOptions.user.id);
    // Another user gets another handle.
    await h.ctx.createUser({ username: 'bob' });
    const bob = (await h.ctx.login('bob')).access;
    expect((await h.creationOptions(bob)).user.id).not.toBe(firstOptions.user.id);
  });

  test('a challenge is used once, by the user it was made for, within 5 minutes', async () => {
    const authenticator = h.authenticator();
    const options = await h.creationOptions(access);
    const credential = authenticator.register(options);
    expect((await h.post('/api/users/me/passkeys/', { credential }, access)).statusCode).toBe(201);
    const replayed = await h.post(
      '/api/users/me/passkeys/',
      { credential: authenticator.register(options) },
      access,
    );
    expect(replayed.statusCode).toBe(400);
    expect(replayed.json()).toEqual({
      detail: 'This passkey request is invalid or has expired. Try again.',
      code: 'passkey_challenge_invalid',
    });

    await h.ctx.createUser({ username: 'bob' });
    const bob = (await h.ctx.login('bob')).access;
    const bobs = authenticator.register(await h.creationOptions(bob));
    expect((await h.post('/api/users/me/passkeys/', { credential: bobs }, access)).json().code).toBe(
      'passkey_challenge_invalid',
    );

    const late = authenticator.register(await h.creationOptions(access));
    h.ctx.clock.advance(300);
    expect((await h.post('/api/users/me/passkeys/', { credential: late }, access)).json().code).toBe(
      'passkey_challenge_invalid',
    );
  });

  test('a response from another origin, for another RP ID, without user verification, or of the wrong type: refused', async () => {
    const authenticator = h.authenticator();
    for (const ceremony of [
      { origin: 'https://evil.example.net' },
      { origin: 'https://example.com.evil.net' },
      { rpId: 'evil.net' },
      { userVerified: false },
      { type: 'webauthn.get' },
    ]) {
      const credential = authenticator.register(await h.creationOptions(access), ceremony);
      const response = await h.post('/api/users/me/passkeys/', { credential }, access);
      expect(response.statusCode, JSON.stringify(ceremony)).toBe(400);
      expect(response.json()).toEqual({
        detail: 'The passkey could not be verified.',
        code: 'passkey_not_verified',
      });
    }
    expect((await h.request('GET', '/api/users/me/passkeys/', access)).json()).toEqual([]);
    expect((await h.ctx.store.listAudit(0, 10)).count).toBe(0);
  });

  test('bad input: 4xx JSON, never a 500', async () => {
    const options = await h.creationOptions(access);
    const good = h.authenticator().register(options);
    const clientData = (data: object) => Buffer.from(JSON.stringify(data)).toString('base64url');
    for (const credential of [
      { ...good, response: { ...good.response, clientDataJSON: 'not base64 json' } },
      { ...good, response: { ...good.response, clientDataJSON: clientData({ challenge: 42 }) } },
      { ...good, response: { ...good.response, clientDataJSON: clientData(['x']) } },
    ]) {
      const response = await h.post('/api/users/me/passkeys/', { credential }, access);
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('passkey_malformed');
    }
    // The challenge names a live registration, and the rest is garbage: refused, and the challenge spent.
    const garbage = await h.post(
      '/api/users/me/passkeys/',
      { credential: { ...good, response: { ...good.response, attestationObject: 'AAAA' } } },
      access,
    );
    expect(garbage.json()).toEqual({
      detail: 'The passkey could not be verified.',
      code: 'passkey_not_verified',
    });
    for (const payload of [
      {},
      { credential: 'x' },
      { credential: {} },
      { credential: good, name: '' },
      { credential: good, name: 'x'.repeat(65) },
    ]) {
      const response = await h.post('/api/users/me/passkeys/', payload, access);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().code ?? 'fields').toBe('fields');
    }
    const blank = await h.request('PATCH', '/api/users/me/passkeys/nope/', access, { name: '   ' });
    expect(blank.statusCode).toBe(400);
    expect(blank.json()).toEqual({ name: ['This field may not be blank.'] });
    expect((await h.request('PATCH', '/api/users/me/passkeys/nope/', access, { name: 'x' })).statusCode).toBe(
      404,
    );
    expect((await h.request('DELETE', `/api/users/me/passkeys/${'x'.repeat(65)}/`, access)).statusCode).toBe(
      400,
    );
  });

  test("another user's passkey cannot be renamed or removed", async () => {
    const created = (await h.register(access, h.authenticator())).json();
    await h.ctx.createUser({ username: 'bob' });
    const bob = (await h.ctx.login('bob')).access;
    expect(
      (await h.request('PATCH', `/api/users/me/passkeys/${created.id}/`, bob, { name: 'Mine' })).statusCode,
    ).toBe(404);
    expect((await h.request('DELETE', `/api/users/me/passkeys/${created.id}/`, bob)).statusCode).toBe(404);
    expect((await h.request('GET', '/api/users/me/passkeys/', bob)).json()).toEqual([]);
  });

  test('adding and removing need a recent sign-in; listing and renaming a session', async () => {
    const created = (await h.register(access, h.authenticator())).json();
    h.ctx.clock.advance(16 * 60);
    const refreshed = await h.post('/api/auth/refresh/', { refresh });
    const stale = refreshed.json().access as string;
    for (const response of [
      await h.post('/api/users/me/passkeys/options/', undefined, stale),
      await h.post('/api/users/me/passkeys/', { credential: {} }, stale),
      await h.request('DELETE', `/api/users/me/passkeys/${created.id}/`, stale),
    ]) {
      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('reauthentication_required');
    }
    expect((await h.request('GET', '/api/users/me/passkeys/', stale)).statusCode).toBe(200);
    expect(
      (await h.request('PATCH', `/api/users/me/passkeys/${created.id}/`, stale, { name: 'x' })).statusCode,
    ).toBe(200);
    expect((await h.ctx.app.inject({ method: 'GET', url: '/api/users/me/passkeys/' })).statusCode).toBe(401);
  });

  test('no notice mail when mfa_changed notices are off', async () => {
    await h.ctx.close();
    h = await openPasskeys({ GATEHOUSE_SECURITY_NOTICES: 'password_changed' });
    await h.ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    access = (await h.ctx.login('alice')).access;
    expect((await h.register(access, h.authenticator())).statusCode).toBe(201);
    expect(await h.ctx.rows.outbox()).toEqual([]);
    expect(ORIGIN).toBe('https://app.example.com');
  });
});

test('the routes are in the OpenAPI document, tagged passkeys, with their schemas', async () => {
  const document = (await h.ctx.app.inject({ url: '/api/docs/openapi.json' })).json();
  const paths = [
    '/api/users/me/passkeys/options/',
    '/api/users/me/passkeys/',
    '/api/users/me/passkeys/{id}/',
    '/api/auth/passkey/options/',
    '/api/auth/passkey/',
    '/api/auth/mfa/passkey/options/',
    '/api/auth/mfa/passkey/',
  ];
  const operations = paths.flatMap((path) =>
    ['get', 'post', 'patch', 'delete'].flatMap((method) => {
      const operation = document.paths[path]?.[method];
      // The 405 answers of other methods are documented without a tag.
      return operation?.tags ? [`${method} ${path} ${operation.tags.join()}`] : [];
    }),
  );
  expect(operations).toEqual([
    'post /api/users/me/passkeys/options/ passkeys',
    'get /api/users/me/passkeys/ passkeys',
    'post /api/users/me/passkeys/ passkeys',
    'patch /api/users/me/passkeys/{id}/ passkeys',
    'delete /api/users/me/passkeys/{id}/ passkeys',
    'post /api/auth/passkey/options/ passkeys',
    'post /api/auth/passkey/ passkeys',
    'post /api/auth/mfa/passkey/options/ passkeys',
    'post /api/auth/mfa/passkey/ passkeys',
  ]);
  const register =
    document.paths['/api/users/me/passkeys/'].post.requestBody.content['application/json'].schema;
  expect(register.required).toEqual(['credential']);
});
