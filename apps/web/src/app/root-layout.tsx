import { useEffect, useRef } from 'react';
import { Outlet, useLocation } from 'react-router';
import { AppShell } from '../components/layout/app-shell';

/**
 * The shell around every page. After a navigation to another page, focus moves to the page's content,
 * as a full page load would put it at the top, so keyboard and screen reader users start there; the
 * window scrolls back to the top, as it would on a page load.
 */
export function RootLayout() {
  const { pathname } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    window.scrollTo(0, 0);
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [pathname]);
  return (
    <AppShell>
      <Outlet />
    </AppShell>
  );
}
