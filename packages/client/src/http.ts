import { errorFromResponse, networkError, unexpectedResponse, type StatusCodes } from './errors.js';

export type Mode = 'cookie' | 'token';

/** Asks the server for browser mode: the refresh token in an httpOnly cookie, never in a body. */
const COOKIE_MODE_HEADER = 'X-Gatehouse-Session';
const ABSOLUTE = /^([a-z][a-z\d+.-]*:)?\/\//i;

export interface HttpOptions {
  baseUrl: string;
  mode: Mode;
  fetch: typeof fetch;
  now: () => number;
}

export interface CallOptions {
  body?: object;
  bearer?: string | null;
  /** Error codes for answers whose body has none. */
  codes?: StatusCodes;
}

export interface Http {
  /** `path` against the base URL; absolute URLs as they are. */
  url(path: string): string;
  /** Whether a URL is the server's, the only one the access token is sent to. */
  isServer(url: string): boolean;
  /** fetch, with failures to reach the server as GatehouseError `network_error`. */
  send(url: string, init: RequestInit): Promise<Response>;
  /** A JSON request to Gatehouse's API: the parsed answer, or a GatehouseError. */
  call(method: string, path: string, options?: CallOptions): Promise<unknown>;
  /** The headers that ask for browser mode (none in token mode). */
  modeHeaders(headers: Headers): Headers;
}

export function createHttp({ baseUrl, mode, fetch, now }: HttpOptions): Http {
  const root = baseUrl.replace(/\/+$/, '');
  const url = (path: string) =>
    ABSOLUTE.test(path) ? path : `${root}${path.startsWith('/') ? '' : '/'}${path}`;
  const serverOrigin = () => {
    if (ABSOLUTE.test(root)) return new URL(root).origin;
    return typeof location === 'undefined' ? undefined : location.origin;
  };

  const send = async (target: string, init: RequestInit) => {
    try {
      return await fetch(target, init);
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') throw error;
      throw networkError(error);
    }
  };

  const modeHeaders = (headers: Headers) => {
    if (mode === 'cookie') headers.set(COOKIE_MODE_HEADER, 'cookie');
    return headers;
  };

  return {
    url,
    isServer(target) {
      if (!ABSOLUTE.test(target)) return true;
      try {
        return new URL(target).origin === serverOrigin();
      } catch {
        return false;
      }
    },
    send,
    modeHeaders,
    async call(method, path, { body, bearer, codes } = {}) {
      const headers = modeHeaders(new Headers({ accept: 'application/json' }));
      if (body !== undefined) headers.set('content-type', 'application/json');
      if (bearer) headers.set('authorization', `Bearer ${bearer}`);
      const response = await send(url(path), {
        method,
        headers,
        ...(body !== undefined && { body: JSON.stringify(body) }),
        // A SPA on another (allowed) origin must send and receive the refresh cookie too.
        ...(mode === 'cookie' && { credentials: 'include' as const }),
      });
      if (!response.ok) throw await errorFromResponse(response, now(), codes);
      return readJson(response);
    },
  };
}

export async function readJson(response: Response): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw networkError(error);
  }
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw unexpectedResponse(response.status, 'The server did not answer with JSON.');
  }
}
