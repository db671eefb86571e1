import { Link, useNavigate, useParams } from 'react-router';
import { UserDetail } from '../../../features/admin/components/user-detail';
import { useDocumentTitle } from '../../../lib/use-document-title';

export function AdminUserRoute() {
  useDocumentTitle('User');
  const { id = '' } = useParams();
  const navigate = useNavigate();
  return (
    <UserDetail
      key={id}
      publicId={id}
      backLink={<Link to="/admin">← All users</Link>}
      onDeleted={(username) => void navigate('/admin', { replace: true, state: { deleted: username } })}
    />
  );
}
