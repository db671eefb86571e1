import type { AuthClient } from '@gatehouse/client';
import { BrowserRouter } from 'react-router';
import type { TakenToken } from '../lib/link-token';
import { LinkTokenProvider } from './link-token';
import { AppProvider } from './provider';
import { AppRoutes } from './route-tree';
import { routes } from './routes';

export interface AppProps {
  client: AuthClient;
  /** The token of the mailed link that opened the app, already out of the address bar. */
  linkToken: TakenToken | null;
}

export function App({ client, linkToken }: AppProps) {
  return (
    <AppProvider client={client}>
      <LinkTokenProvider initial={linkToken}>
        <BrowserRouter>
          <AppRoutes routes={routes} />
        </BrowserRouter>
      </LinkTokenProvider>
    </AppProvider>
  );
}
