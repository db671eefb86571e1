import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startOidcProvider, type TestOidcProvider } from './oidc-provider.js';

const REDIRECT = 'http://127.0.0.1:8000/api/auth/oidc/corp/callback';

describe('the test OpenID provider', () => {
  let op: TestOidcProvider;
  let config: client.Configuration;
  beforeAll(async () => {
    op = await startOidcProvider({
      redirectUris: [REDIRECT],
      users: [{ login: 'alice', email: 'alice@example.com', email_verified: 'false' }],
    });
    config = await client.discovery(new URL(op.issuer), op.clientId, op.clientSecret, undefined, {
      execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
    });
  });
  afterAll(() => op.close());

  const authorization = async () => {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url, verifier, state, nonce };
  };

  test('signs a user in through its login form and gives their claims as set (email_verified a string)', async () => {
    const { url, verifier, state, nonce } = await authorization();
    const back = await op.authorize(url.href, 'alice');
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('iss')).toBe(op.issuer);
    const tokens = await client.authorizationCodeGrant(config, back, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    expect(tokens.claims()?.sub).toBe('alice');
    const info = await client.fetchUserInfo(config, tokens.access_token, 'alice');
    expect(info).toMatchObject({ email: 'alice@example.com', email_verified: 'false' });
  });

  test('a user who cancels at the login form is sent back with access_denied', async () => {
    const { url } = await authorization();
    const back = await op.deny(url.href);
    expect(back.searchParams.get('error')).toBe('access_denied');
  });
});
