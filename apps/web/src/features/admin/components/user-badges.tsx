import type { AccountResponse } from '@gatehouse/contract';
import { Badge } from '../../../components/ui/badge';

/** Active or not, and the roles: the account's state at a glance. */
export function UserBadges({ user }: { user: AccountResponse }) {
  return (
    <span className="user-badges">
      {user.is_active ? <Badge tone="success">Active</Badge> : <Badge tone="danger">Inactive</Badge>}
      {user.is_superuser && <Badge tone="primary">Superuser</Badge>}
      {user.is_staff && <Badge>Staff</Badge>}
    </span>
  );
}
