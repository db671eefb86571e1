import { useState } from 'react';
import type { AuthClient } from '@gatehouse/client';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { AppProvider } from './provider';
import { routes } from './routes';

export function App({ client }: { client: AuthClient }) {
  const [router] = useState(() => createBrowserRouter(routes));
  return (
    <AppProvider client={client}>
      <RouterProvider router={router} />
    </AppProvider>
  );
}
