/**
 * Attacks on tokens signed with keys kept in the database (EdDSA, ES256, RS256, and HMAC keys with ids),
 * over HTTP, as in jwt-attacks.test.ts: algorithm confusion with the published public key as the HMAC
 * secret, kid tricks, keys of the attacker's own, and rotation (a retired key's tokens are refused).
 */
import { createHmac, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { createApp } from '../app.js';
import type { JwtClaims } from '../auth/jwt.js';
import { REFRESH_COOLDOWN } from '../auth/key-ring.js';
import { createPasswordHasher } from '../auth/passwords.js';
import { ACTIVATION_DELAY, newSigningKey } from '../auth/signing-keys.js';
import { createTestContext, decodeHeader, decodePayload, type TestContext } from '../testing/test-app.js';

const INVALID = {
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is invalid or expired' }],
};

let ctx: TestContext;
let pair: { refresh: string; access: string };
afterEach(() => ctx.close());

async function setUp(env: Record<string, string>) {
  ctx = await createTestContext(env);
  await ctx.createUser({ username: 'target' });
  pair = await ctx.login('target');
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const profile = (token: string) =>
  ctx.app.inject({ url: '/api/profile/', headers: { authorization: `Bearer ${token}` } });
const post = (url: string, payload: object) => ctx.app.inject({ method: 'POST', url, payload });

/** An access token forged from the real one's payload must be refused at /api/profile/ and /api/token/verify/. */
async function expectRefused(token: string, label: string) {
  const response = await profile(token);
  expect(response.statusCode, label).toBe(401);
  expect(response.json(), label).toEqual(INVALID);
  expect((await post('/api/token/verify/', { token })).statusCode, label).toBe(401);
}

function hmacToken(header: object, payload: JwtClaims, secret: string | Buffer, digest = 'sha256') {
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${createHmac(digest, secret).update(input).digest('base64url')}`;
}

/** Signed with a key of the attacker's own, any header. */
function attackerToken(algorithm: string, header: object, payload: JwtClaims, privateKey: KeyObject) {
  const input = `${encode(header)}.${encode(payload)}`;
  const digest = algorithm === 'EdDSA' ? null : 'sha256';
  const key = algorithm === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : privateKey;
  return `${input}.${sign(digest, Buffer.from(input), key).toString('base64url')}`;
}

function attackerKey(algorithm: string): KeyObject {
  if (algorithm === 'EdDSA') return generateKeyPairSync('ed25519').privateKey;
  if (algorithm === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

describe.each(['EdDSA', 'ES256', 'RS256'] as const)('%s', (algorithm) => {
  test('control: the real tokens work, their header names the key', async () => {
    await setUp({ GATEHOUSE_ALGORITHM: algorithm });
    const [jwk] = (await ctx.app.inject({ url: '/.well-known/jwks.json' })).json().keys;
    expect(decodeHeader(pair.access)).toEqual({ alg: algorithm, kid: jwk.kid, typ: 'at+jwt' });
    expect((await profile(pair.access)).statusCode).toBe(200);
    expect((await post('/api/token/refresh/', { refresh: pair.refresh })).statusCode).toBe(200);
  });

  test('algorithm confusion: HS256/384/512 MACs keyed with the public key, in every form it is published', async () => {
    await setUp({ GATEHOUSE_ALGORITHM: algorithm });
    const [jwk] = (await ctx.app.inject({ url: '/.well-known/jwks.json' })).json().keys;
    const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const secrets: [string, string | Buffer][] = [
      ['PEM', pem],
      ['PEM without its newline', pem.trimEnd()],
      ['DER', publicKey.export({ type: 'spki', format: 'der' })],
      ['JWK JSON', JSON.stringify(jwk)],
      ['JWKS JSON', JSON.stringify({ keys: [jwk] })],
      ['x / n', Buffer.from(jwk.x ?? jwk.n, 'base64url')],
      ['x / n as text', jwk.x ?? jwk.n],
    ];
    const payload = decodePayload(pair.access);
    for (const [form, secret] of secrets) {
      for (const [alg, digest] of [
        ['HS256', 'sha256'],
        ['HS384', 'sha384'],
        ['HS512', 'sha512'],
      ]) {
        for (const header of [
          { alg, kid: jwk.kid, typ: 'JWT' },
          { alg, typ: 'JWT' },
        ]) {
          await expectRefused(hmacToken(header, payload, secret, digest), `${alg} ${form}`);
        }
      }
      // And under the real header, alg included: the signature is an HMAC, not a signature by the key.
      await expectRefused(hmacToken(decodeHeader(pair.access), payload, secret), `real header, ${form}`);
    }
    expect((await profile(pair.access)).statusCode).toBe(200);
  });

  test("the attacker's own key: with an unknown kid, the real kid, an embedded jwk or a jku", async () => {
    await setUp({ GATEHOUSE_ALGORITHM: algorithm });
    const own = attackerKey(algorithm);
    const ownJwk = createPublicKey(own).export({ format: 'jwk' });
    const realKid = decodeHeader(pair.access).kid;
    const payload = decodePayload(pair.access);
    const headers = [
      { alg: algorithm, kid: 'attacker', typ: 'JWT' },
      { alg: algorithm, kid: realKid, typ: 'JWT' },
      { alg: algorithm, typ: 'JWT' },
      { alg: algorithm, kid: 'attacker', jwk: ownJwk, typ: 'JWT' },
      { alg: algorithm, jwk: { ...ownJwk, kid: realKid }, kid: realKid, typ: 'JWT' },
      { alg: algorithm, kid: 'attacker', jku: 'http://127.0.0.1:9/jwks.json', typ: 'JWT' },
      { alg: algorithm, kid: ['x', realKid], typ: 'JWT' },
      { alg: algorithm, kid: { toString: realKid }, typ: 'JWT' },
    ];
    for (const header of headers) {
      await expectRefused(
        attackerToken(algorithm, header, payload, own),
        JSON.stringify(header).slice(0, 80),
      );
    }
    // `none`, and another asymmetric algorithm than the configured one.
    await expectRefused(`${encode({ alg: 'none', kid: realKid })}.${encode(payload)}.`, 'none');
    for (const other of ['EdDSA', 'ES256', 'RS256'].filter((alg) => alg !== algorithm)) {
      const token = attackerToken(
        other,
        { alg: other, kid: realKid, typ: 'JWT' },
        payload,
        attackerKey(other),
      );
      await expectRefused(token, other);
    }
  });

  test('rotation: the previous key still verifies after a rotation, and stops when retired', async () => {
    await setUp({ GATEHOUSE_ALGORITHM: algorithm });
    const firstKid = decodeHeader(pair.access).kid as string;
    const added = newSigningKey(ctx.config.jwt, ctx.clock());
    await ctx.store.addSigningKey(added);

    // Another instance, on the same database, that has not loaded the new key yet.
    const other = await createApp({
      config: ctx.config,
      store: ctx.store,
      hasher: createPasswordHasher(ctx.config.passwordHash),
      clock: ctx.clock,
    });
    const atOther = (token: string) =>
      other.inject({ url: '/api/profile/', headers: { authorization: `Bearer ${token}` } });
    try {
      ctx.clock.advance(REFRESH_COOLDOWN);
      await ctx.keys.refresh();
      ctx.clock.advance(ACTIVATION_DELAY);
      const second = await ctx.login('target');
      expect(decodeHeader(second.access).kid).toBe(added.kid);
      // Both generations work, here and at the other instance (which reloads on meeting the new kid).
      for (const token of [pair.access, second.access]) {
        expect((await profile(token)).statusCode).toBe(200);
        expect((await atOther(token)).statusCode).toBe(200);
      }
      const rotated = await post('/api/token/refresh/', { refresh: pair.refresh });
      expect(rotated.statusCode).toBe(200);
      expect(decodeHeader(rotated.json().access).kid).toBe(added.kid);

      expect(await ctx.store.retireSigningKey(firstKid, algorithm, ctx.clock())).toBe('retired');
      // Every instance drops it at its next reload (within RELOAD_INTERVAL).
      ctx.clock.advance(60);
      await ctx.keys.refresh();
      expect((await other.inject({ url: '/.well-known/jwks.json' })).json().keys).toHaveLength(1);
      await expectRefused(pair.access, 'token of the retired key');
      expect((await atOther(pair.access)).json()).toEqual(INVALID);
      expect((await profile(second.access)).statusCode).toBe(200);
      expect((await atOther(rotated.json().access)).statusCode).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe('HMAC keys in the database', () => {
  test('tokens carry the key id; unknown and injected kids are refused', async () => {
    await setUp({ GATEHOUSE_SIGNING_KEY: '' });
    const [stored] = await ctx.store.listSigningKeys();
    expect(decodeHeader(pair.access)).toEqual({ alg: 'HS256', kid: stored?.kid, typ: 'at+jwt' });
    expect((await profile(pair.access)).statusCode).toBe(200);
    const payload = decodePayload(pair.access);
    for (const kid of ['unknown', '../../../../dev/null', "' OR 1=1 --", '', 0, null, [stored?.kid]]) {
      for (const key of ['', 'null', 'attacker-controlled-hmac-key-0123456789']) {
        await expectRefused(
          hmacToken({ alg: 'HS256', kid, typ: 'JWT' }, payload, key),
          `kid ${JSON.stringify(kid)}`,
        );
      }
    }
    expect((await profile(pair.access)).statusCode).toBe(200);
  });

  test('the stored secret is sealed with the key-encryption key, and not in any response', async () => {
    await setUp({ GATEHOUSE_SIGNING_KEY: '' });
    const [stored] = await ctx.store.listSigningKeys();
    expect(stored?.privateKey).toMatch(/^aes-256-gcm:/);
    expect((await ctx.app.inject({ url: '/api/.well-known/jwks.json' })).json()).toEqual({ keys: [] });
  });
});
