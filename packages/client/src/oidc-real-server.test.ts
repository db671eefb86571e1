import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { codeOf as totpCode } from '../../server/src/testing/mfa.js';
import { startOidcProvider, type TestOidcProvider } from '../../server/src/testing/oidc-provider.js';
import { createTestContext, type TestContext } from '../../server/src/testing/test-app.js';
import { createAuthClient, type AuthClient } from './auth-client.js';
import { GatehouseError, SecondFactorRequired } from './errors.js';

// The client's provider sign-in against the real Gatehouse and a real OpenID provider (oidc-provider on
// loopback): an app on another origin (a listed CORS origin) gets the single-use code in its fragment and
// exchanges it with its PKCE verifier; the shapes the client reads are the server's own.

const PUBLIC_URL = 'http://127.0.0.1:8000';
const SPA = 'http://localhost:5173';

let corp: TestOidcProvider;
beforeAll(async () => {
  corp = await startOidcProvider({
    redirectUris: [`${PUBLIC_URL}/api/auth/oidc/corp/callback`],
    users: [
      { login: 'grace', email: 'grace@corp.example', email_verified: true, preferred_username: 'grace' },
    ],
  });
});
afterAll(() => corp.close());

let ctx: TestContext;
let baseUrl: string;
beforeEach(async () => {
  ctx = await createTestContext({
    GATEHOUSE_PUBLIC_URL: PUBLIC_URL,
    GATEHOUSE_CORS_ALLOWED_ORIGINS: SPA,
    GATEHOUSE_OIDC_PROVIDERS: 'corp',
    GATEHOUSE_OIDC_CORP_ISSUER: corp.issuer,
    GATEHOUSE_OIDC_CORP_CLIENT_ID: corp.clientId,
    GATEHOUSE_OIDC_CORP_CLIENT_SECRET: corp.clientSecret,
    GATEHOUSE_OIDC_CORP_DISPLAY_NAME: 'Corp SSO',
  });
  baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
});
afterEach(() => ctx.close());

const client = (): AuthClient =>
  createAuthClient({ baseUrl, mode: 'token', now: () => ctx.clock().getTime(), tabs: null });

/**
 * What the browser does with the start URL: Gatehouse → the provider's login as `login` → the callback,
 * with the flow's cookie. Answers where the callback sends the browser.
 */
async function signInAtProvider(startUrl: string, login: string): Promise<URL> {
  const started = await fetch(startUrl, { redirect: 'manual' });
  expect(started.status).toBe(302);
  const binding = started.headers
    .getSetCookie()
    .map((line) => line.split(';')[0] ?? '')
    .find((pair) => pair.startsWith('gatehouse_oidc='));
  const back = await corp.authorize(started.headers.get('location') ?? '', login);
  const callback = await fetch(`${baseUrl}${back.pathname}${back.search}`, {
    redirect: 'manual',
    headers: binding === undefined ? {} : { cookie: binding },
  });
  expect(callback.status).toBe(302);
  return new URL(callback.headers.get('location') ?? '', baseUrl);
}

const codeOf = (url: URL) => new URLSearchParams(url.hash.slice(1)).get('code') ?? '';

