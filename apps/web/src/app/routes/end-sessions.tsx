import { Link } from 'react-router';
import { useAuth } from '@gatehouse/client/react';
import { LinkAction } from '../../components/link-action';
import { Alert } from '../../components/ui/alert';
import { ButtonLink } from '../../components/ui/button';
import { useLinkToken } from '../link-token';
import { AuthLayout } from './auth-layout';

const ended = (count: number) =>
  count === 1 ? '1 session was signed out.' : `${count} sessions were signed out.`;

export function EndSessionsRoute() {
  const token = useLinkToken();
  const { client } = useAuth();
  return (
    <AuthLayout
      title="End every session"
      description="Signs your account out everywhere: on every device and browser, this one included."
      footer={
        <>
          Then choose a new password: <Link to="/forgot-password">reset it</Link>.
        </>
      }
    >
      <LinkAction
        token={token}
        label="End every session"
        variant="danger"
        run={client.endAllSessions}
        done={({ detail, sessions_ended: count }) => (
          <>
            <Alert tone="success" title={detail}>
              {ended(count)} If you did not expect the notice, reset your password now.
            </Alert>
            <ButtonLink to="/forgot-password" variant="primary">
              Reset my password
            </ButtonLink>
          </>
        )}
        recovery={
          <p>
            Log in and use <strong>Log out everywhere</strong> on your account page, or{' '}
            <Link to="/forgot-password">reset your password</Link>: both end every session.
          </p>
        }
      />
    </AuthLayout>
  );
}
