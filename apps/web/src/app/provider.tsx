import { useCallback, useState, type ReactNode } from 'react';
import type { AuthClient } from '@gatehouse/client';
import { AuthProvider } from '@gatehouse/client/react';
import { StartError } from './start-error';

export interface AppProviderProps {
  /** The app's one Gatehouse client (lib/auth-client.ts), created by main.tsx. */
  client: AuthClient;
  children: ReactNode;
}

/**
 * Hands the client to AuthProvider, which restores the session. If the server cannot be reached then,
 * the client stays 'loading': instead of a spinner forever, the user is told and can try again.
 */
export function AppProvider({ client, children }: AppProviderProps) {
  const [startError, setStartError] = useState<unknown>(undefined);
  const retry = useCallback(() => {
    setStartError(undefined);
    client.start().catch(setStartError);
  }, [client]);
  return (
    <AuthProvider client={client} onStartError={setStartError}>
      {startError === undefined ? children : <StartError error={startError} onRetry={retry} />}
    </AuthProvider>
  );
}
