import { GatehouseError } from '@gatehouse/client';

/** The authenticated fetch of the Gatehouse client (`useAuth().fetch`): adds the token, refreshes on 401. */
export type AuthFetch = (path: string, init?: RequestInit) => Promise<Response>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal | undefined;
}

/** One JSON request: the parsed body on success (undefined for 204), a GatehouseError otherwise. */
export async function request<T>(fetch: AuthFetch, path: string, options: RequestOptions = {}): Promise<T> {
  const { method = 'GET', body, signal } = options;
  const response = await fetch(path, {
    method,
    headers: {
      Accept: 'application/json',
      ...(body !== undefined && { 'Content-Type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    ...(signal && { signal }),
  });
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** A query string from the defined, non-empty values: `?search=ann&page=2`. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

async function errorFrom(response: Response): Promise<GatehouseError> {
  const body: unknown = await response.json().catch(() => undefined);
  const record = typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {};
  const fieldErrors: Record<string, string[]> = {};
  for (const [field, messages] of Object.entries(record)) {
    if (Array.isArray(messages) && messages.every((m) => typeof m === 'string'))
      fieldErrors[field] = messages;
  }
  const detail =
    'detail' in record && typeof record.detail === 'string'
      ? record.detail
      : (Object.values(fieldErrors)[0]?.[0] ?? (response.statusText || 'Request failed.'));
  const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
  return new GatehouseError({
    status: response.status,
    code: codeOf(record, response.status),
    detail,
    fieldErrors,
    retryAfter: Number.isFinite(retryAfter) ? retryAfter : undefined,
  });
}

function codeOf(record: object, status: number): GatehouseError['code'] {
  if ('code' in record && typeof record.code === 'string') return record.code as GatehouseError['code'];
  if (status >= 500) return 'server_error';
  const byStatus: Record<number, GatehouseError['code']> = {
    400: 'invalid',
    401: 'not_authenticated',
    403: 'permission_denied',
    404: 'not_found',
    429: 'throttled',
  };
  return byStatus[status] ?? 'unexpected_response';
}

/** DRF's PageNumberPagination body. */
export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}
