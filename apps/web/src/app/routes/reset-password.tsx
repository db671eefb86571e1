import { Link } from 'react-router';
import { Alert } from '../../components/ui/alert';
import { ButtonLink } from '../../components/ui/button';
import { ResetPasswordForm } from '../../features/auth/components/reset-password-form';
import { useLinkToken } from '../link-token';
import { AuthLayout } from './auth-layout';

export function ResetPasswordRoute() {
  const token = useLinkToken();
  return (
    <AuthLayout
      title="Set a new password"
      description="Choose the password you will log in with from now on. Every session of your account will end."
      footer={<Link to="/login">Back to log in</Link>}
    >
      <ResetPasswordForm
        token={token}
        done={(detail) => (
          <>
            <Alert tone="success">{detail}</Alert>
            <ButtonLink to="/login" variant="primary">
              Log in
            </ButtonLink>
          </>
        )}
        recovery={<ButtonLink to="/forgot-password">Request a new link</ButtonLink>}
      />
    </AuthLayout>
  );
}
