import type { FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';

/**
 * pino: JSON lines in production, pretty in development. Credentials are redacted wherever a log call
 * might carry them; request lines never include bodies, headers or query strings.
 */
export function loggerOptions(config: Config): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        '*.password',
        '*.refresh',
        '*.access',
        '*.token',
      ],
      censor: '[redacted]',
    },
    ...(!config.production && {
      transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname' } },
    }),
  };
}
