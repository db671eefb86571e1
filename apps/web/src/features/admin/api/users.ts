import type { AccountResponse, AdminUserResponse, AdminUserUpdateRequest } from '@gatehouse/contract';
import { query, request, type AuthFetch, type Page } from '../../../lib/api';

export const USERS_PAGE_SIZE = 20;

const userPath = (publicId: string) => `/api/users/${encodeURIComponent(publicId)}/`;

export function listUsers(
  fetch: AuthFetch,
  { search, page }: { search: string; page: number },
  signal?: AbortSignal,
): Promise<Page<AccountResponse>> {
  const params = query({
    search: search.trim(),
    page: page > 1 ? page : undefined,
    page_size: USERS_PAGE_SIZE,
  });
  return request(fetch, `/api/users/${params}`, { signal });
}

/** One user with their open sessions. */
export function getUser(
  fetch: AuthFetch,
  publicId: string,
  signal?: AbortSignal,
): Promise<AdminUserResponse> {
  return request(fetch, userPath(publicId), { signal });
}

export function updateUser(
  fetch: AuthFetch,
  publicId: string,
  changes: AdminUserUpdateRequest,
): Promise<AccountResponse> {
  return request(fetch, userPath(publicId), { method: 'PATCH', body: changes });
}

export function deleteUser(fetch: AuthFetch, publicId: string): Promise<void> {
  return request(fetch, userPath(publicId), { method: 'DELETE' });
}

export function revokeUserSession(fetch: AuthFetch, publicId: string, sessionId: string): Promise<void> {
  return request(fetch, `${userPath(publicId)}sessions/${encodeURIComponent(sessionId)}/`, {
    method: 'DELETE',
  });
}

/** A user's second factors, as a superuser sees them (issue 15; the client-side shape of the answer). */
export interface UserFactors {
  totp: boolean;
  recovery_codes_left: number;
  passkeys: { id: string; name: string; created_at: string; last_used_at: string | null }[];
}

export function getUserFactors(
  fetch: AuthFetch,
  publicId: string,
  signal?: AbortSignal,
): Promise<UserFactors> {
  return request(fetch, `${userPath(publicId)}mfa/`, { signal });
}

/** Removes every second factor of the user (app, recovery codes, passkeys): for a user who lost them. */
export function resetUserFactors(fetch: AuthFetch, publicId: string): Promise<void> {
  return request(fetch, `${userPath(publicId)}mfa/`, { method: 'DELETE' });
}
