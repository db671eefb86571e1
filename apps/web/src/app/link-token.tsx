import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { useLocation } from 'react-router';
import { takeLinkToken, type TakenToken } from '../lib/link-token';

const LinkTokenContext = createContext<TakenToken | null>(null);

export interface LinkTokenProviderProps {
  /** Taken by main.tsx before anything else ran (lib/link-token.ts). */
  initial: TakenToken | null;
  children: ReactNode;
}

/**
 * Holds the token of the mailed link that opened the app. A link opened again in this tab changes only
 * the fragment (no reload): its token is taken out of the address bar as the first one was.
 */
export function LinkTokenProvider({ initial, children }: LinkTokenProviderProps) {
  const [taken, setTaken] = useState(initial);
  useEffect(() => {
    const onHashChange = () => {
      const next = takeLinkToken(window.location, window.history);
      if (next !== null) setTaken(next);
    };
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);
  return <LinkTokenContext value={taken}>{children}</LinkTokenContext>;
}

/** The token of the link that opened this page; null when it came without one (or for another page). */
export function useLinkToken(): string | null {
  const taken = useContext(LinkTokenContext);
  const { pathname } = useLocation();
  return taken?.pathname === pathname ? taken.token : null;
}
