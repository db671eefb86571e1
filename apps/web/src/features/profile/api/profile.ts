import type { ProfileResponse, ProfileUpdateRequest } from '@gatehouse/contract';
import { request, type AuthFetch } from '../../../lib/api';

/** Tutorial A's private profile: the caller's names and profile email. */
export function getProfile(fetch: AuthFetch, signal?: AbortSignal): Promise<ProfileResponse> {
  return request(fetch, '/api/profile/', { signal });
}

export function updateProfile(fetch: AuthFetch, changes: ProfileUpdateRequest): Promise<ProfileResponse> {
  return request(fetch, '/api/profile/', { method: 'PATCH', body: changes });
}
