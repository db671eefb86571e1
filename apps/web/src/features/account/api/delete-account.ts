import { request, type AuthFetch } from '../../../lib/api';

/** Deletes the caller's account for good; the password confirms it is really them. */
export function deleteAccount(fetch: AuthFetch, password: string): Promise<void> {
  return request(fetch, '/api/users/me/', { method: 'DELETE', body: { password } });
}
