import { useState } from 'react';
import { useAuth } from '@gatehouse/client/react';
import type { AdminUserResponse } from '@gatehouse/contract';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/card';
import { DetailsList } from '../../../components/ui/details-list';
import { Spinner } from '../../../components/ui/spinner';
import { errorMessage } from '../../../lib/form-errors';
import { USERS_UPDATE, useViewer } from '../../../lib/permissions';
import { formatDateTime } from '../../../lib/format';
import { useAction } from '../../../lib/use-action';
import { useResource } from '../../../lib/use-resource';
import { getUserFactors, resetUserFactors } from '../api/users';
import './admin.css';

/** A user's second factors, and the reset for a user who lost them (with a confirmation). */
export function UserFactorsCard({ user }: { user: AdminUserResponse }) {
  const { fetch } = useAuth();
  const mayReset = useViewer().can(USERS_UPDATE);
  const factors = useResource(`mfa-${user.public_id}`, (signal) =>
    getUserFactors(fetch, user.public_id, signal),
  );
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState(false);
  const reset = useAction(() => resetUserFactors(fetch, user.public_id));
  const { state } = factors;
  const any = state.status === 'ready' && (state.data.totp || state.data.passkeys.length > 0);

  const confirm = async () => {
    if ((await reset.run()).ok) {
      setConfirming(false);
      setDone(true);
      factors.reload();
    }
  };

  return (
    <Card
      title="Second factors"
      description="How this account proves itself after (or instead of) its password."
    >
      <div className="admin-stack">
        {state.status === 'loading' && <Spinner />}
        {state.status === 'error' && <Alert tone="error">{errorMessage(state.error)}</Alert>}
        {reset.error !== undefined && <Alert tone="error">{errorMessage(reset.error)}</Alert>}
        {done && <Alert tone="success">Every second factor of {user.username} was removed.</Alert>}
        {state.status === 'ready' && (
          <DetailsList
            items={[
              { term: 'Authenticator app', value: state.data.totp ? 'On' : 'Off' },
              { term: 'Recovery codes left', value: String(state.data.recovery_codes_left) },
              {
                term: 'Passkeys',
                value:
                  state.data.passkeys.length === 0 ? (
                    'None'
                  ) : (
                    <ul className="admin-list">
                      {state.data.passkeys.map((passkey) => (
                        <li key={passkey.id}>
                          {passkey.name}{' '}
                          <span className="admin-muted">
                            (added {formatDateTime(passkey.created_at)}
                            {passkey.last_used_at
                              ? `, last used ${formatDateTime(passkey.last_used_at)}`
                              : ''}
                            )
                          </span>
                        </li>
                      ))}
                    </ul>
                  ),
              },
            ]}
          />
        )}
        {!mayReset ? null : confirming ? (
          <div className="admin-confirm" role="group" aria-label="Confirm the reset">
            <p>
              Remove the authenticator app, the recovery codes and every passkey of{' '}
              <strong>{user.username}</strong>? They will sign in with their password alone until they set up
              a new factor.
            </p>
            <div className="admin-row">
              <Button variant="danger" loading={reset.pending} onClick={() => void confirm()}>
                Yes, reset second factors
              </Button>
              <Button variant="ghost" disabled={reset.pending} onClick={() => setConfirming(false)}>
                Cancel
              </Button>
            </div>
          </div>
        ) : (
          <div>
            <Button variant="danger" disabled={!any} onClick={() => setConfirming(true)}>
              Reset second factors
            </Button>
          </div>
        )}
      </div>
    </Card>
  );
}
