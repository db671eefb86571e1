import type { AdminUserResponse } from '@gatehouse/contract';
import { Card } from '../../../components/ui/card';
import { formatDateTime } from '../../../lib/format';
import './admin.css';

/**
 * The providers' accounts a user signs in with (issuer and subject: what identifies them, never the
 * email). Nothing from a server that does not report them.
 */
export function UserIdentitiesCard({ user }: { user: AdminUserResponse }) {
  const { identities } = user;
  if (identities === undefined) return null;
  return (
    <Card title="Linked accounts" description="The providers this account signs in with.">
      {identities.length === 0 ? (
        <p className="admin-muted">None.</p>
      ) : (
        <ul className="admin-list">
          {identities.map((identity) => (
            <li key={identity.id}>
              <strong>{identity.display_name}</strong>
              {identity.email !== null && <> · {identity.email}</>}{' '}
              <span className="admin-muted">
                (subject <code>{identity.subject}</code> at <code>{identity.issuer}</code>; linked{' '}
                {formatDateTime(identity.created_at)}
                {identity.last_used_at ? `, last used ${formatDateTime(identity.last_used_at)}` : ''})
              </span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
