import type { SessionResponse } from '@gatehouse/contract';
import { describeUserAgent, formatDateTime, formatRelative } from '../lib/format';
import { Badge } from './ui/badge';
import { Button } from './ui/button';
import { Table, type Column } from './ui/table';
import './sessions-table.css';

export interface SessionsTableProps {
  sessions: readonly SessionResponse[];
  /** Without it, no "Revoke" (a viewer who may not end the sessions). */
  onRevoke?: ((session: SessionResponse) => void) | undefined;
  /** The session being revoked: its button spins, the others wait. */
  revoking?: string | undefined;
  caption?: string;
}

/** Open sessions (device, IP address, last use, sign-in), each with "Revoke" but the current one. */
export function SessionsTable({
  sessions,
  onRevoke,
  revoking,
  caption = 'Open sessions',
}: SessionsTableProps) {
  const columns: Column<SessionResponse>[] = [
    {
      header: 'Device',
      cell: (session) => (
        <span className="session-device" title={session.user_agent || undefined}>
          {describeUserAgent(session.user_agent)}
        </span>
      ),
    },
    { header: 'IP address', cell: (session) => <code>{session.ip || '—'}</code> },
    {
      header: 'Last used',
      cell: (session) => (
        <time dateTime={session.last_used_at} title={formatDateTime(session.last_used_at)}>
          {formatRelative(session.last_used_at)}
        </time>
      ),
    },
    {
      header: 'Signed in',
      cell: (session) => <time dateTime={session.created_at}>{formatDateTime(session.created_at)}</time>,
    },
    {
      header: 'Action',
      actions: true,
      cell: (session) =>
        session.current ? (
          <Badge tone="primary">This device</Badge>
        ) : (
          onRevoke && (
            <Button
              variant="secondary"
              size="sm"
              loading={revoking === session.id}
              disabled={revoking !== undefined}
              onClick={() => onRevoke(session)}
            >
              Revoke
            </Button>
          )
        ),
    },
  ];
  return (
    <Table
      caption={caption}
      columns={columns}
      rows={sessions}
      rowKey={(session) => session.id}
      rowTone={(session) => (session.current ? 'highlight' : undefined)}
      empty="No open sessions."
    />
  );
}
