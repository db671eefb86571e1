import { localLock, type TabMessage, type TabSync } from '../tab-sync.js';

/** Tabs of one simulated browser: messages go to the other tabs, later (as over a BroadcastChannel). */
export function memoryTabs() {
  const handlers = new Map<object, Set<(message: TabMessage) => void>>();
  const withLock = localLock();
  return {
    connect(): TabSync & { close(): void } {
      const tab = {};
      const own = new Set<(message: TabMessage) => void>();
      handlers.set(tab, own);
      return {
        broadcast(message) {
          const copy = structuredClone(message);
          for (const [other, set] of handlers) {
            if (other !== tab) for (const handler of set) queueMicrotask(() => handler(copy));
          }
        },
        onMessage(handler) {
          own.add(handler);
          return () => own.delete(handler);
        },
        withLock,
        close: () => handlers.delete(tab),
      };
    },
  };
}
