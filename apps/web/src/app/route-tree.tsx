import {
  Component,
  createContext,
  lazy,
  Suspense,
  useContext,
  type ComponentType,
  type ErrorInfo,
  type ReactNode,
} from 'react';
import { useLocation, useRoutes, type RouteObject } from 'react-router';

/**
 * The app's route table (routes.tsx) rendered by React Router's component API (`<BrowserRouter>` and
 * `useRoutes`) rather than its data router (`createBrowserRouter`): the data router (loaders, actions,
 * fetchers, revalidation), which the app never used, was 19 KB of the 32 KB gzipped React Router put in
 * the login page's first download (issue 20). The table keeps the data router's shape for what the app
 * does use: `lazy` (a page loaded when opened, here with React.lazy), `errorElement` (shown when a page
 * below fails to render or its code fails to load) and `hydrateFallbackElement` (shown while it loads).
 */
export function AppRoutes({ routes }: { routes: RouteObject[] }) {
  let tree = adapted.get(routes);
  if (!tree) {
    tree = routes.map((route) => adapt(route, null));
    adapted.set(routes, tree);
  }
  return useRoutes(tree);
}

// Adapted once per table: React.lazy's components must outlive renders, or each render would load anew.
const adapted = new WeakMap<RouteObject[], RouteObject[]>();

type LazyModule = { Component?: ComponentType | null };

function adapt(route: RouteObject, fallback: ReactNode): RouteObject {
  const loading = route.hydrateFallbackElement ?? fallback;
  const { lazy: load, errorElement, hydrateFallbackElement: _fallback, children, ...rest } = route;
  let element = rest.element ?? null;
  if (load !== undefined && typeof load !== 'function') {
    throw new Error(`Route ${route.path ?? '(layout)'}: lazy must be a function returning { Component }.`);
  }
  if (load) {
    const Page = lazy(async () => {
      const { Component: Loaded } = await (load as () => Promise<LazyModule>)();
      if (!Loaded) throw new Error('A lazy route loaded no Component.');
      return { default: Loaded };
    });
    element = (
      <Suspense fallback={loading}>
        <Page />
      </Suspense>
    );
  }
  if (errorElement) element = <RouteErrorBoundary fallback={errorElement}>{element}</RouteErrorBoundary>;
  const adapted = { ...rest, element } as RouteObject;
  if (children) adapted.children = children.map((child) => adapt(child, loading));
  return adapted;
}

const RouteErrorContext = createContext<unknown>(undefined);

/** The error an `errorElement` is shown for (React Router's useRouteError, for the component API). */
export function useRouteError(): unknown {
  return useContext(RouteErrorContext);
}

function RouteErrorBoundary({ fallback, children }: { fallback: ReactNode; children: ReactNode }) {
  const { pathname } = useLocation();
  return (
    <ErrorBoundary pathname={pathname} fallback={fallback}>
      {children}
    </ErrorBoundary>
  );
}

interface BoundaryProps {
  pathname: string;
  fallback: ReactNode;
  children: ReactNode;
}

interface BoundaryState {
  error: unknown;
  failed: boolean;
  pathname: string;
}

/** Shows `fallback` instead of a page that failed, until the user goes to another page. */
class ErrorBoundary extends Component<BoundaryProps, BoundaryState> {
  override state: BoundaryState = { error: undefined, failed: false, pathname: this.props.pathname };

  static getDerivedStateFromError(error: unknown): Partial<BoundaryState> {
    return { error, failed: true };
  }

  static getDerivedStateFromProps(props: BoundaryProps, state: BoundaryState): Partial<BoundaryState> | null {
    if (props.pathname === state.pathname) return null;
    return { error: undefined, failed: false, pathname: props.pathname };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error('A page failed to render:', error, info.componentStack);
  }

  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <RouteErrorContext.Provider value={this.state.error}>{this.props.fallback}</RouteErrorContext.Provider>
    );
  }
}
