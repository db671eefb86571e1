import type { IdentityResponse, OidcProvider } from '@gatehouse/contract';
import type { Account } from './auth-state.js';
import { errorFromResponse, unexpectedResponse } from './errors.js';
import { readJson, type Http } from './http.js';
import { oidcStartPath } from './oidc-start.js';

export type { OidcProvider };
/** A provider's identity linked to the signed-in user's account. */
export type Identity = IdentityResponse;

/** Signing in with OpenID Connect (and OAuth) providers, and the identities they linked. */
export interface OidcSignIn {
  /** The providers Gatehouse offers, for a button each. */
  oidcProviders(): Promise<OidcProvider[]>;
  /**
   * Where to send the browser to sign in with a provider from an app on another origin (a listed CORS
   * origin): `next` is the absolute URL of the app's page the code comes back to (`next#code=…`). It
   * keeps a PKCE verifier for that page (`flowStorage`, by default sessionStorage: this tab's) and puts
   * its S256 challenge in the URL; `exchangeOidcCode` on that page then sends the verifier, so a code
   * from someone else's sign-in, planted in the page, is refused (`oidc_code_invalid`).
   */
  oidcCrossOriginStartUrl(name: string, options: { next: string }): Promise<string>;
  /**
   * Takes the single-use code a provider's sign-in left in the page's fragment (`#code=…`): signs in as
   * `login` does, a `SecondFactorRequired` included. A used or expired code, or one without the verifier
   * kept by `oidcCrossOriginStartUrl` for this page: `oidc_code_invalid`. `landing`: the page the code
   * came to (default: this page, `location`; required where there is none).
   */
  exchangeOidcCode(code: string, options?: { landing?: string }): Promise<Account>;
  /** The providers' identities linked to the signed-in user's account. */
  identities(): Promise<Identity[]>;
  /**
   * Removes a linked identity. Needs a recent sign-in (`reauthentication_required`); refused when it is
   * the account's last way to sign in (`oidc_last_method`).
   */
  unlinkIdentity(id: string): Promise<void>;
}

/** Where a cross-origin sign-in's PKCE verifier waits for its code (the Web Storage API's shape). */
export interface FlowStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const VERIFIER_KEY = 'gatehouse.oidc_verifier:';
/** One verifier per landing page (the `next` the code comes back to, as the server keeps it). */
const verifierKey = (page: string) => {
  const url = new URL(page, typeof location === 'undefined' ? undefined : location.href);
  return `${VERIFIER_KEY}${url.origin}${url.pathname}${url.search}`;
};

/** This tab's sessionStorage, or memory where there is none (Node). */
function defaultFlowStorage(): FlowStorage {
  if (typeof sessionStorage !== 'undefined') return sessionStorage;
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}

export interface OidcDeps {
  http: Http;
  /** Default: `defaultFlowStorage()`. */
  flowStorage?: FlowStorage;
  authenticatedFetch(path: string, init: RequestInit): Promise<Response>;
  now(): number;
  /** Posts to a login route and starts the session it answers with. */
  signIn(path: string, body: object): Promise<{ user: Account }>;
}

export function createOidc({ http, authenticatedFetch, now, signIn, flowStorage }: OidcDeps): OidcSignIn {
  const storage = flowStorage ?? defaultFlowStorage();
  async function signedIn(method: string, path: string): Promise<unknown> {
    const headers = http.modeHeaders(new Headers({ accept: 'application/json' }));
    const response = await authenticatedFetch(path, { method, headers });
    if (!response.ok) throw await errorFromResponse(response, now());
    return readJson(response);
  }

  return {
    oidcProviders: async () => readList(await http.call('GET', '/api/auth/oidc/providers/'), readProvider),
    async oidcCrossOriginStartUrl(name, { next }) {
      const key = verifierKey(next);
      const { newPkcePair } = await import('./oidc-pkce.js');
      const { verifier, challenge } = await newPkcePair();
      storage.setItem(key, verifier);
      return http.url(oidcStartPath(name, { next, codeChallenge: challenge }));
    },
    async exchangeOidcCode(code, { landing } = {}) {
      const page = landing ?? (typeof location === 'undefined' ? undefined : location.href);
      const key = page === undefined ? undefined : verifierKey(page);
      const verifier = key === undefined ? null : storage.getItem(key);
      // Used once, whatever the answer: the server spends the code either way.
      if (key !== undefined) storage.removeItem(key);
      const body = { code, ...(verifier !== null && { code_verifier: verifier }) };
      return (await signIn('/api/auth/oidc/exchange/', body)).user;
    },
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
