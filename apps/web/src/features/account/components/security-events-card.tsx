import { useAuth } from '@gatehouse/client/react';
import { Alert } from '../../../components/ui/alert';
import { Card } from '../../../components/ui/card';
import { Spinner } from '../../../components/ui/spinner';
import { describeAction, describeDetail } from '../../../lib/audit';
import { errorMessage } from '../../../lib/form-errors';
import { formatDateTime, formatRelative } from '../../../lib/format';
import { useResource } from '../../../lib/use-resource';
import { listSecurityEvents } from '../api/security-events';
import './account.css';

const SHOWN = 10;

/** Recent security events of the account: password changes, ended sessions, administrators' actions. */
export function SecurityEventsCard({ version = 0 }: { version?: number }) {
  const { fetch } = useAuth();
  const { state } = useResource(`events-${version}`, (signal) => listSecurityEvents(fetch, SHOWN, signal), {
    keepPrevious: true,
  });

  return (
    <Card title="Security activity" description="Recent changes to your account and its sessions.">
      {state.status === 'loading' && (
        <p className="account-muted" role="status">
          <Spinner size="sm" /> Loading activity…
        </p>
      )}
      {state.status === 'error' && <Alert tone="error">{errorMessage(state.error)}</Alert>}
      {state.status === 'ready' &&
        (state.data.results.length === 0 ? (
          <p className="account-muted">Nothing yet.</p>
        ) : (
          <ol className="events">
            {state.data.results.map((event) => (
              <li key={event.id} className="events__item">
                <span className="events__action">{describeAction(event.action)}</span>
                <span className="events__meta">
                  <time dateTime={event.at} title={formatDateTime(event.at)}>
                    {formatRelative(event.at)}
                  </time>
                  {event.actor && event.actor !== event.target && <> · by {event.actor}</>}
                  {event.ip && <> · from {event.ip}</>}
                  {Object.keys(event.detail).length > 0 && <> · {describeDetail(event.detail)}</>}
                </span>
              </li>
            ))}
          </ol>
        ))}
    </Card>
  );
}
