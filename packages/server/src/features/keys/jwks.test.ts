import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { REFRESH_COOLDOWN } from '../../auth/key-ring.js';
import { ACTIVATION_DELAY, newSigningKey } from '../../auth/signing-keys.js';
import { createTestContext, decodeHeader, type TestContext } from '../../testing/test-app.js';
import { JWKS_PATHS } from './plugin.js';

let ctx: TestContext;
afterEach(() => ctx.close());

const jwks = (url: string = JWKS_PATHS[0]) => ctx.app.inject({ url });
const kids = async () => ((await jwks()).json().keys as { kid: string }[]).map((key) => key.kid);

describe('HMAC: secrets are never published', () => {
  test.each([
    ['GATEHOUSE_SIGNING_KEY', {}],
    ['keys in the database', { GATEHOUSE_SIGNING_KEY: '' }],
  ])('%s: an empty key set, at both paths', async (_label, env) => {
    ctx = await createTestContext(env);
    await ctx.createUser({ username: 'alice' });
    await ctx.login('alice');
    for (const url of [...JWKS_PATHS, `${JWKS_PATHS[1]}/`]) {
      const response = await jwks(url);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['cache-control']).toBe('public, max-age=300');
      expect(response.body).toBe('{"keys":[]}');
    }
  });
});

describe.each(['EdDSA', 'ES256', 'RS256'] as const)('%s', (algorithm) => {
  test('publishes the public key that verifies the access token: kid, alg, use, public members only', async () => {
    ctx = await createTestContext({ GATEHOUSE_ALGORITHM: algorithm });
    await ctx.createUser({ username: 'alice' });
    const { access } = await ctx.login('alice');
    const response = await jwks();
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('public, max-age=300');
    // The other security headers stay.
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    const { keys } = response.json() as { keys: (JsonWebKey & { kid: string })[] };
    expect(keys).toHaveLength(1);
    const [jwk] = keys as [JsonWebKey & { kid: string }];
    const members = { EdDSA: ['crv', 'x'], ES256: ['crv', 'x', 'y'], RS256: ['e', 'n'] }[algorithm];
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'kid', 'kty', 'use', ...members].sort());
    expect(jwk).toMatchObject({ kid: decodeHeader(access).kid, alg: algorithm, use: 'sig' });
    expect((await jwks(JWKS_PATHS[1])).json()).toEqual({ keys });

    const [head, body, signature] = access.split('.') as [string, string, string];
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    const digest = algorithm === 'EdDSA' ? null : 'sha256';
    const options = algorithm === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
    expect(verify(digest, Buffer.from(`${head}.${body}`), options, Buffer.from(signature, 'base64url'))).toBe(
      true,
    );
  });
});

test('a rotated key is published at once, before it signs; a retired one is withdrawn', async () => {
  ctx = await createTestContext({ GATEHOUSE_ALGORITHM: 'EdDSA' });
  const [first] = await kids();
  const added = newSigningKey(ctx.config.jwt, ctx.clock());
  await ctx.store.addSigningKey(added);
  // Another instance (or the CLI) added it: this one sees it at its next reload.
  ctx.clock.advance(REFRESH_COOLDOWN);
  await ctx.keys.refresh();
  expect(await kids()).toEqual([added.kid, first]);
  await ctx.createUser({ username: 'alice' });
  expect(decodeHeader((await ctx.login('alice')).access).kid).toBe(first);
  ctx.clock.advance(ACTIVATION_DELAY);
  expect(decodeHeader((await ctx.login('alice')).access).kid).toBe(added.kid);

  expect(await ctx.store.retireSigningKey(first as string, 'EdDSA', ctx.clock())).toBe('retired');
  ctx.clock.advance(REFRESH_COOLDOWN);
  await ctx.keys.refresh();
  expect(await kids()).toEqual([added.kid]);
});

test('a stale view is reloaded before the JWKS is answered', async () => {
  ctx = await createTestContext({ GATEHOUSE_ALGORITHM: 'ES256' });
  const added = newSigningKey(ctx.config.jwt, ctx.clock());
  await ctx.store.addSigningKey(added);
  expect(await kids()).toHaveLength(1);
  ctx.clock.advance(60);
  expect(await kids()).toEqual([added.kid, expect.any(String)]);
});

test('other methods: 405', async () => {
  ctx = await createTestContext();
  for (const url of JWKS_PATHS) {
    const response = await ctx.app.inject({ method: 'POST', url });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD, OPTIONS');
    expect(response.headers['cache-control']).toBe('no-store');
  }
});
