import { PageHeader } from '../../../components/ui/page-header';
import { RolesManager } from '../../../features/admin/components/roles-manager';
import { ROLES_MANAGE } from '../../../lib/permissions';
import { useDocumentTitle } from '../../../lib/use-document-title';
import { Permitted } from './permitted';

export function AdminRolesRoute() {
  useDocumentTitle('Roles');
  return (
    <Permitted permission={ROLES_MANAGE}>
      <PageHeader
        title="Roles"
        description="Named sets of permissions. Nobody can grant a permission they do not hold."
      />
      <RolesManager />
    </Permitted>
  );
}
