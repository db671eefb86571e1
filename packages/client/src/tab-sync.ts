import type { Account } from './auth-state.js';

/** What one tab tells the others. */
export type TabMessage =
  /** A tab refreshed: the others adopt the newer access token instead of refreshing themselves. */
  | { type: 'access'; access: string }
  /** A tab signed in (or re-read the account): the others adopt the session. */
  | { type: 'signed-in'; access: string; user: Account }
  /** A tab signed out: so do the others. */
  | { type: 'signed-out' };

/**
 * How the tabs of one browser that share a session coordinate: messages to the other tabs, and a lock
 * held by one tab at a time around refreshes, logins and logouts.
 *
 * @example
 * // Tabs share nothing by default in token mode; a shell with a shared store can opt in.
 * const client = createAuthClient({ mode: 'token', storage: sharedStore, tabs: browserTabSync() });
 */
export interface TabSync {
  /** Sends to every other tab (not to this one). */
  broadcast(message: TabMessage): void;
  /** Returns a function that stops the handler. */
  onMessage(handler: (message: TabMessage) => void): () => void;
  /** Runs `task` while holding the lock `name`, exclusively across tabs. */
  withLock<T>(name: string, task: () => Promise<T>): Promise<T>;
}

export const CHANNEL_NAME = 'gatehouse-auth';

/** The part of the Web Locks API (`navigator.locks`) used here. */
export interface Locks {
  request(name: string, callback: () => Promise<unknown>): Promise<unknown>;
}

export interface BrowserTabSyncOptions {
  channel?: string;
  /** Default: `navigator.locks` when present, else a lock for this tab only. */
  locks?: Locks;
}

/**
 * Tab coordination over a BroadcastChannel and the Web Locks API. Returns null where there is no
 * BroadcastChannel.
 *
 * @example
 * const tabs = browserTabSync();
 * const client = createAuthClient({ tabs });
 */
export function browserTabSync(options: BrowserTabSyncOptions = {}): (TabSync & { close(): void }) | null {
  if (typeof BroadcastChannel !== 'function') return null;
  const channel = new BroadcastChannel(options.channel ?? CHANNEL_NAME);
  // Node: a channel must not keep a script's process alive.
  (channel as { unref?: () => void }).unref?.();
  const locks: Locks | undefined =
    options.locks ?? (typeof navigator === 'undefined' ? undefined : navigator.locks);
  const withLock = locks
    ? <T>(name: string, task: () => Promise<T>) => locks.request(name, task) as Promise<T>
    : localLock();
  return {
    broadcast: (message) => channel.postMessage(message),
    onMessage(handler) {
      const listener = (event: MessageEvent) => {
        if (isTabMessage(event.data)) handler(event.data);
      };
      channel.addEventListener('message', listener);
      return () => channel.removeEventListener('message', listener);
    },
    withLock,
    close: () => channel.close(),
  };
}

/** A lock for one tab (or process): tasks under the same name run one after another. */
export function localLock(): TabSync['withLock'] {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(name: string, task: () => Promise<T>): Promise<T> => {
    const run = (tails.get(name) ?? Promise.resolve()).then(task);
    const tail = run.catch(() => undefined);
    tails.set(name, tail);
    void tail.then(() => {
      if (tails.get(name) === tail) tails.delete(name);
    });
    return run;
  };
}

function isTabMessage(data: unknown): data is TabMessage {
  if (typeof data !== 'object' || data === null) return false;
  const message = data as Record<string, unknown>;
  switch (message['type']) {
    case 'signed-out':
      return true;
    case 'access':
      return typeof message['access'] === 'string';
    case 'signed-in':
      return typeof message['access'] === 'string' && typeof message['user'] === 'object';
    default:
      return false;
  }
}
