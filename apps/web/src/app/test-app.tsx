import { render } from '@testing-library/react';
import type { AuthClient, WebAuthn } from '@gatehouse/client';
import { useLayoutEffect, type ReactNode } from 'react';
import { MemoryRouter, useLocation, useNavigate, type Location, type NavigateFunction } from 'react-router';
import type { TakenToken } from '../lib/link-token';
import { LinkTokenProvider } from './link-token';
import { AppProvider } from './provider';
import { AppRoutes } from './route-tree';
import { routes } from './routes';
import { fakeFetch, testClient, type Handlers } from '../testing/fake-api';

/** What a test reads of the router and does with it: where the app is, and go somewhere else. */
export interface TestRouter {
  state: { location: Location };
  navigate: (to: string) => Promise<void>;
}

/**
 * The app's routes at `path` in a memory router, as main.tsx renders them (app.tsx) in the browser's:
 * the returned router follows the location as the app navigates.
 */
export function renderRoutes(client: AuthClient, path: string, linkToken: TakenToken | null = null) {
  let navigate: NavigateFunction | undefined;
  const router: TestRouter = {
    state: { location: { pathname: path, search: '', hash: '', state: null, key: 'default' } },
    navigate: async (to) => {
      if (!navigate) throw new Error('The app has not rendered yet.');
      await navigate(to);
    },
  };
  function Probe({ children }: { children: ReactNode }) {
    const location = useLocation();
    navigate = useNavigate();
    useLayoutEffect(() => {
      router.state.location = location;
    }, [location]);
    return children;
  }
  render(
    <AppProvider client={client}>
      <LinkTokenProvider initial={linkToken}>
        <MemoryRouter initialEntries={[path]}>
          <Probe>
            <AppRoutes routes={routes} />
          </Probe>
        </MemoryRouter>
      </LinkTokenProvider>
    </AppProvider>,
  );
  return router;
}

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
  const router = renderRoutes(client, path, token === undefined ? null : { pathname: path, token });
  /** The requests the app made to `path` (method and path: 'POST /api/…'). */
  const sent = (route: string) => calls.filter((call) => `${call.method} ${call.path}` === route);
  return { router, calls, client, sent };
}
