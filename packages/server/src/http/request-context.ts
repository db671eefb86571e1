import { wantsCookieMode } from './refresh-cookie.js';
import type { FastifyRequest } from 'fastify';
import type { ClientInfo } from '../core/session-issuer.js';

/** Where a request comes from, as a sessions list shows it. */
export function clientInfo(request: FastifyRequest): ClientInfo {
  return {
    userAgent: (request.headers['user-agent'] ?? '').slice(0, 256),
    ip: request.ip,
    browser: wantsCookieMode(request),
  };
}

export interface PageRequest {
  page: number;
  size: number;
  offset: number;
}

const MAX_PAGE_SIZE = 100;

/** `?page=&page_size=` (DRF's PageNumberPagination names), page size capped. */
export function pageOf(
  query: { page?: string | undefined; page_size?: string | undefined },
  defaultSize = 20,
): PageRequest {
  const page = Math.max(1, Number(query.page ?? 1));
  const size = Math.min(MAX_PAGE_SIZE, Math.max(1, Number(query.page_size ?? defaultSize)));
  return { page, size, offset: (page - 1) * size };
}

/** DRF's paginated body, with `next`/`previous` links relative to the request's own URL. */
export function paginated<T>(
  request: FastifyRequest,
  { page, size }: PageRequest,
  count: number,
  results: T[],
) {
  const link = (target: number) => {
    const url = new URL(request.url, 'http://gatehouse.invalid');
    url.searchParams.set('page', String(target));
    url.searchParams.set('page_size', String(size));
    return `${url.pathname}${url.search}`;
  };
  return {
    count,
    next: page * size < count ? link(page + 1) : null,
    previous: page > 1 ? link(page - 1) : null,
    results,
  };
}
