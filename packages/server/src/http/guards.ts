import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import { holds, type Authorization } from '../core/authorization.js';
import type { Caller } from '../core/caller.js';
import { isRecentlyAuthenticated } from '../core/recent-auth.js';
import type { Authenticate } from './authenticate.js';
import { forbidden, reauthenticationRequired } from './errors.js';
import { clientInfo } from './request-context.js';

/**
 * Authentication and permission run before the body and query are validated, as in DRF: an anonymous
 * or unauthorised caller learns nothing about a route's input rules. A guarded handler reads the
 * caller the guard established.
 */
export interface Guards {
  signedIn: preValidationAsyncHookHandler;
  /**
   * Signed in, and holding one of `anyOf` (a superuser holds every permission). The caller's permissions
   * are read from the database for the request (one indexed query; none for a superuser), so a change of
   * roles takes effect on these routes at once, not at the next refresh as in the tokens.
   */
  permission(...anyOf: readonly string[]): preValidationAsyncHookHandler;
  /** Signed in, and recently: for sensitive changes (factors, email), see core/recent-auth.ts. */
  recentlyAuthenticated: preValidationAsyncHookHandler;
  /** The caller of a guarded route. */
  caller(request: FastifyRequest): Caller;
  /** The permissions of the caller of a route guarded by `permission`, as the guard read them. */
  authorization(request: FastifyRequest): Authorization;
}

export interface GuardOptions {
  clock: () => Date;
  /** Seconds: how recent a sign-in `recentlyAuthenticated` accepts. */
  reauthenticationWindow: number;
  /** A user's effective permissions (their roles', direct and through groups); none without it. */
  permissionsOf?: (userId: number) => Promise<readonly string[]>;
}

export function createGuards(authenticate: Authenticate, options: GuardOptions): Guards {
  const callers = new WeakMap<FastifyRequest, Caller>();
  const authorizations = new WeakMap<FastifyRequest, Authorization>();
  const establish = async (request: FastifyRequest) => {
    const caller: Caller = { ...(await authenticate(request)), client: clientInfo(request) };
    callers.set(request, caller);
    return caller;
  };
  return {
    signedIn: async (request) => {
      await establish(request);
    },
    permission: (...anyOf) => {
      if (anyOf.length === 0) throw new Error('a permission guard names at least one permission');
      return async (request) => {
        const { user } = await establish(request);
        const authz: Authorization = {
          superuser: user.isSuperuser,
          permissions: new Set(user.isSuperuser ? [] : await options.permissionsOf?.(user.id)),
        };
        authorizations.set(request, authz);
        if (!anyOf.some((permission) => holds(authz, permission))) throw forbidden();
      };
    },
    recentlyAuthenticated: async (request) => {
      const caller = await establish(request);
      if (!isRecentlyAuthenticated(caller, options.clock(), options.reauthenticationWindow)) {
        throw reauthenticationRequired();
      }
    },
    caller(request) {
      const caller = callers.get(request);
      // A handler reading a caller its route does not guard is a bug, not a client error.
      if (!caller) throw new Error(`route ${request.routeOptions.url ?? ''} reads a caller but has no guard`);
      return caller;
    },
    authorization(request) {
      const authz = authorizations.get(request);
      if (!authz)
        throw new Error(`route ${request.routeOptions.url ?? ''} reads permissions but has no guard`);
      return authz;
    },
  };
}
