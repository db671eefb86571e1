import type { Core, Feature } from '../core/core.js';
import type { QueuedMail } from '../mail/message.js';
import type { StoreRows } from './store-rows.js';

/**
 * The mail queue as a test reads it, and each message filled in as the sender fills it (its kind's
 * composer, which mints the link's token): every flow but the SMTP delivery. Register `feature` with the
 * app's features (createTestContext's `features`) so that the composers are the app's own.
 */
export function outboxProbe() {
  let captured: Core | undefined;
  const feature: Feature = async (_app, core) => {
    captured = core;
  };
  const core = () => {
    if (!captured) throw new Error('outboxProbe: its feature was not registered with the app');
    return captured;
  };
  return {
    feature,
    core,
    /** The messages of `kind` (to `to`, when given), oldest first. */
    async messages(rows: StoreRows, kind: string, to?: string): Promise<QueuedMail[]> {
      return (await rows.outbox()).filter(
        (mail) => mail.kind === kind && (to === undefined || mail.to === to),
      );
    },
    /** What the sender would send for `mail`: the template's variables, or why it is skipped. */
    async compose(mail: QueuedMail) {
      const composer = core().mail.composerFor(mail.kind);
      if (!composer) throw new Error(`no composer for the mail kind ${mail.kind}`);
      return composer(mail);
    },
  };
}

/** The token of a link `<public URL>/<page>#token=<token>`; throws for any other shape. */
export function tokenOfLink(link: string | undefined, publicUrl: string, page: string): string {
  const prefix = `${publicUrl}/${page}#token=`;
  if (link === undefined || !link.startsWith(prefix)) {
    throw new Error(`not a ${page} link of ${publicUrl}: ${String(link)}`);
  }
  return link.slice(prefix.length);
}
