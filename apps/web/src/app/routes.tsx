import type { RouteObject } from 'react-router';
import { PageSpinner } from '../components/ui/spinner';
import { GuestOnly, RequireSignedIn, RequireAdmin } from './guards';
import { RootLayout } from './root-layout';
import { LoginRoute } from './routes/login';
import { RouteError } from './routes/route-error';

/**
 * The pages a mailed link opens, and the reset request: loaded on demand, as administration is (most
 * visits never need them, and the login page stays small). Signed in or not, anyone may open them.
 */
const linkPages: RouteObject[] = [
  {
    path: 'forgot-password',
    lazy: async () => ({ Component: (await import('./routes/forgot-password')).ForgotPasswordRoute }),
  },
  {
    path: 'reset-password',
    lazy: async () => ({ Component: (await import('./routes/reset-password')).ResetPasswordRoute }),
  },
  {
    path: 'verify-email',
    lazy: async () => ({ Component: (await import('./routes/verify-email')).VerifyEmailRoute }),
  },
  {
    path: 'confirm-email',
    lazy: async () => ({ Component: (await import('./routes/confirm-email')).ConfirmEmailRoute }),
  },
  {
    path: 'revert-email',
    lazy: async () => ({ Component: (await import('./routes/revert-email')).RevertEmailRoute }),
  },
  {
    path: 'end-sessions',
    lazy: async () => ({ Component: (await import('./routes/end-sessions')).EndSessionsRoute }),
  },
];

/**
 * The app's pages. Only the login page is in the first download (the page most visits start on, issue
 * 20); every other page is loaded when it is opened. app/route-tree.tsx renders this table.
 */
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
          {
            path: 'login/verify',
            lazy: async () => ({ Component: (await import('./routes/login-verify')).LoginVerifyRoute }),
          },
          {
            path: 'register',
            lazy: async () => ({ Component: (await import('./routes/register')).RegisterRoute }),
          },
        ],
      },
      {
        element: <RequireSignedIn />,
        children: [
          {
            index: true,
            lazy: async () => ({ Component: (await import('./routes/home')).HomeRoute }),
          },
          {
            path: 'account',
            lazy: async () => ({ Component: (await import('./routes/account')).AccountRoute }),
          },
          {
            path: 'account/security',
            lazy: async () => ({
              Component: (await import('./routes/account-security')).AccountSecurityRoute,
            }),
          },
        ],
      },
      {
        path: 'admin',
        element: <RequireAdmin />,
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
                path: 'roles',
                lazy: async () => ({ Component: (await import('./routes/admin/roles')).AdminRolesRoute }),
              },
              {
                path: 'groups',
                lazy: async () => ({ Component: (await import('./routes/admin/groups')).AdminGroupsRoute }),
              },
              {
                path: 'audit',
                lazy: async () => ({ Component: (await import('./routes/admin/audit')).AdminAuditRoute }),
              },
            ],
          },
        ],
      },
      {
        // Not guest-only: once the enrolment signs in, the page still shows the recovery codes.
        path: 'login/setup',
        lazy: async () => ({ Component: (await import('./routes/login-setup')).LoginSetupRoute }),
      },
      {
        // Not guest-only either: the exchange signs in, then the page goes on to where the user was going.
        path: 'login/oidc',
        lazy: async () => ({ Component: (await import('./routes/login-oidc')).LoginOidcRoute }),
      },
      ...linkPages,
      {
        path: '*',
        lazy: async () => ({ Component: (await import('./routes/not-found')).NotFoundRoute }),
      },
    ],
  },
];
