// @vitest-environment happy-dom
import { act, cleanup, render, renderHook, screen, waitFor } from '@testing-library/react';
import { StrictMode, type ReactNode } from 'react';
import { afterEach, expect, test, vi } from 'vitest';
import type { AuthClient } from '../auth-client.js';
import { credentials, setup } from '../testing/setup.js';
import { AuthProvider } from './auth-provider.js';
import { useAuth } from './use-auth.js';

afterEach(cleanup);

function Status() {
  const { status, user, state } = useAuth();
  return (
    <p>
      {status === 'signed-out'
        ? `signed-out:${state.status === 'signed-out' && state.reason}`
        : `${status}:${user?.username ?? '-'}`}
    </p>
  );
}

const wrapper = (client: AuthClient) =>
  function Wrapper({ children }: { children: ReactNode }) {
    return <AuthProvider client={client}>{children}</AuthProvider>;
  };

test('starts the client once on mount (StrictMode too) and follows its state', async () => {
  const { client, server } = setup();
  const auth = client();
  render(
    <StrictMode>
      <AuthProvider client={auth}>
        <Status />
      </AuthProvider>
    </StrictMode>,
  );
  expect(screen.getByText('loading:-')).toBeTruthy();
  await screen.findByText('signed-out:initial');
  expect(server.count('/api/auth/refresh/')).toBe(1);
  await act(() => auth.login(credentials));
  expect(screen.getByText('signed-in:ada')).toBeTruthy();
  await act(() => auth.logout());
  expect(screen.getByText('signed-out:logout')).toBeTruthy();
});

test('useAuth: the actions, user and status; the same result object while nothing changes', async () => {
  const { client } = setup();
  const auth = client();
  const { result, rerender } = renderHook(() => useAuth(), { wrapper: wrapper(auth) });
  await waitFor(() => expect(result.current.status).toBe('signed-out'));
  const before = result.current;
  rerender();
  expect(result.current).toBe(before);
  await act(() => result.current.login(credentials));
  expect(result.current.user?.username).toBe('ada');
  expect(result.current.state).toBe(auth.getState());
  expect(result.current.client).toBe(auth);
  const response = await result.current.fetch('/api/things/');
  expect(response.status).toBe(200);
  expect((await act(() => result.current.refreshUser())).username).toBe('ada');
  await act(() => result.current.logout());
  expect(result.current.user).toBeNull();
});

test('a session expiring elsewhere re-renders as signed-out expired', async () => {
  const { client, server } = setup();
  const auth = client();
  render(
    <AuthProvider client={auth}>
      <Status />
    </AuthProvider>,
  );
  await screen.findByText('signed-out:initial');
  await act(() => auth.login(credentials));
  server.revokeAccessTokens();
  server.cookie = null;
  await act(() => auth.fetch('/api/things/'));
  expect(screen.getByText('signed-out:expired')).toBeTruthy();
});

test('onStartError hears a failed start; the state stays loading', async () => {
  const { client, server } = setup();
  server.offline = true;
  const onStartError = vi.fn();
  render(
    <AuthProvider client={client()} onStartError={onStartError}>
      <Status />
    </AuthProvider>,
  );
  await waitFor(() =>
    expect(onStartError).toHaveBeenCalledWith(expect.objectContaining({ code: 'network_error' })),
  );
  expect(screen.getByText('loading:-')).toBeTruthy();
});

test('useAuth outside an AuthProvider says what is missing', () => {
  vi.spyOn(console, 'error').mockImplementation(() => {});
  expect(() => renderHook(() => useAuth())).toThrow('<AuthProvider');
});
