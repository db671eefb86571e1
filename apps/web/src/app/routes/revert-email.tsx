import { Link } from 'react-router';
import { useAuth } from '@gatehouse/client/react';
import { LinkAction } from '../../components/link-action';
import { Alert } from '../../components/ui/alert';
import { ButtonLink } from '../../components/ui/button';
import { useLinkToken } from '../link-token';
import { AuthLayout } from './auth-layout';

export function RevertEmailRoute() {
  const token = useLinkToken();
  const { client } = useAuth();
  return (
    <AuthLayout
      title="Undo the email change"
      description="If you did not change your account's email address, put this one back. Every session of the account will end, so whoever changed it is signed out."
      footer={
        <>
          Then choose a new password: <Link to="/forgot-password">reset it</Link>.
        </>
      }
    >
      <LinkAction
        token={token}
        label="Restore my old address"
        variant="danger"
        run={client.revertEmailChange}
        done={({ detail, email }) => (
          <>
            <Alert tone="success" title={detail}>
              Your account uses {email} again. If someone else made the change, reset your password now.
            </Alert>
            <ButtonLink to="/forgot-password" variant="primary">
              Reset my password
            </ButtonLink>
          </>
        )}
        recovery={<ButtonLink to="/forgot-password">Reset my password</ButtonLink>}
      />
    </AuthLayout>
  );
}
