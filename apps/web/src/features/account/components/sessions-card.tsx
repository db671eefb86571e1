import { useState } from 'react';
import { useAuth } from '@gatehouse/client/react';
import type { SessionResponse } from '@gatehouse/contract';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/card';
import { PageSpinner } from '../../../components/ui/spinner';
import { SessionsTable } from '../../../components/sessions-table';
import { errorMessage } from '../../../lib/form-errors';
import { useAction } from '../../../lib/use-action';
import { useResource } from '../../../lib/use-resource';
import { listSessions, revokeSession } from '../api/sessions';
import './account.css';

export interface SessionsCardProps {
  /** Changes when the sessions may have changed elsewhere (a password change): the list loads again. */
  version?: number;
}

/** The caller's open sessions: where, from which address, when last used; any but this one can be ended. */
export function SessionsCard({ version = 0 }: SessionsCardProps) {
  const { fetch, logoutEverywhere } = useAuth();
  const sessions = useResource(`sessions-${version}`, (signal) => listSessions(fetch, signal), {
    keepPrevious: true,
  });
  const [revoking, setRevoking] = useState<string | undefined>(undefined);
  const revoke = useAction(async (session: SessionResponse) => {
    setRevoking(session.id);
    try {
      await revokeSession(fetch, session.id);
      sessions.setData((list) => list.filter((item) => item.id !== session.id));
    } finally {
      setRevoking(undefined);
    }
  });
  const everywhere = useAction(() => logoutEverywhere());

  return (
    <Card
      title="Sessions"
      description="Where your account is signed in. Revoke any session you do not recognise."
    >
      <div className="account-stack">
        {revoke.error !== undefined && <Alert tone="error">{errorMessage(revoke.error)}</Alert>}
        {sessions.state.status === 'loading' && <PageSpinner label="Loading sessions…" />}
        {sessions.state.status === 'error' && (
          <Alert tone="error" title="Your sessions could not be loaded.">
            <p>{errorMessage(sessions.state.error)}</p>
            <Button variant="secondary" size="sm" onClick={sessions.reload}>
              Try again
            </Button>
          </Alert>
        )}
        {sessions.state.status === 'ready' && (
          <SessionsTable
            sessions={sessions.state.data}
            revoking={revoking}
            onRevoke={(session) => void revoke.run(session)}
          />
        )}
        <div className="account-everywhere">
          <p>
            Lost a device or left yourself signed in somewhere? End every session at once, this one included.
          </p>
          <Button variant="secondary" loading={everywhere.pending} onClick={() => void everywhere.run()}>
            Log out everywhere
          </Button>
        </div>
        {everywhere.error !== undefined && <Alert tone="error">{errorMessage(everywhere.error)}</Alert>}
      </div>
    </Card>
  );
}
