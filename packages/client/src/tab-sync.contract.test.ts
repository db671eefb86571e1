import { afterEach, describe, expect, test, vi } from 'vitest';
import type { TabMessage } from './tab-sync.js';
import { TAB_KINDS } from './testing/tab-kinds.js';

const opened: { close(): void }[] = [];
afterEach(() => opened.splice(0).forEach((tab) => tab.close()));

describe.each(TAB_KINDS)('TabSync: $name', ({ browser }) => {
  const twoTabs = () => {
    const b = browser();
    const tabs = [b.connect(), b.connect()] as const;
    opened.push(...tabs);
    return tabs;
  };

  test('a broadcast reaches the other tabs, not the sender', async () => {
    const [a, b] = twoTabs();
    const toA: TabMessage[] = [];
    const toB: TabMessage[] = [];
    a.onMessage((message) => toA.push(message));
    b.onMessage((message) => toB.push(message));
    a.broadcast({ type: 'access', access: 'x.y.z' });
    await vi.waitFor(() => expect(toB).toEqual([{ type: 'access', access: 'x.y.z' }]));
    expect(toA).toEqual([]);
  });

  test('a stopped handler hears nothing more', async () => {
    const [a, b] = twoTabs();
    const heard: TabMessage[] = [];
    const stop = b.onMessage((message) => heard.push(message));
    const also: TabMessage[] = [];
    b.onMessage((message) => also.push(message));
    stop();
    a.broadcast({ type: 'signed-out' });
    await vi.waitFor(() => expect(also).toHaveLength(1));
    expect(heard).toEqual([]);
  });

  test('withLock: tasks under one name never overlap across tabs, and return their results', async () => {
    const [a, b] = twoTabs();
    let inside = 0;
    let most = 0;
    const task = (tab: typeof a, value: number) =>
      tab.withLock('gatehouse-session', async () => {
        most = Math.max(most, ++inside);
        await new Promise((resolve) => setTimeout(resolve, 2));
        inside--;
        return value;
      });
    expect(await Promise.all([task(a, 1), task(b, 2), task(a, 3), task(b, 4)])).toEqual([1, 2, 3, 4]);
    expect(most).toBe(1);
  });

  test('a failed task releases the lock', async () => {
    const [a, b] = twoTabs();
    await expect(a.withLock('l', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await b.withLock('l', async () => 'next')).toBe('next');
  });
});

test('browserTabSync ignores messages that are not the client’s', async () => {
  const { browser } = TAB_KINDS[1] as (typeof TAB_KINDS)[number];
  const b = browser();
  const tab = b.connect();
  opened.push(tab);
  const heard: TabMessage[] = [];
  tab.onMessage((message) => heard.push(message));
  const sender = b.connect();
  opened.push(sender);
  for (const junk of [null, 'x', { type: 'access' }, { type: 'signed-in', access: 'a' }, { type: 'other' }]) {
    sender.broadcast(junk as TabMessage);
  }
  sender.broadcast({ type: 'signed-out' });
  await vi.waitFor(() => expect(heard).toEqual([{ type: 'signed-out' }]));
});
