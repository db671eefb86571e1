/** Where a provider's sign-in returns to, and what it is for (`link`: add it to the signed-in account). */
export interface OidcStartOptions {
  /** A path of this app (default: the server's choice, `/`), or an absolute URL of a listed CORS origin. */
  next?: string;
  intent?: 'login' | 'link';
  /** The S256 PKCE challenge of a sign-in for another origin (`oidcCrossOriginStartUrl` makes it). */
  codeChallenge?: string;
}

/**
 * The URL of a provider's sign-in: the browser goes there (a navigation, not a fetch), and comes back to
 * `next` signed in, or with the reason it was not in its fragment.
 */
export function oidcStartPath(name: string, { next, intent, codeChallenge }: OidcStartOptions = {}): string {
  const query = new URLSearchParams();
  if (next !== undefined) query.set('next', next);
  if (intent !== undefined) query.set('intent', intent);
  if (codeChallenge !== undefined) query.set('code_challenge', codeChallenge);
  const search = query.toString();
  return `/api/auth/oidc/${encodeURIComponent(name)}/start${search && `?${search}`}`;
}
