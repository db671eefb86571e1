import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useAuth } from '@gatehouse/client/react';
import { ButtonLink } from '../../components/ui/button';
import { PageHeader } from '../../components/ui/page-header';
import { ChangePasswordForm } from '../../features/account/components/change-password-form';
import { DeleteAccountCard } from '../../features/account/components/delete-account-card';
import { SecurityEventsCard } from '../../features/account/components/security-events-card';
import { SessionsCard } from '../../features/account/components/sessions-card';
import { EmailCard } from '../../features/email/components/email-card';
import { ProfileForm } from '../../features/profile/components/profile-form';
import { useDocumentTitle } from '../../lib/use-document-title';
import type { LoginState } from '../login-state';
import './pages.css';

export function AccountRoute() {
  useDocumentTitle('Account');
  const { user } = useAuth();
  const navigate = useNavigate();
  // Bumped when a change elsewhere on the page ends sessions or records an event: those lists reload.
  const [version, setVersion] = useState(0);

  const onDeleted = () => {
    // The server already ended every session; /login signs the client out once it shows (signOut), so
    // this page's guard never sees the sign-out and redirects with a plain "logged out".
    const state: LoginState = { notice: 'account-deleted', signOut: true };
    void navigate('/login', { replace: true, state });
  };

  const onReauthenticate = () => {
    // /login signs the client out once it shows, then brings the user back here.
    const state: LoginState = {
      notice: 'reauthenticate',
      signOut: true,
      from: { pathname: '/account', search: '', hash: '' },
    };
    void navigate('/login', { replace: true, state });
  };

  return (
    <>
      <PageHeader
        title="Account"
        description={
          user ? `Signed in as ${user.username}${user.email ? ` (${user.email})` : ''}.` : undefined
        }
        actions={<ButtonLink to="/account/security">Two-step verification and passkeys</ButtonLink>}
      />
      <div className="page-columns">
        <ProfileForm />
        <EmailCard onReauthenticate={onReauthenticate} />
        <ChangePasswordForm onChanged={() => setVersion((v) => v + 1)} />
        <div className="page-columns__wide">
          <SessionsCard version={version} />
        </div>
        <SecurityEventsCard version={version} />
        <DeleteAccountCard onDeleted={onDeleted} />
      </div>
    </>
  );
}
