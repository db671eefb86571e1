import type { Store } from '../store/store.js';

/** Whether the server can serve requests now: its database answers. */
export type ReadinessCheck = () => Promise<boolean>;

/** A load balancer polls often and waits little: an answer slower than this counts as none. */
export const READINESS_TIMEOUT_MS = 2_000;

export function createReadinessCheck(
  store: Pick<Store, 'ping'>,
  timeoutMs = READINESS_TIMEOUT_MS,
): ReadinessCheck {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(resolve, timeoutMs, false);
    });
    try {
      // A ping that fails after the timeout is still caught here, never an unhandled rejection.
      return await Promise.race([
        store.ping().then(
          () => true,
          () => false,
        ),
        timedOut,
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
}
