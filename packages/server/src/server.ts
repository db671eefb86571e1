import { createApp } from './app.js';
import { createPasswordHasher } from './auth/passwords.js';
import { resolveSigningKey } from './auth/signing-key.js';
import { ConfigError, parseConfig } from './config.js';
import { loggerOptions } from './logger.js';
import { describeDatabase, openStore } from './store/open-store.js';

/** The only place that reads the environment, opens the database for serving and listens. */
async function main(): Promise<void> {
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
  const signingKey = await resolveSigningKey(config.jwt, store, new Date());
  const app = await createApp({
    config,
    store,
    signingKey,
    hasher: createPasswordHasher(config.passwordHash),
    logger: loggerOptions(config),
  });
  app.addHook('onClose', () => store.close());

  let closing = false;
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
  app.log.info({ address, database: describeDatabase(config.database) }, `Gatehouse listening on ${address}`);
}

main().catch((error: unknown) => {
  console.error('gatehouse: failed to start:', error);
  process.exit(1);
});
