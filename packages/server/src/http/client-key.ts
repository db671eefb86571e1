import { isIPv4, isIPv6 } from 'node:net';

/**
 * The bucket a client address is counted in by the throttles and rate limits: an IPv4 address, or the
 * /64 of an IPv6 one (`2001:db8:0:1::/64`). One host is routinely given a whole /64, so counting each
 * IPv6 address apart would hand it 2^64 fresh counters. An IPv4-mapped address (`::ffff:1.2.3.4`, as a
 * dual-stack socket reports IPv4 clients) is the IPv4 address. Anything else is kept as it is.
 */
export function clientKey(ip: string): string {
  if (isIPv4(ip)) return ip;
  const hextets = ipv6Hextets(ip.replace(/%.*$/, ''));
  if (hextets === undefined) return ip;
  if (hextets.slice(0, 5).every((hextet) => hextet === 0) && hextets[5] === 0xffff) {
    const [high = 0, low = 0] = hextets.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return `${hextets
    .slice(0, 4)
    .map((hextet) => hextet.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing IPv4 part as two). */
function ipv6Hextets(address: string): number[] | undefined {
  if (!isIPv6(address)) return undefined;
  const ipv4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const text = ipv4 ? address.slice(0, ipv4.index) + '0:0' : address;
  const [head = '', tail] = text.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const start = groups(head);
  const end = tail === undefined ? [] : groups(tail);
  const hextets = [...start, ...Array<number>(8 - start.length - end.length).fill(0), ...end];
  if (ipv4) {
    const [a, b, c, d] = ipv4.slice(1).map(Number) as [number, number, number, number];
    hextets.splice(6, 2, (a << 8) | b, (c << 8) | d);
  }
  return hextets;
}
