import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
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
  superuser: preValidationAsyncHookHandler;
  /** Signed in, and recently: for sensitive changes (factors, email), see core/recent-auth.ts. */
  recentlyAuthenticated: preValidationAsyncHookHandler;
  /** The caller of a guarded route. */
  caller(request: FastifyRequest): Caller;
}

export interface GuardOptions {
  clock: () => Date;
  /** Seconds: how recent a sign-in `recentlyAuthenticated` accepts. */
  reauthenticationWindow: number;
}

export function createGuards(authenticate: Authenticate, options: GuardOptions): Guards {
  const callers = new WeakMap<FastifyRequest, Caller>();
  const establish = async (request: FastifyRequest) => {
    const caller: Caller = { ...(await authenticate(request)), client: clientInfo(request) };
    callers.set(request, caller);
    return caller;
  };
  return {
    signedIn: async (request) => {
      await establish(request);
    },
    superuser: async (request) => {
      if (!(await establish(request)).user.isSuperuser) throw forbidden();
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
  };
}
