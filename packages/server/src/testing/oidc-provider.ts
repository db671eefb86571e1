import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type OidcProviderContext } from 'oidc-provider';

/**
 * A user of the test provider. `email_verified` is given to Gatehouse exactly as set here: `true`,
 * `false`, the string "false" (as Google has sent it), or absent.
 */
export interface TestOidcUser {
  /** The login typed at the provider's login form; also the subject unless `sub` is set. */
  login: string;
  sub?: string;
  email?: string;
  email_verified?: boolean | string;
  name?: string;
  preferred_username?: string;
}

export interface TestOidcProvider {
  /** http://127.0.0.1:<port>: loopback, so Gatehouse accepts it over plain http. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Adds or replaces a user. */
  setUser(user: TestOidcUser): void;
  /**
   * Plays a browser at the provider: follows `authorizationUrl` to the login form (oidc-provider's
   * devInteractions, the page Chromium sees), signs in as `login` and returns the URL the provider
   * redirects back to (the callback, with code, state and iss).
   */
  authorize(authorizationUrl: string, login: string): Promise<URL>;
  /** As authorize, but the user cancels at the login form: the callback gets `error=access_denied`. */
  deny(authorizationUrl: string): Promise<URL>;
  close(): Promise<void>;
}

export interface TestOidcProviderOptions {
  /** The redirect URIs registered for the client (Gatehouse's `<PUBLIC_URL>/api/auth/oidc/<name>/callback`). */
  redirectUris: string[];
  users?: TestOidcUser[];
  clientId?: string;
}

/**
 * A real OpenID provider (oidc-provider, the certified implementation) on 127.0.0.1 and a random port,
 * with one confidential client. Consent is granted on login, so a user sees only the login form.
 */
export async function startOidcProvider(options: TestOidcProviderOptions): Promise<TestOidcProvider> {
  const users = new Map<string, TestOidcUser>();
  for (const user of options.users ?? []) users.set(user.login, user);
  const clientId = options.clientId ?? 'gatehouse';
  const clientSecret = randomBytes(24).toString('base64url');

  const server: Server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test', alg: 'ES256', use: 'sig' };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    pkce: { required: () => true },
    // Set, so oidc-provider does not remind of its defaults on every test.
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 600,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
    },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx: unknown, id: string) {
      const user = users.get(id);
      if (!user) return undefined;
      return {
        accountId: id,
        async claims() {
          const { login, sub, ...claims } = user;
          return { sub: sub ?? login, ...claims };
        },
      };
    },
    // Consent is not what these tests are about: a grant of the requested OIDC scopes on login.
    async loadExistingGrant(ctx: OidcProviderContext) {
      const { oidc } = ctx;
      const clientIdOf = oidc.client?.clientId;
      const grantId =
        oidc.result?.consent?.grantId ??
        (clientIdOf === undefined ? undefined : oidc.session?.grantIdFor(clientIdOf));
      if (grantId) return oidc.provider.Grant.find(grantId);
      const grant = new oidc.provider.Grant({ accountId: oidc.session?.accountId, clientId: clientIdOf });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });
  server.on('request', provider.callback());

  return {
    issuer,
    clientId,
    clientSecret,
    setUser: (user) => users.set(user.login, user),
    async authorize(authorizationUrl, login) {
      return visitWith(authorizationUrl, async (page, url, go) => {
        const action = /action="([^"]+)"/.exec(page)?.[1];
        if (!action) throw new Error(`test provider: no login form at ${url.pathname}`);
        return go(new URL(action.replaceAll('&amp;', '&'), url), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ prompt: 'login', login, password: 'any' }).toString(),
        });
      });
    },
    async deny(authorizationUrl) {
      return visitWith(authorizationUrl, async (page, url, go) => {
        const abort = /href="([^"]*\/abort)"/.exec(page)?.[1];
        if (!abort) throw new Error(`test provider: no cancel link at ${url.pathname}`);
        return go(new URL(abort, url));
      });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };

  /** A browser's visit: follows redirects within the provider, keeping its cookies, until it leaves. */
  async function visitWith(
    authorizationUrl: string,
    act: (
      page: string,
      url: URL,
      go: (url: URL, init?: RequestInit) => Promise<Response>,
    ) => Promise<Response>,
  ): Promise<URL> {
    const jar = new Map<string, string>();
    const go = async (url: URL, init: RequestInit = {}) => {
      const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
      const response = await fetch(url, {
        ...init,
        redirect: 'manual',
        headers: { ...(init.headers as Record<string, string> | undefined), cookie },
      });
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const at = pair.indexOf('=');
        jar.set(pair.slice(0, at), pair.slice(at + 1));
      }
      return response;
    };
    let url = new URL(authorizationUrl);
    let response = await go(url);
    for (let hops = 0; hops < 20; hops++) {
      if (response.status >= 300 && response.status < 400) {
        const location = new URL(response.headers.get('location') ?? '', url);
        if (location.origin !== issuer) return location;
        url = location;
        response = await go(url);
        continue;
      }
      if (response.status !== 200 || !url.pathname.startsWith('/interaction/')) {
        throw new Error(`test provider: ${response.status} at ${url.pathname}: ${await response.text()}`);
      }
      response = await act(await response.text(), url, go);
    }
    throw new Error('test provider: too many redirects');
  }
}
