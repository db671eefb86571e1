import type { FastifyInstance } from 'fastify';
import type { Core } from '../core/core.js';
import { createSender, type SenderOptions } from './sender.js';
import { loadTemplates } from './templates.js';
import { createMailTransport } from './transport.js';

export type { SenderOptions };

/**
 * Starts the app's mail sender once the app is ready, woken by `core.mail.wake()`, and stops it when the
 * app closes (before the store does), waiting for a message in flight. The templates are read and
 * checked now: an override that does not parse stops the server from starting.
 */
export function startSender(app: FastifyInstance, core: Core, options: SenderOptions): void {
  const { config } = core;
  const templates = loadTemplates(config.mail.templatesDir);
  const transport = createMailTransport(config.mail);
  const sender = createSender({
    store: core.store,
    composerFor: core.mail.composerFor,
    templates,
    transport,
    site: config.mail,
    clock: core.clock,
    log: app.log,
    options,
  });
  core.mail.onWake(() => sender.wake());
  app.addHook('onReady', async () => {
    sender.start();
    app.log.info({ transport: transport.description }, 'mail: delivering the queue');
  });
  app.addHook('preClose', () => sender.stop());
}
