import type { IdentityResponse, OidcProvider } from '@gatehouse/contract';
import type { Account } from './auth-state.js';
import { errorFromResponse, unexpectedResponse } from './errors.js';
import { readJson, type Http } from './http.js';

export type { OidcProvider };
/** A provider's identity linked to the signed-in user's account. */
export type Identity = IdentityResponse;

/** Signing in with OpenID Connect (and OAuth) providers, and the identities they linked. */
export interface OidcSignIn {
  /** The providers Gatehouse offers, for a button each. */
  oidcProviders(): Promise<OidcProvider[]>;
  /**
   * Takes the single-use code a provider's sign-in left in the page's fragment (`#code=…`): signs in as
   * `login` does, a `SecondFactorRequired` included. A used or expired code: `oidc_code_invalid`.
   */
  exchangeOidcCode(code: string): Promise<Account>;
  /** The providers' identities linked to the signed-in user's account. */
  identities(): Promise<Identity[]>;
  /**
   * Removes a linked identity. Needs a recent sign-in (`reauthentication_required`); refused when it is
   * the account's last way to sign in (`oidc_last_method`).
   */
  unlinkIdentity(id: string): Promise<void>;
}

export interface OidcDeps {
  http: Http;
  authenticatedFetch(path: string, init: RequestInit): Promise<Response>;
  now(): number;
  /** Posts to a login route and starts the session it answers with. */
  signIn(path: string, body: object): Promise<{ user: Account }>;
}

export function createOidc({ http, authenticatedFetch, now, signIn }: OidcDeps): OidcSignIn {
  async function signedIn(method: string, path: string): Promise<unknown> {
    const headers = http.modeHeaders(new Headers({ accept: 'application/json' }));
    const response = await authenticatedFetch(path, { method, headers });
    if (!response.ok) throw await errorFromResponse(response, now());
    return readJson(response);
  }

  return {
    oidcProviders: async () => readList(await http.call('GET', '/api/auth/oidc/providers/'), readProvider),
    exchangeOidcCode: async (code) => (await signIn('/api/auth/oidc/exchange/', { code })).user,
    identities: async () => readList(await signedIn('GET', '/api/users/me/identities/'), readIdentity),
    async unlinkIdentity(id) {
      await signedIn('DELETE', `/api/users/me/identities/${encodeURIComponent(id)}/`);
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const unexpected = (what: string) => unexpectedResponse(200, `The server's answer has ${what}.`);

function readList<T>(body: unknown, read: (item: unknown) => T): T[] {
  if (!Array.isArray(body)) throw unexpected('no list');
  return body.map(read);
}

function readProvider(body: unknown): OidcProvider {
  if (!isRecord(body) || typeof body['name'] !== 'string' || typeof body['display_name'] !== 'string') {
    throw unexpected('no provider');
  }
  return { name: body['name'], display_name: body['display_name'] };
}

function readIdentity(body: unknown): Identity {
  if (!isRecord(body) || typeof body['id'] !== 'string' || typeof body['provider'] !== 'string') {
    throw unexpected('no identity');
  }
  return body as unknown as Identity;
}
