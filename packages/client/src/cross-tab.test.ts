import { afterEach, describe, expect, test, vi } from 'vitest';
import type { AuthClient } from './auth-client.js';
import type { TabMessage } from './tab-sync.js';
import { credentials, setup } from './testing/setup.js';
import { TAB_KINDS } from './testing/tab-kinds.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

/** One browser: a fake server whose cookie jar the tabs share, and tabs connected by `kind`. */
function browserWithTabs(kind: (typeof TAB_KINDS)[number]) {
  const context = setup();
  const browser = kind.browser();
  const tab = () => {
    const tabs = browser.connect();
    cleanups.push(() => tabs.close());
    return context.client({ mode: 'cookie', tabs });
  };
  /** A tab with no client, to send messages as another tab would. */
  const sender = () => {
    const tabs = browser.connect();
    cleanups.push(() => tabs.close());
    return tabs;
  };
  /** Resolves when the tabs have been sent a message of this type. */
  const heard = (type: TabMessage['type']) => {
    const probe = browser.connect();
    cleanups.push(() => probe.close());
    return new Promise<void>((resolve) => probe.onMessage((message) => message.type === type && resolve()));
  };
  cleanups.push(context.disposeAll);
  return { ...context, tab, heard, sender };
}

async function signedInTabs(
  count: number,
  context: ReturnType<typeof browserWithTabs>,
): Promise<AuthClient[]> {
  const [first, ...others] = Array.from({ length: count }, context.tab) as [AuthClient, ...AuthClient[]];
  await first.login(credentials);
  for (const other of others) await other.start();
  for (const tab of [first, ...others]) expect(tab.getState().status).toBe('signed-in');
  return [first, ...others];
}

describe.each(TAB_KINDS)('across tabs ($name)', (kind) => {
  test('logout in one tab signs the others out, with reason other-tab', async () => {
    const context = browserWithTabs(kind);
    const [a, b, c] = await signedInTabs(3, context);
    await a?.logout();
    expect(a?.getState()).toEqual({ status: 'signed-out', reason: 'logout' });
    await vi.waitFor(() => {
      expect(b?.getState()).toEqual({ status: 'signed-out', reason: 'other-tab' });
      expect(c?.getState()).toEqual({ status: 'signed-out', reason: 'other-tab' });
    });
    expect(await b?.getAccessToken()).toBeNull();
  });

  test('login in one tab signs in the others, once the server confirms the session', async () => {
    const context = browserWithTabs(kind);
    const a = context.tab();
    const b = context.tab();
    await Promise.all([a.start(), b.start()]);
    await a.login(credentials);
    await vi.waitFor(() =>
      expect(b.getState()).toMatchObject({ status: 'signed-in', user: { username: 'ada' } }),
    );
    expect((await b.fetch('/api/things/')).status).toBe(200);
    // Two silent refreshes at start (no session then), one for b to check the news.
    expect(context.server.count('/api/auth/refresh/')).toBe(3);
  });

  test('a late message about a session that has ended does not sign a logged-out tab back in', async () => {
    const context = browserWithTabs(kind);
    const [a] = await signedInTabs(1, context);
    const stale = { access: (await a?.getAccessToken()) as string, user: context.user };
    await a?.logout();
    const refreshes = context.server.count('/api/auth/refresh/');
    context.sender().broadcast({ type: 'signed-in', ...stale });
    await vi.waitFor(() => expect(context.server.count('/api/auth/refresh/')).toBe(refreshes + 1));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(a?.getState()).toEqual({ status: 'signed-out', reason: 'logout' });
    expect(await a?.getAccessToken()).toBeNull();
  });

  test('a refresh in one tab is adopted by the others instead of refreshing again', async () => {
    const context = browserWithTabs(kind);
    const [a, b] = await signedInTabs(2, context);
    const before = context.server.count('/api/auth/refresh/');
    context.clock.advance(301);
    const delivered = context.heard('access');
    const token = await a?.refresh();
    await delivered;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await b?.getAccessToken()).toBe(token);
    expect(context.server.count('/api/auth/refresh/')).toBe(before + 1);
  });

  test('five tabs waking together with expired tokens: nobody is signed out, (nearly) one refresh', async () => {
    const context = browserWithTabs(kind);
    const tabs = await signedInTabs(5, context);
    const before = context.server.count('/api/auth/refresh/');
    context.clock.advance(3600);
    const responses = await Promise.all(
      tabs.flatMap((tab) => [tab.fetch('/api/things/'), tab.fetch('/api/things/')]),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
    for (const tab of tabs) expect(tab.getState().status).toBe('signed-in');
    // The lock makes the refreshes take turns; a tab whose turn comes before the news of the last refresh
    // refreshes again (harmless: it presents the newest cookie). In memory the news always comes first.
    const refreshes = context.server.count('/api/auth/refresh/') - before;
    if (kind.name === 'in-memory') expect(refreshes).toBe(1);
    else expect(refreshes).toBeLessThanOrEqual(tabs.length);
  });
});

test('without cross-tab coordination, the same wake-up would end the session (what the lock prevents)', async () => {
  // Without the grace period (GATEHOUSE_ROTATION_GRACE_PERIOD=0): within it, the server answers the
  // same cookie presented at once by several tabs with one successor, as it does a lost answer.
  const context = setup({ rotationGracePeriod: 0 });
  cleanups.push(context.disposeAll);
  const tabs = [context.client(), context.client(), context.client()];
  await tabs[0]?.login(credentials);
  for (const tab of tabs.slice(1)) await tab.start();
  context.clock.advance(3600);
  // Each tab has only its own lock here, so they present the same cookie at once: a reuse.
  await Promise.allSettled(tabs.map((tab) => tab.fetch('/api/things/')));
  expect(tabs.some((tab) => tab.getState().status === 'signed-out')).toBe(true);
});
