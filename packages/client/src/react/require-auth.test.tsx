// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react';
import { useEffect } from 'react';
import { afterEach, expect, test } from 'vitest';
import type { AuthClient } from '../auth-client.js';
import type { Account } from '../auth-state.js';
import { credentials, setup } from '../testing/setup.js';
import { AuthProvider } from './auth-provider.js';
import { RequireAuth } from './require-auth.js';

afterEach(cleanup);

/** Records that it was ever mounted, as a redirect would act at once. */
function Redirect({ log }: { log: string[] }) {
  useEffect(() => {
    log.push('redirected');
  }, [log]);
  return <p>login page</p>;
}

function page(auth: AuthClient, log: string[], allow?: (user: Account) => boolean) {
  return (
    <AuthProvider client={auth}>
      <RequireAuth
        fallback={<Redirect log={log} />}
        loading={<p>loading…</p>}
        {...(allow && { allow })}
        forbidden={<p>forbidden</p>}
      >
        <p>secret</p>
      </RequireAuth>
    </AuthProvider>
  );
}

test('a returning user sees loading, then the page, and never the fallback', async () => {
  const { client } = setup();
  await client().login(credentials);
  const log: string[] = [];
  render(page(client(), log));
  expect(screen.getByText('loading…')).toBeTruthy();
  await screen.findByText('secret');
  expect(log).toEqual([]);
});

test('signed out: the fallback', async () => {
  const { client } = setup();
  const log: string[] = [];
  render(page(client(), log));
  await screen.findByText('login page');
  expect(log).toEqual(['redirected']);
});

test('allow refuses: forbidden; allows: the children', async () => {
  const { client } = setup();
  const auth = client();
  await auth.login(credentials);
  const { rerender } = render(page(auth, [], (user) => user.is_staff));
  await screen.findByText('forbidden');
  rerender(page(auth, [], (user) => user.username === 'ada'));
  expect(screen.getByText('secret')).toBeTruthy();
  await act(() => auth.logout());
  expect(screen.getByText('login page')).toBeTruthy();
});
