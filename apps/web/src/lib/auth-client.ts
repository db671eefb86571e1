import { createAuthClient, type AuthClient } from '@gatehouse/client';
import type { Env } from '../config/env';

/**
 * The app's one Gatehouse client, in browser (cookie) mode: the refresh token stays in an httpOnly cookie
 * that no script can read, the access token only in memory. main.tsx calls this once and passes the
 * client down through AppProvider to AuthProvider; nothing here is a module global.
 */
export function createGatehouseClient(env: Env): AuthClient {
  return createAuthClient({ mode: 'cookie', ...(env.apiUrl !== undefined && { baseUrl: env.apiUrl }) });
}
