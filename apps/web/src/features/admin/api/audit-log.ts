import type { AuditEntryResponse } from '@gatehouse/contract';
import { query, request, type AuthFetch, type Page } from '../../../lib/api';

export const AUDIT_PAGE_SIZE = 50;

/** Every administrative and security action, newest first. */
export function listAuditLog(
  fetch: AuthFetch,
  page: number,
  signal?: AbortSignal,
): Promise<Page<AuditEntryResponse>> {
  return request(
    fetch,
    `/api/audit-log/${query({ page: page > 1 ? page : undefined, page_size: AUDIT_PAGE_SIZE })}`,
    {
      signal,
    },
  );
}
