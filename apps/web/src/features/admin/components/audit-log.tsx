import { useAuth } from '@gatehouse/client/react';
import type { AuditEntryResponse } from '@gatehouse/contract';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/card';
import { Pagination } from '../../../components/ui/pagination';
import { PageSpinner } from '../../../components/ui/spinner';
import { Table, type Column } from '../../../components/ui/table';
import { describeAction, describeDetail } from '../../../lib/audit';
import { errorMessage } from '../../../lib/form-errors';
import { formatDateTime } from '../../../lib/format';
import { useResource } from '../../../lib/use-resource';
import { AUDIT_PAGE_SIZE, listAuditLog } from '../api/audit-log';
import './admin.css';

const dash = <span className="admin-muted">—</span>;

const columns: Column<AuditEntryResponse>[] = [
  {
    header: 'When',
    cell: (entry) => (
      <time className="admin-nowrap" dateTime={entry.at}>
        {formatDateTime(entry.at)}
      </time>
    ),
  },
  { header: 'Actor', cell: (entry) => entry.actor || <span className="admin-muted">system</span> },
  {
    header: 'Action',
    cell: (entry) => (
      <span className="audit-action">
        {describeAction(entry.action)}
        <code className="audit-action__code">{entry.action}</code>
      </span>
    ),
  },
  { header: 'Target', cell: (entry) => entry.target || dash },
  { header: 'IP address', cell: (entry) => (entry.ip ? <code>{entry.ip}</code> : dash) },
  {
    header: 'Details',
    cell: (entry) => (Object.keys(entry.detail).length > 0 ? describeDetail(entry.detail) : dash),
  },
];

export interface AuditLogProps {
  page: number;
  onPage: (page: number) => void;
}

/** Who did what to whom, when and from where: every administrative and security action, newest first. */
export function AuditLog({ page, onPage }: AuditLogProps) {
  const { fetch } = useAuth();
  const { state, reload } = useResource(`audit?page=${page}`, (signal) => listAuditLog(fetch, page, signal), {
    keepPrevious: true,
  });

  return (
    <Card>
      {state.status === 'loading' && <PageSpinner label="Loading the audit log…" />}
      {state.status === 'error' && (
        <Alert tone="error" title="The audit log could not be loaded.">
          <p>{errorMessage(state.error)}</p>
          <Button variant="secondary" size="sm" onClick={reload}>
            Try again
          </Button>
        </Alert>
      )}
      {state.status === 'ready' && (
        <div aria-busy={state.refreshing}>
          <Table
            caption="Audit log"
            columns={columns}
            rows={state.data.results}
            rowKey={(entry) => entry.id}
            empty="Nothing has been recorded yet."
          />
          <Pagination
            page={page}
            pageSize={AUDIT_PAGE_SIZE}
            count={state.data.count}
            hasPrevious={state.data.previous !== null}
            hasNext={state.data.next !== null}
            onPage={onPage}
            noun={state.data.count === 1 ? 'entry' : 'entries'}
            disabled={state.refreshing}
          />
        </div>
      )}
    </Card>
  );
}
