import type { FastifyInstance } from 'fastify';
import type { Core } from '../core/core.js';
import { createSender, type SenderOptions } from './sender.js';
import { loadTemplates, TemplateError } from './templates.js';
import { createMailTransport } from './transport.js';

export type { SenderOptions };

/**
 * Starts the app's mail sender once the app is ready, woken by `core.mail.wake()`, and stops it when the
 * app closes (before the store does), waiting for a message in flight. The templates are read and
 * checked now, and every kind defined has one once the app is ready: otherwise the server does not start.
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
    // Every feature has defined its kinds by now: one without a template would fail each of its messages.
    const missing = core.mail.kinds().filter((kind) => !templates.has(kind));
    if (missing.length > 0) {
      throw new TemplateError(`no mail template for ${missing.map((kind) => `${kind}.txt`).join(', ')}`);
    }
    sender.start();
    app.log.info({ transport: transport.description }, 'mail: delivering the queue');
  });
  app.addHook('preClose', () => sender.stop());
}
