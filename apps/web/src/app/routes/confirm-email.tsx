import { useAuth } from '@gatehouse/client/react';
import { LinkAction } from '../../components/link-action';
import { Alert } from '../../components/ui/alert';
import { ButtonLink } from '../../components/ui/button';
import { useLinkToken } from '../link-token';
import { AuthLayout } from './auth-layout';

export function ConfirmEmailRoute() {
  const token = useLinkToken();
  const { client } = useAuth();
  return (
    <AuthLayout
      title="Confirm your new email address"
      description="Your account will use this address from now on. The old address gets a notice, with a link to undo the change."
      footer={<ButtonLink to="/account">Go to your account</ButtonLink>}
    >
      <LinkAction
        token={token}
        label="Confirm the new address"
        run={client.confirmEmailChange}
        done={({ detail, email }) => (
          <Alert tone="success" title={detail}>
            Your account now uses {email}.
          </Alert>
        )}
        recovery={<p>Ask for the change again from your account page: a new link will be sent.</p>}
      />
    </AuthLayout>
  );
}
