import type { AuditEntryResponse } from '@gatehouse/contract';
import { query, request, type AuthFetch, type Page } from '../../../lib/api';

/** What happened to the caller's account, newest first. */
export function listSecurityEvents(
  fetch: AuthFetch,
  pageSize: number,
  signal?: AbortSignal,
): Promise<Page<AuditEntryResponse>> {
  return request(fetch, `/api/users/me/events/${query({ page_size: pageSize })}`, { signal });
}
