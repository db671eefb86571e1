import { Messages } from '@gatehouse/contract';
import type { FastifyRequest } from 'fastify';
import type { TokenService } from '../core/tokens.js';
import type { User } from '../store/users/store.js';
import { authenticationError, duplicateAuthorization, unauthorized } from './errors.js';

/** Who is calling, and from which session (what "log out" and "end other sessions" act on). */
export interface Principal {
  user: User;
  sessionId: string;
  methods: readonly string[];
  authTime: number | undefined;
}

export type Authenticate = (request: FastifyRequest) => Promise<Principal>;

/**
 * `Authorization: <type> <access token>` as simplejwt's JWTAuthentication reads it: another scheme (or
 * another case of it) counts as no credentials; the right scheme with a missing or extra part is a bad
 * header; then the token must be a valid access token of an active user.
 */
export function createAuthenticate(tokens: TokenService, headerTypes: readonly string[]): Authenticate {
  return async (request) => {
    const header = request.headers.authorization;
    // Node keeps the first of repeated Authorization headers; a proxy in front may act on another.
    if (header !== undefined && repeatsAuthorization(request.raw.rawHeaders)) throw duplicateAuthorization();
    // Python's bytes.split(): ASCII whitespace only (a U+00A0 is part of a value, not a separator).
    const parts = header?.split(/[ \t\n\r\f\v]+/).filter(Boolean) ?? [];
    if (parts.length === 0 || !headerTypes.includes(parts[0] as string)) {
      throw unauthorized('not_authenticated', Messages.notAuthenticated);
    }
    if (parts.length !== 2)
      throw unauthorized('bad_authorization_header', Messages.badAuthorizationHeader, true);
    const result = await tokens.authenticate(parts[1] as string);
    if (!result.ok) throw authenticationError(result.reason);
    const { user, sessionId, methods, authTime } = result;
    return { user, sessionId, methods, authTime };
  };
}

/** rawHeaders alternates names (as sent, any case) and values. */
function repeatsAuthorization(rawHeaders: readonly string[]): boolean {
  let seen = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length === 13 && name.toLowerCase() === 'authorization') {
      if (seen) return true;
      seen = true;
    }
  }
  return false;
}
