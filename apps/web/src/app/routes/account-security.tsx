import { Link, useNavigate } from 'react-router';
import { useAuth } from '@gatehouse/client/react';
import { PageHeader } from '../../components/ui/page-header';
import { AuthenticatorCard } from '../../features/mfa/components/authenticator-card';
import { PasskeysCard } from '../../features/mfa/components/passkeys-card';
import { ReauthenticateAlert } from '../../features/mfa/components/reauthenticate-alert';
import { IdentitiesCard } from '../../features/oidc/components/identities-card';
import { useDocumentTitle } from '../../lib/use-document-title';
import { useResource } from '../../lib/use-resource';
import type { LoginState } from '../login-state';
import './pages.css';

/**
 * Account → Security: two-step verification (the authenticator app, recovery codes), passkeys, and the
 * providers' accounts linked for signing in.
 */
export function AccountSecurityRoute() {
  useDocumentTitle('Security');
  const { client } = useAuth();
  const navigate = useNavigate();
  const factors = useResource('mfa', () => client.getSecondFactors());

  const onReauthenticate = () => {
    // /login signs the client out once it shows, then brings the user back here.
    const state: LoginState = {
      notice: 'reauthenticate-security',
      signOut: true,
      from: { pathname: '/account/security', search: '', hash: '' },
    };
    void navigate('/login', { replace: true, state });
  };

  return (
    <>
      <PageHeader
        eyebrow={<Link to="/account">← Account</Link>}
        title="Security"
        description="How you sign in: a second step after your password, passkeys, and linked accounts."
      />
      <div className="page-columns">
        <AuthenticatorCard factors={factors} onReauthenticate={onReauthenticate} />
        <PasskeysCard onChanged={factors.reload} onReauthenticate={onReauthenticate} />
        <IdentitiesCard
          returnTo="/account/security"
          reauthenticate={<ReauthenticateAlert onReauthenticate={onReauthenticate} />}
        />
      </div>
    </>
  );
}
