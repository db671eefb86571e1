import type { ReactNode } from 'react';
import { AppHeader } from './app-header';
import './app-shell.css';

/** Every page: a skip link, the header, and the page in a centred column. */
export function AppShell({ children }: { children: ReactNode }) {
  return (
    <div className="app-shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <AppHeader />
      <main id="main" className="app-main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
