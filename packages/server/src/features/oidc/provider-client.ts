import * as client from 'openid-client';
import { isLoopbackHost, type OidcProviderConfig } from './config.js';

/** Who the provider says signed in: its subject, and what it says of their address. */
export interface ProviderProfile {
  subject: string;
  email: string | null;
  /**
   * Only the boolean `true` counts: Google has sent the string "false", and a string is never taken
   * for a verification.
   */
  emailVerified: boolean;
  /** For a new account's username and display name. */
  preferredUsername: string | null;
  name: string | null;
}

/** What the start of a flow sends to the provider, and what the callback checks against. */
export interface FlowSecrets {
  state: string;
  /** OIDC only: echoed in the ID token. */
  nonce: string;
  codeVerifier: string;
}

export interface ProviderClient {
  readonly config: OidcProviderConfig;
  authorizationUrl(redirectUri: string, secrets: FlowSecrets): Promise<URL>;
  /**
   * The callback's URL (its query, at the redirect URI) checked and exchanged: state, RFC 9207 `iss`
   * when sent (and when the provider says it sends it), the code with the PKCE verifier, the ID token's
   * signature, iss, aud, exp and nonce, all by openid-client. Throws when any of it fails.
   */
  exchange(callbackUrl: URL, secrets: FlowSecrets): Promise<ProviderProfile>;
}

/**
 * The provider's metadata, discovered on first use and kept (a provider down at start does not stop the
 * server, and a failed discovery is tried again on the next sign-in).
 */
export function createProviderClient(config: OidcProviderConfig): ProviderClient {
  const insecure =
    new URL(config.issuer).protocol === 'http:' && isLoopbackHost(new URL(config.issuer).hostname);
  let configuration: Promise<client.Configuration> | undefined;
  const configure = () => {
    configuration ??= discover(config, insecure).catch((error: unknown) => {
      configuration = undefined;
      throw error;
    });
    return configuration;
  };

  return {
    config,
    async authorizationUrl(redirectUri, secrets) {
      const parameters: Record<string, string> = {
        redirect_uri: redirectUri,
        scope: config.scopes.join(' '),
        state: secrets.state,
        code_challenge: await client.calculatePKCECodeChallenge(secrets.codeVerifier),
        code_challenge_method: 'S256',
      };
      if (config.kind === 'oidc') parameters['nonce'] = secrets.nonce;
      return client.buildAuthorizationUrl(await configure(), parameters);
    },

    async exchange(callbackUrl, secrets) {
      const configuration = await configure();
      if (config.kind === 'github') {
        const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
          expectedState: secrets.state,
          pkceCodeVerifier: secrets.codeVerifier,
        });
        return githubProfile(configuration, config, tokens.access_token);
      }
      const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
        expectedState: secrets.state,
        expectedNonce: secrets.nonce,
        pkceCodeVerifier: secrets.codeVerifier,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new Error('no ID token');
      let source: Record<string, unknown> = claims;
      // Many providers put the address only in the UserInfo answer to a code flow; its subject is checked.
      if (claims.email === undefined && configuration.serverMetadata().userinfo_endpoint !== undefined) {
        source = { ...(await client.fetchUserInfo(configuration, tokens.access_token, claims.sub)) };
      }
      return {
        subject: claims.sub,
        email: typeof source['email'] === 'string' ? source['email'] : null,
        emailVerified: source['email_verified'] === true,
        preferredUsername: stringOrNull(source['preferred_username'] ?? claims['preferred_username']),
        name: stringOrNull(source['name'] ?? claims['name']),
      };
    },
  };
}

async function discover(config: OidcProviderConfig, insecure: boolean): Promise<client.Configuration> {
  if (config.kind === 'github') {
    // GitHub speaks OAuth 2 without discovery or ID tokens: its documented endpoints.
    const configuration = new client.Configuration(
      {
        issuer: config.issuer,
        authorization_endpoint: `${config.issuer}/login/oauth/authorize`,
        token_endpoint: `${config.issuer}/login/oauth/access_token`,
      },
      config.clientId,
      config.clientSecret,
    );
    if (insecure) client.allowInsecureRequests(configuration);
    return configuration;
  }
  // The ID token's signature is checked too, against the provider's published keys, not only TLS.
  const execute = [client.enableNonRepudiationChecks, ...(insecure ? [client.allowInsecureRequests] : [])];
  return client.discovery(new URL(config.issuer), config.clientId, config.clientSecret, undefined, {
    execute,
  });
}

/** GitHub's `/user` and `/user/emails`: its numeric id (stable; the login can be renamed), the verified primary address. */
async function githubProfile(
  configuration: client.Configuration,
  config: OidcProviderConfig,
  accessToken: string,
): Promise<ProviderProfile> {
  const api = config.apiUrl ?? 'https://api.github.com';
  const get = async (path: string): Promise<unknown> => {
    const headers = new Headers({ accept: 'application/vnd.github+json', 'user-agent': 'Gatehouse' });
    const response = await client.fetchProtectedResource(
      configuration,
      accessToken,
      new URL(`${api}${path}`),
      'GET',
      undefined,
      headers,
    );
    if (!response.ok) throw new Error(`GitHub ${path}: ${response.status}`);
    return response.json();
  };
  const user = (await get('/user')) as Record<string, unknown>;
  const id = user['id'];
  if (typeof id !== 'number' && typeof id !== 'string') throw new Error('GitHub /user: no id');
  const emails = await get('/user/emails');
  const primary = Array.isArray(emails)
    ? (emails as Record<string, unknown>[]).find(
        (entry) => entry['primary'] === true && entry['verified'] === true,
      )
    : undefined;
  const email = primary && typeof primary['email'] === 'string' ? primary['email'] : null;
  return {
    subject: String(id),
    email,
    emailVerified: email !== null,
    preferredUsername: stringOrNull(user['login']),
    name: stringOrNull(user['name']),
  };
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}
