import { render } from '@testing-library/react';
import type { WebAuthn } from '@gatehouse/client';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { LinkTokenProvider } from './link-token';
import { AppProvider } from './provider';
import { routes } from './routes';
import { fakeFetch, testClient, type Handlers } from '../testing/fake-api';

/**
 * The whole app at `path` over a fake Gatehouse, as main.tsx renders it; `token`: the page was opened
 * from a mailed link carrying it (already taken out of the address, as main.tsx does).
 */
export function renderApp(
  path: string,
  handlers: Handlers,
  token?: string,
  options: { webAuthn?: WebAuthn } = {},
) {
  const { fetch, calls } = fakeFetch(handlers);
  const client = testClient(fetch, options);
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const initial = token === undefined ? null : { pathname: path, token };
  render(
    <AppProvider client={client}>
      <LinkTokenProvider initial={initial}>
        <RouterProvider router={router} />
      </LinkTokenProvider>
    </AppProvider>,
  );
  /** The requests the app made to `path` (method and path: 'POST /api/…'). */
  const sent = (route: string) => calls.filter((call) => `${call.method} ${call.path}` === route);
  return { router, calls, client, sent };
}
