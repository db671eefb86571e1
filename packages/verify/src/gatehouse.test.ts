/**
 * @gatehouse/verify against a real Gatehouse: the app (packages/server) listening on a port, its JWKS
 * fetched over HTTP, its tokens verified as a service behind it would.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { REFRESH_COOLDOWN } from '../../server/src/auth/key-ring.js';
import { ACTIVATION_DELAY, newSigningKey } from '../../server/src/auth/signing-keys.js';
import { createTestContext, decodeHeader, type TestContext } from '../../server/src/testing/test-app.js';
import {
  createVerifier,
  hasPermission,
  hasRole,
  readBearer,
  requirePermission,
  type Algorithm,
  type VerifierOptions,
} from './index.js';

let ctx: TestContext;
afterEach(() => ctx.close());

async function gatehouse(env: Record<string, string>) {
  ctx = await createTestContext(env);
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = ctx.app.server.address() as AddressInfo;
  const user = await ctx.createUser({ username: 'alice' });
  let fetches = 0;
  const verifier = (options: Partial<VerifierOptions> = {}) =>
    createVerifier({
      jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      algorithms: [env['GATEHOUSE_ALGORITHM'] as Algorithm],
      // The services' clock is Gatehouse's test clock, which the tests move.
      clock: () => ctx.clock().getTime(),
      fetch: (input, init) => {
        fetches++;
        return fetch(input, init);
      },
      ...options,
    });
  return { port, user, verifier, fetches: () => fetches };
}

describe.each(['EdDSA', 'ES256', 'RS256'] as const)('%s', (algorithm) => {
  test('an access token from POST /api/token/ verifies to its claims; its refresh token does not', async () => {
    const { user, verifier } = await gatehouse({ GATEHOUSE_ALGORITHM: algorithm });
    const { access, refresh } = await ctx.login('alice');
    const result = await verifier().verify(readBearer(`Bearer ${access}`));
    expect(result).toEqual({
      ok: true,
      claims: {
        token_type: 'access',
        exp: expect.any(Number),
        iat: expect.any(Number),
        jti: expect.stringMatching(/^[0-9a-f]{32}$/),
        user_id: user.id,
        username: 'alice',
        sid: expect.any(String),
        amr: ['pwd'],
        auth_time: expect.any(Number),
        roles: [],
      },
    });
    expect(await verifier().verify(refresh)).toMatchObject({ ok: false, code: 'wrong_type' });
    // Gatehouse types its access tokens (RFC 9068): a service may require it.
    expect(await verifier({ typ: 'at+jwt' }).verify(access)).toMatchObject({ ok: true });
    expect(await verifier({ typ: 'at+jwt' }).verify(refresh)).toMatchObject({
      ok: false,
      code: 'wrong_type',
    });
  });
});

test('audience and issuer as Gatehouse sets them', async () => {
  const { verifier } = await gatehouse({
    GATEHOUSE_ALGORITHM: 'EdDSA',
    GATEHOUSE_AUDIENCE: 'orders-api',
    GATEHOUSE_ISSUER: 'https://auth.example',
  });
  const { access } = await ctx.login('alice');
  expect((await verifier({ audience: 'orders-api', issuer: 'https://auth.example' }).verify(access)).ok).toBe(
    true,
  );
  expect(await verifier({ audience: 'billing-api' }).verify(access)).toMatchObject({
    code: 'wrong_audience',
  });
  expect(
    await verifier({ audience: 'orders-api', issuer: 'https://other.example' }).verify(access),
  ).toMatchObject({
    code: 'wrong_issuer',
  });
});

test('expiry on the access token lifetime, the leeway allowing', async () => {
  const { verifier } = await gatehouse({
    GATEHOUSE_ALGORITHM: 'EdDSA',
    GATEHOUSE_ACCESS_TOKEN_LIFETIME: '60',
  });
  const { access } = await ctx.login('alice');
  const service = verifier({ leeway: 5 });
  expect((await service.verify(access)).ok).toBe(true);
  ctx.clock.advance(64);
  expect((await service.verify(access)).ok).toBe(true);
  ctx.clock.advance(1);
  expect(await service.verify(access)).toMatchObject({ ok: false, code: 'expired' });
});

test('rotation: the service follows a new key as Gatehouse starts signing with it, and drops a retired one', async () => {
  // Access tokens that outlive the steps below, so that only the retirement can refuse the first one.
  const { verifier, fetches } = await gatehouse({
    GATEHOUSE_ALGORITHM: 'EdDSA',
    GATEHOUSE_ACCESS_TOKEN_LIFETIME: '1h',
  });
  const service = verifier({ cacheMaxAge: 300, cooldown: 30 });
  const first = await ctx.login('alice');
  expect((await service.verify(first.access)).ok).toBe(true);
  expect(fetches()).toBe(1);

  // `gatehouse keys rotate`: published now, signing after ACTIVATION_DELAY.
  const added = newSigningKey(ctx.config.jwt, ctx.clock());
  await ctx.store.addSigningKey(added);
  ctx.clock.advance(REFRESH_COOLDOWN);
  await ctx.keys.refresh();
  ctx.clock.advance(ACTIVATION_DELAY);
  const second = await ctx.login('alice');
  expect(decodeHeader(second.access).kid).toBe(added.kid);
  // The new kid makes the service fetch the JWKS again, which already lists it.
  expect((await service.verify(second.access)).ok).toBe(true);
  expect(fetches()).toBe(2);
  expect((await service.verify(first.access)).ok).toBe(true);

  // `gatehouse keys retire <first>`: once the cached JWKS is older than cacheMaxAge, refused.
  expect(
    await ctx.store.retireSigningKey(decodeHeader(first.access).kid as string, 'EdDSA', ctx.clock()),
  ).toBe('retired');
  ctx.clock.advance(REFRESH_COOLDOWN);
  await ctx.keys.refresh();
  const third = await ctx.login('alice');
  expect((await service.verify(first.access)).ok).toBe(true); // cached, for now
  ctx.clock.advance(300);
  expect(await service.verify(first.access)).toMatchObject({ ok: false, code: 'unknown_key' });
  expect((await service.verify(third.access)).ok).toBe(true);
});

test('Gatehouse down: jwks_unavailable, not a 401 reason', async () => {
  const { verifier } = await gatehouse({ GATEHOUSE_ALGORITHM: 'EdDSA' });
  const { access } = await ctx.login('alice');
  const service = verifier({ jwksUrl: `http://127.0.0.1:1/.well-known/jwks.json`, timeout: 2000 });
  expect(await service.verify(access)).toMatchObject({ ok: false, code: 'jwks_unavailable' });
});

describe('roles and permissions in Gatehouse’s tokens', () => {
  /** As a superuser over Gatehouse's API: a role holding `permissions`, given to alice. */
  async function grant(aliceId: string, permissions: string[]) {
    await ctx.createUser({ username: 'root', isSuperuser: true });
    const { access } = await ctx.login('root');
    const headers = { authorization: `Bearer ${access}` };
    const role = await ctx.app.inject({
      method: 'POST',
      url: '/api/roles/',
      headers,
      payload: { name: 'support', permissions },
    });
    expect(role.statusCode).toBe(201);
    const assigned = await ctx.app.inject({
      method: 'PUT',
      url: `/api/users/${aliceId}/roles/`,
      headers,
      payload: { roles: ['support'] },
    });
    expect(assigned.statusCode).toBe(200);
  }

  test('GATEHOUSE_TOKEN_PERMISSIONS=true: the service decides from the token alone; `*` for a superuser', async () => {
    const { user, verifier } = await gatehouse({
      GATEHOUSE_ALGORITHM: 'EdDSA',
      GATEHOUSE_TOKEN_PERMISSIONS: 'true',
    });
    await grant(user.publicId, ['users:read', 'posts:publish']);
    const service = verifier();

    const alice = await service.verify((await ctx.login('alice')).access);
    if (!alice.ok) return expect.unreachable(alice.code);
    expect(hasRole(alice.claims, 'support')).toBe(true);
    expect(hasPermission(alice.claims, 'posts:publish')).toBe(true);
    expect(requirePermission(alice.claims, ['posts:publish', 'users:read'])).toEqual({ ok: true });
    expect(requirePermission(alice.claims, 'users:delete')).toEqual({ ok: false, code: 'permission_denied' });

    const root = await service.verify((await ctx.login('root')).access);
    if (!root.ok) return expect.unreachable(root.code);
    expect(requirePermission(root.claims, ['users:delete', 'orders:refund'])).toEqual({ ok: true });
  });

  test('roles only (the default): permissions_unknown, and Gatehouse answers with the same token', async () => {
    const { port, user, verifier } = await gatehouse({ GATEHOUSE_ALGORITHM: 'EdDSA' });
    await grant(user.publicId, ['posts:publish']);
    const { access } = await ctx.login('alice');
    const result = await verifier().verify(readBearer(`Bearer ${access}`));
    if (!result.ok) return expect.unreachable(result.code);
    expect(hasRole(result.claims, 'support')).toBe(true);
    expect(requirePermission(result.claims, 'posts:publish')).toEqual({
      ok: false,
      code: 'permissions_unknown',
    });

    // What the README tells a service to do then.
    const response = await fetch(`http://127.0.0.1:${port}/api/users/me/permissions/`, {
      headers: { authorization: `Bearer ${access}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ is_superuser: false, permissions: ['posts:publish'] });
  });
});
