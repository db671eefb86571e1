import { setFlagsFromString } from 'node:v8';
import { createApp } from './app.js';
import { createPasswordHasher } from './auth/passwords.js';
import { ConfigError, parseConfig } from './config.js';
import { loggerOptions } from './logger.js';
import { TemplateError } from './mail/templates.js';
import { describeDatabase, openStore } from './store/open-store.js';

/**
 * The only place that reads the environment, opens the database for serving and listens. Started by
 * server.ts, the entry, which holds the young generation's growth during start-up; `serve` allows it again
 * once listening.
 */
export async function serve(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`gatehouse: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }

  const store = openStore(config.database);
  await store.migrate();
  // Opens the signing keys too (GATEHOUSE_SIGNING_KEY, or the database's, created on first start).
  const app = await createApp({
    config,
    store,
    hasher: createPasswordHasher(config.passwordHash),
    logger: loggerOptions(config),
    mailSender: true,
  });
  app.addHook('onClose', () => store.close());

  let closing = false;
  // Requests in flight at SIGTERM finish; their keep-alive connections then close rather than idle until
  // their timeout (72 s), which would hold the shutdown that long.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  const address = await app.listen({ host: config.host, port: config.port });
  // V8's default factor: under load, a larger young generation means fewer collections.
  setFlagsFromString('--semi-space-growth-factor=2');
  app.log.info({ address, database: describeDatabase(config.database) }, `Gatehouse listening on ${address}`);
}

export function failedToStart(error: unknown): never {
  // The signing keys in the database do not open with GATEHOUSE_KEY_ENCRYPTION_KEY (or without it).
  // Or a mail template of GATEHOUSE_MAIL_TEMPLATES does not parse.
  if (error instanceof ConfigError || error instanceof TemplateError) {
    console.error(`gatehouse: ${error.message}`);
    process.exit(2);
  }
  console.error('gatehouse: failed to start:', error);
  process.exit(1);
}
