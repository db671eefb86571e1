import { PageHeader } from '../../../components/ui/page-header';
import { GroupsManager } from '../../../features/admin/components/groups-manager';
import { ROLES_MANAGE } from '../../../lib/permissions';
import { useDocumentTitle } from '../../../lib/use-document-title';
import { Permitted } from './permitted';

export function AdminGroupsRoute() {
  useDocumentTitle('Groups');
  return (
    <Permitted permission={ROLES_MANAGE}>
      <PageHeader title="Groups" description="Teams of users who share roles." />
      <GroupsManager />
    </Permitted>
  );
}
