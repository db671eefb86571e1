import { Link, useNavigate, useParams } from 'react-router';
import { UserDetail } from '../../../features/admin/components/user-detail';
import { USERS_READ } from '../../../lib/permissions';
import { useDocumentTitle } from '../../../lib/use-document-title';
import { Permitted } from './permitted';

export function AdminUserRoute() {
  useDocumentTitle('User');
  const { id = '' } = useParams();
  const navigate = useNavigate();
  return (
    <Permitted permission={USERS_READ}>
      <UserDetail
        key={id}
        publicId={id}
        backLink={<Link to="/admin">← All users</Link>}
        onDeleted={(username) => void navigate('/admin', { replace: true, state: { deleted: username } })}
      />
    </Permitted>
  );
}
