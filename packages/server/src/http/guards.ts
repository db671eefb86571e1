import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import type { Caller } from '../users/accounts-service.js';
import type { Authenticate } from './authenticate.js';
import { forbidden } from './errors.js';
import { clientInfo } from './request-context.js';

/**
 * Authentication and permission run before the body and query are validated, as in DRF: an anonymous
 * or unauthorised caller learns nothing about a route's input rules. A guarded handler reads the
 * caller the guard established.
 */
export interface Guards {
  signedIn: preValidationAsyncHookHandler;
  superuser: preValidationAsyncHookHandler;
  /** The caller of a guarded route. */
  caller(request: FastifyRequest): Caller;
}

export function createGuards(authenticate: Authenticate): Guards {
  const callers = new WeakMap<FastifyRequest, Caller>();
  const establish = async (request: FastifyRequest) => {
    const { user, sessionId } = await authenticate(request);
    const caller = { user, sessionId, client: clientInfo(request) };
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
    caller(request) {
      const caller = callers.get(request);
      // A handler reading a caller its route does not guard is a bug, not a client error.
      if (!caller) throw new Error(`route ${request.routeOptions.url ?? ''} reads a caller but has no guard`);
      return caller;
    },
  };
}
