import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startGithub, type TestGithub } from '../../testing/github-oauth.js';
import { createTestContext, decodePayload, type TestContext } from '../../testing/test-app.js';

let github: TestGithub;
beforeAll(async () => {
  github = await startGithub();
});
afterAll(() => github.close());

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({
    GATEHOUSE_PUBLIC_URL: 'http://127.0.0.1:8000',
    GATEHOUSE_OIDC_PROVIDERS: 'github',
    GATEHOUSE_OIDC_GITHUB_CLIENT_ID: github.clientId,
    GATEHOUSE_OIDC_GITHUB_CLIENT_SECRET: github.clientSecret,
    GATEHOUSE_OIDC_GITHUB_URL: github.url,
    GATEHOUSE_OIDC_GITHUB_API_URL: github.url,
  });
});
afterAll(() => ctx.close());

const cookie = (response: LightMyRequestResponse, name: string) =>
  /(?:^|,)\s*([^=,]+)=([^;]*)/.exec(
    [response.headers['set-cookie']].flat().find((line) => line?.startsWith(`${name}=`)) ?? '',
  )?.[2];

async function signIn() {
  const started = await ctx.app.inject({ method: 'GET', url: '/api/auth/oidc/github/start' });
  expect(started.statusCode).toBe(302);
  const authorization = new URL(String(started.headers.location));
  const back = await github.authorize(authorization.href);
  const response = await ctx.app.inject({
    method: 'GET',
    url: `${back.pathname}${back.search}`,
    headers: { cookie: `gatehouse_oidc=${cookie(started, 'gatehouse_oidc')}` },
  });
  return { authorization, response };
}

test('the GitHub preset: its authorize endpoint with PKCE, no nonce; an account by its numeric id, the verified primary address', async () => {
  github.signInAs({
    id: 4242,
    login: 'octo-cat',
    name: 'Octo Cat',
    emails: [
      { email: 'old@example.com', primary: false, verified: true },
      { email: 'octo@example.com', primary: true, verified: true },
    ],
  });
  const { authorization, response } = await signIn();
  expect(authorization.origin + authorization.pathname).toBe(`${github.url}/login/oauth/authorize`);
  expect(authorization.searchParams.get('scope')).toBe('read:user user:email');
  expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorization.searchParams.has('nonce')).toBe(false);
  expect(response.headers.location).toBe('/');
  const refresh = cookie(response, 'gatehouse_refresh') ?? '';
  expect(decodePayload(refresh)['amr']).toEqual(['fed']);
  const octo = await ctx.rows.userByUsernameKey('octo-cat');
  expect(octo).toMatchObject({ email: 'octo@example.com', emailVerified: true, name: 'Octo Cat' });
  expect(await ctx.store.listIdentities(octo?.id ?? 0)).toMatchObject([
    { provider: 'github', issuer: github.url, subject: '4242', email: 'octo@example.com' },
  ]);

  // Renamed at GitHub: still the same identity (the id, not the login).
  github.signInAs({
    id: 4242,
    login: 'renamed',
    emails: [{ email: 'octo@example.com', primary: true, verified: true }],
  });
  const again = await signIn();
  expect(decodePayload(cookie(again.response, 'gatehouse_refresh') ?? '')['user_id']).toBe(octo?.id);
});

test('an unverified primary address is not taken: the new account has none, and no account is linked by it', async () => {
  const local = await ctx.createUser({ username: 'lena', email: 'lena@example.com', emailVerified: true });
  github.signInAs({
    id: 7,
    login: 'lena-gh',
    emails: [{ email: 'lena@example.com', primary: true, verified: false }],
  });
  const { response } = await signIn();
  expect(response.headers.location).toBe('/');
  const created = await ctx.rows.userByUsernameKey('lena-gh');
  expect(created).toMatchObject({ email: null, emailVerified: false });
  expect(await ctx.store.listIdentities(local.id)).toEqual([]);
});

test('a verified primary address links a local account that verified it', async () => {
  const local = await ctx.createUser({ username: 'max', email: 'max@example.com', emailVerified: true });
  github.signInAs({
    id: 8,
    login: 'maxgh',
    emails: [{ email: 'max@example.com', primary: true, verified: true }],
  });
  const { response } = await signIn();
  expect(decodePayload(cookie(response, 'gatehouse_refresh') ?? '')['user_id']).toBe(local.id);
  expect(await ctx.store.listIdentities(local.id)).toMatchObject([{ subject: '8' }]);
});
