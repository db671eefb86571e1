import { useAuth } from '@gatehouse/client/react';
import { LinkAction } from '../../components/link-action';
import { Alert } from '../../components/ui/alert';
import { ButtonLink } from '../../components/ui/button';
import { ResendVerification } from '../../features/email/components/resend-verification';
import { useLinkToken } from '../link-token';
import { AuthLayout } from './auth-layout';

export function VerifyEmailRoute() {
  const token = useLinkToken();
  const { client, status } = useAuth();
  const next =
    status === 'signed-in' ? (
      <ButtonLink to="/account">Go to your account</ButtonLink>
    ) : (
      <ButtonLink to="/login">Log in</ButtonLink>
    );
  return (
    <AuthLayout
      title="Verify your email address"
      description="Confirm that this address is yours, so that password resets and security notices reach you."
      footer={next}
    >
      <LinkAction
        token={token}
        label="Verify my address"
        run={client.verifyEmail}
        done={({ detail, email }) => (
          <Alert tone="success" title={detail}>
            {email}
          </Alert>
        )}
        recovery={<ResendVerification />}
      />
    </AuthLayout>
  );
}
