import { browserTabSync, localLock, type TabSync } from '../tab-sync.js';
import { memoryTabs } from './memory-tabs.js';

let channels = 0;

/** The TabSync implementations, each as a factory of "browsers" whose tabs can be connected. */
export const TAB_KINDS: { name: string; browser: () => { connect(): TabSync & { close(): void } } }[] = [
  { name: 'in-memory', browser: memoryTabs },
  {
    name: 'BroadcastChannel',
    browser() {
      // Node has BroadcastChannel but no navigator.locks: the tabs of one test share this lock instead.
      const lock = localLock();
      const locks = { request: (name: string, task: () => Promise<unknown>) => lock(name, task) };
      const channel = `gatehouse-test-${process.pid}-${++channels}`;
      return {
        connect() {
          const tabs = browserTabSync({ channel, locks });
          if (tabs === null) throw new Error('no BroadcastChannel');
          return tabs;
        },
      };
    },
  },
];
