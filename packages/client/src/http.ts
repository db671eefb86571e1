import { errorFromResponse, networkError, unexpectedResponse, type StatusCodes } from './errors.js';

export type Mode = 'cookie' | 'token';

/** Asks the server for browser mode: the refresh token in an httpOnly cookie, never in a body. */
const COOKIE_MODE_HEADER = 'X-Gatehouse-Session';
const ABSOLUTE = /^([a-z][a-z\d+.-]*:)?\/\//i;

/** Whether `path` names its host itself (`https://…`, `//…`) rather than being a path on the base URL. */
export const isAbsolute = (path: string) => ABSOLUTE.test(path);

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

export interface Target {
  /** What to hand to fetch. */
  url: string;
  origin: string;
  isServer: boolean;
}

export interface Http {
  /** `path` against the base URL; absolute URLs as they are. */
  url(path: string): string;
  /**
   * Where fetch will send `path` (read by the URL parser as fetch reads it), and whether that is the
   * server's origin, the only one the access token goes to. Undefined for what no parser accepts.
   */
  resolve(path: string): Target | undefined;
  /** fetch, with failures to reach the server as GatehouseError `network_error`. */
  send(url: string, init: RequestInit): Promise<Response>;
  /** A JSON request to Gatehouse's API: the parsed answer, or a GatehouseError. */
  call(method: string, path: string, options?: CallOptions): Promise<unknown>;
  /** The headers that ask for browser mode (none in token mode). */
  modeHeaders(headers: Headers): Headers;
}

// Without a page (Node), the injected fetch reads relative URLs against an origin the client cannot see:
// this stands for it (.invalid never resolves), so that a path which would leave it still shows.
const SOMEWHERE = 'http://somewhere.invalid/';

function currentPage() {
  if (typeof location === 'undefined') return undefined;
  // fetch reads a relative URL against the document's base URL, which a <base> element may move.
  return { href: location.href, base: typeof document === 'undefined' ? location.href : document.baseURI };
}

export function createHttp({ baseUrl, mode, fetch, now }: HttpOptions): Http {
  const root = baseUrl.replace(/\/+$/, '');
  const url = (path: string) =>
    ABSOLUTE.test(path) ? path : `${root}${path.startsWith('/') ? '' : '/'}${path}`;
  const parse = (target: string, base: string) => {
    try {
      return new URL(target, base);
    } catch {
      return undefined;
    }
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
    resolve(path) {
      const target = url(path);
      const page = currentPage();
      // Browsers read `/\host`, and `/\t/host` (tabs and newlines dropped), as `//host`: ask the parser.
      const resolved = parse(target, page?.base ?? SOMEWHERE);
      const server = parse(`${root}/`, page?.href ?? SOMEWHERE)?.origin;
      if (resolved === undefined) return undefined;
      return {
        url: page ? resolved.href : target,
        origin: resolved.origin,
        // Opaque origins (file:, data:) are all "null": equal as strings, yet no server's.
        isServer: server !== 'null' && resolved.origin === server,
      };
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
