import { GATEHOUSE_PERMISSIONS as P } from '@gatehouse/contract';
import { afterEach, describe, expect, test } from 'vitest';
import { fitClaims } from '../../core/access-claims.js';
import { assignRoles, makeRole } from '../../testing/roles.js';
import { createTestContext, decodePayload, type TestContext } from '../../testing/test-app.js';

let ctx: TestContext | undefined;
afterEach(() => ctx?.close());

const get = (url: string, token: string) =>
  (ctx as TestContext).app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
const refresh = async (token: string) =>
  (
    await (ctx as TestContext).app.inject({
      method: 'POST',
      url: '/api/token/refresh/',
      payload: { refresh: token },
    })
  ).json() as { access: string; refresh: string };

describe('roles and permissions in access tokens', () => {
  test('roles always (sorted, direct and through groups); permissions only when configured', async () => {
    for (const [env, withPermissions] of [
      [{}, false],
      [{ GATEHOUSE_TOKEN_PERMISSIONS: 'true' }, true],
    ] as const) {
      ctx = await createTestContext(env);
      const alice = await ctx.createUser({ username: 'alice' });
      await ctx.createUser({ username: 'root', isSuperuser: true });
      await makeRole(ctx.store, 'support', [P.usersRead]);
      await makeRole(ctx.store, 'editor', ['posts:publish']);
      await assignRoles(ctx.store, alice, ['support']);
      await ctx.store.createGroup({ name: 'desk', description: '', roles: ['editor'] }, new Date(), {
        at: new Date(),
        actorId: null,
        actor: 'test',
        action: 'group.create',
        targetId: null,
        target: '',
        detail: {},
        ip: '',
      });
      await ctx.store.setUserGroups(alice.id, ['desk'], () => ({
        at: new Date(),
        actorId: null,
        actor: 'test',
        action: 'user.groups',
        targetId: null,
        target: '',
        detail: {},
        ip: '',
      }));
      const pair = await ctx.login('alice');
      const claims = decodePayload(pair.access);
      expect(claims.roles).toEqual(['editor', 'support']);
      expect(claims.permissions).toEqual(withPermissions ? ['posts:publish', 'users:read'] : undefined);
      expect(claims).not.toHaveProperty('authz_omitted');
      // The refresh token carries none: the access token is what services read.
      expect(decodePayload(pair.refresh)).not.toHaveProperty('roles');
      const superuser = decodePayload((await ctx.login('root')).access);
      expect(superuser.roles).toEqual([]);
      expect(superuser.permissions).toEqual(withPermissions ? ['*'] : undefined);
      await ctx.close();
      ctx = undefined;
    }
  });

  test('staleness: a removed role stays in the current access token until the next refresh, and Gatehouse refuses at once', async () => {
    ctx = await createTestContext();
    const support = await ctx.createUser({ username: 'support' });
    await makeRole(ctx.store, 'support', [P.usersRead]);
    await assignRoles(ctx.store, support, ['support']);
    const pair = await ctx.login('support');
    expect(decodePayload(pair.access).roles).toEqual(['support']);
    expect((await get('/api/users/', pair.access)).statusCode).toBe(200);

    await assignRoles(ctx.store, support, []);
    // The token in hand still says so (a service behind Gatehouse believes it until it expires)…
    expect(decodePayload(pair.access).roles).toEqual(['support']);
    // …Gatehouse's own routes read the database: refused at once, with the same token.
    expect((await get('/api/users/', pair.access)).statusCode).toBe(403);
    // The next refresh says what is true now.
    const next = await refresh(pair.refresh);
    expect(decodePayload(next.access).roles).toEqual([]);
    expect((await get('/api/users/me/permissions/', next.access)).json()).toMatchObject({ roles: [] });
  });

  test.each(['HS256', 'RS256'])(
    'a user in 200 roles with long names: the %s access token stays under 4 KB and says what it left out',
    async (algorithm) => {
      ctx = await createTestContext({
        GATEHOUSE_TOKEN_PERMISSIONS: 'true',
        ...(algorithm === 'RS256' && { GATEHOUSE_ALGORITHM: 'RS256', GATEHOUSE_SIGNING_KEY: '' }),
      });
      const many = await ctx.createUser({ username: 'many' });
      const names = Array.from({ length: 200 }, (_, i) =>
        `${'Département régional '.repeat(3)}n°${i}`.slice(0, 80),
      );
      for (const [i, name] of names.entries()) {
        await makeRole(ctx.store, name, [`service${i}:read`, `service${i}:write`]);
      }
      await assignRoles(ctx.store, many, names);
      for (const token of [(await ctx.login('many')).access]) {
        expect(Buffer.byteLength(token)).toBeLessThan(4096);
        const claims = decodePayload(token);
        expect(claims.authz_omitted).toEqual(['permissions', 'roles']);
        expect(claims).not.toHaveProperty('permissions');
        const roles = claims.roles as string[];
        expect(roles.length).toBeGreaterThan(10);
        expect(roles).toEqual([...names].sort().slice(0, roles.length));
      }
      // And on refresh, the same.
      const refreshed = (await refresh((await ctx.login('many')).refresh)).access;
      expect(Buffer.byteLength(refreshed)).toBeLessThan(4096);
      expect(decodePayload(refreshed).authz_omitted).toEqual(['permissions', 'roles']);
      // The full set is one request away.
      const full = (await get('/api/users/me/permissions/', refreshed)).json() as {
        effective_roles: string[];
      };
      expect(full.effective_roles).toHaveLength(200);
    },
  );
});

describe('fitClaims', () => {
  test('whole when within the budget; permissions dropped first, then roles cut', () => {
    expect(fitClaims(['a', 'b'], ['x:y'], 100)).toEqual({ roles: ['a', 'b'], permissions: ['x:y'] });
    expect(fitClaims(['a', 'b'], undefined, 100)).toEqual({ roles: ['a', 'b'] });
    const roles = ['aaaa', 'bbbb', 'cccc'];
    const withoutPermissions = fitClaims(roles, ['x:'.padEnd(60, 'y')], 70);
    expect(withoutPermissions).toEqual({ roles, authz_omitted: ['permissions'] });
    const six = ['aaaa', 'bbbb', 'cccc', 'dddd', 'eeee', 'ffff'];
    const cut = fitClaims(six, undefined, 52);
    expect(cut).toEqual({ roles: ['aaaa', 'bbbb'], authz_omitted: ['roles'] });
    expect(Buffer.byteLength(JSON.stringify(cut))).toBe(51);
    expect(fitClaims(roles, ['p:q'], 10)).toEqual({ roles: [], authz_omitted: ['permissions', 'roles'] });
  });
});
