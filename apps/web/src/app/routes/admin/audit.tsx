import { useSearchParams } from 'react-router';
import { PageHeader } from '../../../components/ui/page-header';
import { AuditLog } from '../../../features/admin/components/audit-log';
import { AUDIT_READ } from '../../../lib/permissions';
import { useDocumentTitle } from '../../../lib/use-document-title';
import { Permitted } from './permitted';

export function AdminAuditRoute() {
  useDocumentTitle('Audit log');
  const [params, setParams] = useSearchParams();
  const requested = Number(params.get('page'));
  const page = Number.isInteger(requested) && requested > 0 ? requested : 1;
  return (
    <Permitted permission={AUDIT_READ}>
      <PageHeader
        title="Audit log"
        description="Every administrative and security action: who, what, to whom, when and from where."
      />
      <AuditLog page={page} onPage={(next) => setParams(next > 1 ? { page: String(next) } : {})} />
    </Permitted>
  );
}
