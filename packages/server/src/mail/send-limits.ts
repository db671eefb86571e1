import { createHash } from 'node:crypto';
import type { SendLimit } from '../config.js';
import { clientKey } from '../http/client-key.js';
import type { LimitStore } from '../store/limits/store.js';

/**
 * Whether one more mail may go to `address` for a request from `ip`, under every per-address and
 * per-IP limit. Each limit is counted in the database (shared by every server process); every limit is
 * counted, so a refused request still uses up its windows. The caller answers the same either way (no
 * enumeration) and sends nothing when refused.
 */
export type SendLimiter = (address: string | null, ip: string) => Promise<boolean>;

export function createSendLimiter({
  store,
  clock,
  perAddress,
  perIp,
}: {
  store: Pick<LimitStore, 'hitRateLimit'>;
  clock: () => Date;
  perAddress: readonly SendLimit[];
  perIp: readonly SendLimit[];
}): SendLimiter {
  return async (address, ip) => {
    const now = clock();
    const keys: [string, SendLimit][] = [
      ...perIp.map((limit): [string, SendLimit] => [`mail-ip:${limit.seconds}:${clientKey(ip)}`, limit]),
      // The address is hashed: the limits table need not hold a list of everyone's addresses.
      ...(address === null
        ? []
        : perAddress.map((limit): [string, SendLimit] => [
            `mail-to:${limit.seconds}:${addressKey(address)}`,
            limit,
          ])),
    ];
    let allowed = true;
    for (const [key, limit] of keys) {
      const result = await store.hitRateLimit(key, limit.count, limit.seconds, now);
      allowed &&= result.allowed;
    }
    return allowed;
  };
}

function addressKey(address: string): string {
  return createHash('sha256')
    .update(address.normalize('NFKC').toLowerCase())
    .digest('base64url')
    .slice(0, 22);
}
