/**
 * A mailed link's token, as `#token=…`, or the single-use code a provider's sign-in hands to /login/oidc,
 * as `#code=…`: in the fragment, which browsers send to no server and in no Referer.
 */
export function readLinkToken(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const value = params.get('token') ?? params.get('code');
  return value === null || value === '' ? null : value;
}

export interface TakenToken {
  /** The page the link opened: the token is for it alone. */
  pathname: string;
  token: string;
}

/**
 * Takes a link's token out of the address bar, at once (history.replaceState): from then on it lives in
 * memory only, and is not left in the history, a bookmark, a shared screenshot, or for any script that
 * reads the URL later. Null when the address has none.
 */
export function takeLinkToken(
  location: Pick<Location, 'hash' | 'pathname' | 'search'>,
  history: Pick<History, 'replaceState' | 'state'>,
): TakenToken | null {
  const token = readLinkToken(location.hash);
  if (token === null) return null;
  const { pathname, search } = location;
  history.replaceState(history.state, '', `${pathname}${search}`);
  return { pathname, token };
}