describe('a provider’s sign-in for an app on another origin, against the real server', () => {
  test('the providers; the start URL; the code from the fragment signs in; identities; unlinking the last way refused', async () => {
    const auth = client();
    expect(await auth.oidcProviders()).toEqual([{ name: 'corp', display_name: 'Corp SSO' }]);

    const startUrl = await auth.oidcCrossOriginStartUrl('corp', { next: `${SPA}/done` });
    expect(new URL(startUrl).searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const landing = await signInAtProvider(startUrl, 'grace');
    expect(`${landing.origin}${landing.pathname}`).toBe(`${SPA}/done`);
    expect(landing.search).toBe('');
    const user = await auth.exchangeOidcCode(codeOf(landing), { landing: landing.href });
    // A provider not trusted for email: the account has no address; its identity shows the provider's.
    expect(user).toMatchObject({ username: 'grace', email: null });
    expect(auth.getState()).toMatchObject({ status: 'signed-in', user: { username: 'grace' } });

    const identities = await auth.identities();
    expect(identities).toEqual([
      expect.objectContaining({
        provider: 'corp',
        display_name: 'Corp SSO',
        issuer: corp.issuer,
        subject: 'grace',
        email: 'grace@corp.example',
      }),
    ]);
    // An account made by the provider has no password: its one identity is its only way to sign in.
    const refusal = await auth.unlinkIdentity(identities[0]?.id ?? '').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(GatehouseError);
    expect(refusal).toMatchObject({ status: 400, code: 'oidc_last_method' });

    // Linking goes by the browser's refresh cookie, which this client (token mode) does not have: the start
    // sends the browser back to `next`, its fragment saying why (a navigation is never answered JSON).
    const link = await fetch(auth.oidcStartUrl('corp', { next: `${SPA}/settings`, intent: 'link' }), {
      redirect: 'manual',
    });
    expect(link.status).toBe(302);
    expect(link.headers.get('location')).toBe(`${SPA}/settings#oidc_error=not_authenticated`);

    // The code was single-use.
    const again = await client()
      .exchangeOidcCode(codeOf(landing), { landing: landing.href })
      .catch((error: unknown) => error);
    expect(again).toMatchObject({ status: 400, code: 'oidc_code_invalid' });
  });

  test('a second factor still applies: the exchange throws a SecondFactorRequired, the code completes it', async () => {
    const first = client();
    const firstLanding = await signInAtProvider(
      await first.oidcCrossOriginStartUrl('corp', { next: SPA }),
      'grace',
    );
    await first.exchangeOidcCode(codeOf(firstLanding), { landing: firstLanding.href });
    const { secret } = await first.startTotp();
    await first.confirmTotp(totpCode(ctx, secret));
    // The code that turned the app on is spent: the next one is of a later step.
    ctx.clock.advance(30);

    const auth = client();
    const landing = await signInAtProvider(
      await auth.oidcCrossOriginStartUrl('corp', { next: SPA }),
      'grace',
    );
    const challenge = await auth
      .exchangeOidcCode(codeOf(landing), { landing: landing.href })
      .catch((error: unknown) => error);
    expect(challenge).toBeInstanceOf(SecondFactorRequired);
    expect(challenge).toMatchObject({ code: 'mfa_required', methods: expect.arrayContaining(['otp']) });
    expect(auth.getState()).toEqual({ status: 'loading' });
    const { mfaToken } = challenge as SecondFactorRequired;
    const user = await auth.completeSecondFactor({ mfaToken, code: totpCode(ctx, secret) });
    expect(user.username).toBe('grace');
  });

  test("login CSRF: an attacker's code, planted in the victim's app, does not sign the victim in", async () => {
    // The attacker starts a sign-in for the app's page in their own client and keeps the code.
    const attacker = client();
    const planted = await signInAtProvider(
      await attacker.oidcCrossOriginStartUrl('corp', { next: `${SPA}/page` }),
      'grace',
    );
    // The victim's app (which started a sign-in of its own for that page, or none) finds the code there.
    const victim = client();
    await victim.oidcCrossOriginStartUrl('corp', { next: `${SPA}/page` });
    const refused = await victim
      .exchangeOidcCode(codeOf(planted), { landing: planted.href })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 400, code: 'oidc_code_invalid' });
    expect(victim.getState()).not.toMatchObject({ status: 'signed-in' });
    const bystander = await client()
      .exchangeOidcCode(codeOf(planted), { landing: planted.href })
      .catch((error: unknown) => error);
    expect(bystander).toMatchObject({ status: 400, code: 'oidc_code_invalid' });
  });

  test('a start for another origin without a challenge (the plain start URL) is not begun', async () => {
    const started = await fetch(client().oidcStartUrl('corp', { next: `${SPA}/done` }), {
      redirect: 'manual',
    });
    expect(started.status).toBe(302);
    expect(started.headers.get('location')).toBe(`${SPA}/done#oidc_error=oidc_failed`);
  });
});
