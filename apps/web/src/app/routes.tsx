import type { RouteObject } from 'react-router';
import { PageSpinner } from '../components/ui/spinner';
import { GuestOnly, RequireSignedIn, RequireSuperuser } from './guards';
import { RootLayout } from './root-layout';
import { AccountRoute } from './routes/account';
import { HomeRoute } from './routes/home';
import { LoginRoute } from './routes/login';
import { NotFoundRoute } from './routes/not-found';
import { RegisterRoute } from './routes/register';
import { RouteError } from './routes/route-error';

/** The app's pages. Administration is loaded on demand: most users never open it. */
export const routes: RouteObject[] = [
  {
    element: <RootLayout />,
    errorElement: <RouteError />,
    hydrateFallbackElement: <PageSpinner />,
    children: [
      {
        element: <GuestOnly />,
        children: [
          { path: 'login', element: <LoginRoute /> },
          { path: 'register', element: <RegisterRoute /> },
        ],
      },
      {
        element: <RequireSignedIn />,
        children: [
          { index: true, element: <HomeRoute /> },
          { path: 'account', element: <AccountRoute /> },
        ],
      },
      {
        path: 'admin',
        element: <RequireSuperuser />,
        children: [
          {
            lazy: async () => ({ Component: (await import('./routes/admin/admin-layout')).AdminLayout }),
            children: [
              {
                index: true,
                lazy: async () => ({ Component: (await import('./routes/admin/users')).AdminUsersRoute }),
              },
              {
                path: 'users/:id',
                lazy: async () => ({ Component: (await import('./routes/admin/user')).AdminUserRoute }),
              },
              {
                path: 'audit',
                lazy: async () => ({ Component: (await import('./routes/admin/audit')).AdminAuditRoute }),
              },
            ],
          },
        ],
      },
      { path: '*', element: <NotFoundRoute /> },
    ],
  },
];
