import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** A peer is named in the log at most this often: a misconfigured proxy sends every request. */
const WARN_EVERY_MS = 60 * 60 * 1000;
const MAX_REMEMBERED_PEERS = 1000;

/**
 * Forwarding headers from a peer that is not a trusted proxy are ignored (Fastify's trustProxy), which
 * is right, but behind a TLS-terminating proxy that nobody listed in GATEHOUSE_TRUSTED_PROXIES it means
 * every client has the proxy's address (one login throttle for everyone), no cookie is Secure and no
 * HSTS is sent, silently. So it is said in the log, once an hour per peer. A synchronous hook that looks
 * at three headers: it runs on every request.
 */
export function registerForwardingCheck(app: FastifyInstance, trustedProxies: readonly string[]): void {
  const trusted = trustList(trustedProxies);
  const warned = new Map<string, number>();
  app.addHook('onRequest', (request, _reply, done) => {
    const { headers } = request;
    if (
      headers['x-forwarded-for'] === undefined &&
      headers['x-forwarded-proto'] === undefined &&
      headers['forwarded'] === undefined
    ) {
      return done();
    }
    const peer = request.socket.remoteAddress ?? '';
    if (isTrusted(trusted, peer)) return done();
    const now = Date.now();
    if (now - (warned.get(peer) ?? 0) >= WARN_EVERY_MS) {
      if (warned.size >= MAX_REMEMBERED_PEERS) warned.clear();
      warned.set(peer, now);
      request.log.warn(
        { peer },
        'forwarding headers (X-Forwarded-For/-Proto, Forwarded) from a peer that is not a trusted proxy were ' +
          'ignored: if Gatehouse runs behind a proxy, list it in GATEHOUSE_TRUSTED_PROXIES, or every client ' +
          'has its address, cookies are not Secure and HSTS is not sent',
      );
    }
    done();
  });
}

function trustList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const type = isIPv6(address) ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

function isTrusted(list: BlockList, peer: string): boolean {
  // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(peer)?.[1];
  const address = mapped ?? peer;
  if (isIPv4(address)) return list.check(address, 'ipv4');
  if (isIPv6(address)) return list.check(address, 'ipv6');
  return false;
}
