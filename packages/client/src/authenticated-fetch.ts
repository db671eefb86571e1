import { crossOriginPath, GatehouseError } from './errors.js';
import { isAbsolute, type Http } from './http.js';
import { is401, type Session } from './session.js';

export interface AuthenticatedFetchDeps {
  session: Session;
  http: Http;
  refresh: () => Promise<string>;
  /** The start in progress, if any: a request made meanwhile waits for the session it restores. */
  starting: () => Promise<unknown> | undefined;
}

/** A valid access token when asked, and fetch with it: ahead of expiry, or once more after a 401. */
export function createAuthenticatedFetch({ session, http, refresh, starting }: AuthenticatedFetchDeps) {
  const { access, state } = session;

  async function accessToken(waitForStart: boolean): Promise<string | null> {
    const pending = starting();
    if (waitForStart && pending && state.get().status === 'loading') await pending.catch(() => undefined);
    const token = access.get();
    if (token === null || access.isFresh(token)) return token;
    try {
      return await refresh();
    } catch (error) {
      if (is401(error)) return null;
      // Ahead of expiry, a refresh that could not reach the server costs nothing yet.
      if (error instanceof GatehouseError && error.code === 'network_error' && !access.isExpired(token)) {
        return token;
      }
      throw error;
    }
  }

  async function authenticatedFetch(input: string, init: RequestInit, waitForStart: boolean) {
    const target = http.resolve(input);
    // The access token goes to Gatehouse only, never to whatever URL happens to be passed here.
    if (!target?.isServer) {
      // A path that leaves the origin (`/\evil.example`) is a trick, and its answer would pass for the API's.
      if (target && !isAbsolute(input)) throw crossOriginPath(input, target.origin);
      return http.send(target?.url ?? http.url(input), init);
    }
    const { url } = target;
    const token = await accessToken(waitForStart);
    const response = await http.send(url, withBearer(init, token));
    if (response.status !== 401 || token === null || isStream(init.body)) return response;
    let renewed: string;
    try {
      const current = access.get();
      renewed = current !== null && current !== token ? current : await refresh();
    } catch (error) {
      if (is401(error)) return response;
      throw error;
    }
    const retried = await http.send(url, withBearer(init, renewed));
    if (retried.status === 401 && access.get() === renewed) session.expire();
    return retried;
  }

  return { accessToken, fetch: authenticatedFetch };
}

function withBearer(init: RequestInit, token: string | null): RequestInit {
  if (token === null) return init;
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return { ...init, headers };
}

/** A stream body cannot be sent twice. */
function isStream(body: RequestInit['body']): boolean {
  return typeof ReadableStream !== 'undefined' && body instanceof ReadableStream;
}
