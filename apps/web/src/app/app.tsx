import { useState } from 'react';
import type { AuthClient } from '@gatehouse/client';
import { createBrowserRouter, RouterProvider } from 'react-router';
import type { TakenToken } from '../lib/link-token';
import { LinkTokenProvider } from './link-token';
import { AppProvider } from './provider';
import { routes } from './routes';

export interface AppProps {
  client: AuthClient;
  /** The token of the mailed link that opened the app, already out of the address bar. */
  linkToken: TakenToken | null;
}

export function App({ client, linkToken }: AppProps) {
  const [router] = useState(() => createBrowserRouter(routes));
  return (
    <AppProvider client={client}>
      <LinkTokenProvider initial={linkToken}>
        <RouterProvider router={router} />
      </LinkTokenProvider>
    </AppProvider>
  );
}
