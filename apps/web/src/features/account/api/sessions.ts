import type { SessionResponse } from '@gatehouse/contract';
import { request, type AuthFetch } from '../../../lib/api';

export function listSessions(fetch: AuthFetch, signal?: AbortSignal): Promise<SessionResponse[]> {
  return request(fetch, '/api/users/me/sessions/', { signal });
}

export function revokeSession(fetch: AuthFetch, sessionId: string): Promise<void> {
  return request(fetch, `/api/users/me/sessions/${encodeURIComponent(sessionId)}/`, { method: 'DELETE' });
}
