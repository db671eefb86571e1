import { useAuth } from '@gatehouse/client/react';
import { ButtonLink } from '../../components/ui/button';
import { Badge } from '../../components/ui/badge';
import { Card } from '../../components/ui/card';
import { DetailsList } from '../../components/ui/details-list';
import { PageHeader } from '../../components/ui/page-header';
import { ProfileCard } from '../../features/profile/components/profile-card';
import { formatDate, formatDateTime } from '../../lib/format';
import { useDocumentTitle } from '../../lib/use-document-title';
import './pages.css';

/** Tutorial A's home page: you are logged in, and here is your private profile. */
export function HomeRoute() {
  useDocumentTitle('Home');
  const { user } = useAuth();
  if (!user) return null;
  return (
    <>
      <PageHeader title="You are logged in" description="This page is only for signed-in users." />
      <div className="page-grid">
        <ProfileCard />
        <Card
          title="Your account"
          actions={user.is_superuser ? <Badge tone="primary">Superuser</Badge> : undefined}
        >
          <div className="page-stack">
            <DetailsList
              items={[
                { term: 'Username', value: user.username },
                { term: 'Login email', value: user.email ?? 'None' },
                { term: 'Member since', value: formatDate(user.created) },
                {
                  term: 'Last login',
                  value: user.last_login ? formatDateTime(user.last_login) : 'Not recorded',
                },
              ]}
            />
            <div>
              <ButtonLink to="/account" size="sm">
                Sessions and security
              </ButtonLink>
            </div>
          </div>
        </Card>
      </div>
    </>
  );
}
