import type { PasswordChangeRequest } from '@gatehouse/contract';
import { request, type AuthFetch } from '../../../lib/api';

/** Needs the current password; the server ends every other session of the account. */
export function changePassword(fetch: AuthFetch, body: PasswordChangeRequest): Promise<void> {
  return request(fetch, '/api/users/me/password/', { method: 'POST', body });
}
