import { createHash, randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A GitHub user as `/user` and `/user/emails` give it. */
export interface TestGithubUser {
  id: number;
  login: string;
  name?: string | null;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

export interface TestGithub {
  /** http://127.0.0.1:<port>: GATEHOUSE_OIDC_GITHUB_URL and GATEHOUSE_OIDC_GITHUB_API_URL. */
  url: string;
  clientId: string;
  clientSecret: string;
  /** The user who "signs in" at the next authorization (GitHub's own login page is not played). */
  signInAs(user: TestGithubUser): void;
  /**
   * Follows `authorizationUrl` as GitHub's authorize page would once the user approves: the redirect
   * back, with code and state.
   */
  authorize(authorizationUrl: string): Promise<URL>;
  close(): Promise<void>;
}

/**
 * GitHub's documented OAuth web flow and REST endpoints, on loopback: GET /login/oauth/authorize,
 * POST /login/oauth/access_token (with PKCE S256), GET /user and GET /user/emails with the bearer token.
 */
export async function startGithub(): Promise<TestGithub> {
  const clientId = 'Iv1.gatehouse';
  const clientSecret = randomBytes(20).toString('hex');
  let current: TestGithubUser | undefined;
  const codes = new Map<string, { user: TestGithubUser; redirectUri: string; challenge: string }>();
  const tokens = new Map<string, TestGithubUser>();

  const server: Server = http.createServer((request, response) => {
    void handle(request).then(
      ({ status, body, location }) => {
        response.statusCode = status;
        if (location) response.setHeader('location', location);
        if (body !== undefined) {
          response.setHeader('content-type', 'application/json; charset=utf-8');
          response.end(JSON.stringify(body));
        } else response.end();
      },
      () => {
        response.statusCode = 500;
        response.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function handle(
    request: IncomingMessage,
  ): Promise<{ status: number; body?: unknown; location?: string }> {
    const target = new URL(request.url ?? '/', url);
    if (request.method === 'GET' && target.pathname === '/login/oauth/authorize') {
      const query = target.searchParams;
      const redirectUri = query.get('redirect_uri') ?? '';
      if (query.get('client_id') !== clientId || !current) return { status: 404 };
      if (query.get('code_challenge_method') !== 'S256') return { status: 400 };
      const code = randomBytes(10).toString('hex');
      codes.set(code, { user: current, redirectUri, challenge: query.get('code_challenge') ?? '' });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', query.get('state') ?? '');
      return { status: 302, location: back.href };
    }
    if (request.method === 'POST' && target.pathname === '/login/oauth/access_token') {
      const form = new URLSearchParams(await bodyOf(request));
      const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const [id, secret] = basic
        ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent)
        : [form.get('client_id'), form.get('client_secret')];
      if (id !== clientId || secret !== clientSecret)
        return { status: 200, body: { error: 'incorrect_client_credentials' } };
      const grant = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (!grant || grant.redirectUri !== form.get('redirect_uri') || grant.challenge !== challenge) {
        // GitHub answers a bad code with 200 and an error body.
        return { status: 200, body: { error: 'bad_verification_code' } };
      }
      const token = `gho_${randomBytes(16).toString('hex')}`;
      tokens.set(token, grant.user);
      return {
        status: 200,
        body: { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' },
      };
    }
    const bearer = /^(?:Bearer|token) (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const user = bearer === undefined ? undefined : tokens.get(bearer);
    if (request.method === 'GET' && (target.pathname === '/user' || target.pathname === '/user/emails')) {
      if (!user) return { status: 401, body: { message: 'Requires authentication' } };
      if (target.pathname === '/user/emails') return { status: 200, body: user.emails };
      const primary = user.emails.find((entry) => entry.primary);
      return {
        status: 200,
        body: { id: user.id, login: user.login, name: user.name ?? null, email: primary?.email ?? null },
      };
    }
    return { status: 404, body: { message: 'Not Found' } };
  }

  return {
    url,
    clientId,
    clientSecret,
    signInAs(user) {
      current = user;
    },
    async authorize(authorizationUrl) {
      const response = await fetch(authorizationUrl, { redirect: 'manual' });
      const location = response.headers.get('location');
      if (response.status !== 302 || !location) throw new Error(`test GitHub: ${response.status}`);
      return new URL(location);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
