import { HealthResponse, NotReadyResponse, ReadyResponse } from '@gatehouse/contract';
import type { Feature } from '../../core/core.js';
import { UNAVAILABLE_RETRY_AFTER } from '../../http/errors.js';
import { allowOnly } from '../../http/method-not-allowed.js';

/**
 * Liveness and readiness, for load balancers and orchestrators. Polled every few seconds, so a success is
 * not logged (the route's log level is warn) and neither is rate-limited.
 */
export const healthFeature: Feature = async (app, { ready }) => {
  const quiet = { logLevel: 'warn' } as const;

  // The process answers; the database is not asked, so its outage never gets a live process restarted.
  app.get(
    '/api/health',
    { ...quiet, schema: { tags: ['health'], response: { 200: HealthResponse } } },
    async () => ({ status: 'ok' as const }),
  );
  allowOnly(app, '/api/health', ['GET']);

  app.get(
    '/api/ready',
    { ...quiet, schema: { tags: ['health'], response: { 200: ReadyResponse, 503: NotReadyResponse } } },
    async (request, reply) => {
      if (await ready()) return { status: 'ready' as const, database: 'ok' as const };
      request.log.warn('not ready: the database does not answer');
      return reply
        .code(503)
        .header('retry-after', String(UNAVAILABLE_RETRY_AFTER))
        .send({ status: 'unavailable' as const, database: 'unreachable' as const });
    },
  );
  allowOnly(app, '/api/ready', ['GET']);
};
