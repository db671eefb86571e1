const REFRESH_COOKIE = 'gatehouse_refresh';
const COOKIE_PATH = '/api/auth';

/**
 * A browser's handling of the refresh cookie over real HTTP: kept from Set-Cookie (Max-Age=0 clears it)
 * and sent back under its Path, as a browser does; everything else passes through.
 */
export function withCookieJar(fetch: typeof globalThis.fetch) {
  let value: string | null = null;
  const browserFetch: typeof globalThis.fetch = async (input, init = {}) => {
    const headers = new Headers(init.headers);
    if (value !== null && new URL(String(input)).pathname.startsWith(COOKIE_PATH)) {
      headers.set('cookie', `${REFRESH_COOKIE}=${value}`);
    }
    const response = await fetch(input, { ...init, headers });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = cookie.split(';').map((part) => part.trim());
      const [name, ...rest] = pair.split('=');
      if (name !== REFRESH_COOKIE) continue;
      const cleared = attributes.some((attribute) => attribute.toLowerCase() === 'max-age=0');
      value = cleared || rest.join('=') === '' ? null : rest.join('=');
    }
    return response;
  };
  return {
    fetch: browserFetch,
    cookie: {
      get: () => value,
      set: (next: string | null) => {
        value = next;
      },
    },
  };
}
