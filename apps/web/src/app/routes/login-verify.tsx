import { Link, Navigate, useLocation } from 'react-router';
import { SecondStepForm } from '../../features/mfa/components/second-step-form';
import { readLoginState } from '../login-state';
import { AuthLayout } from './auth-layout';

/**
 * The login's second step, opened by /login with the challenge in the history state (never the URL).
 * Signing in here leaves through the guest-only guard, to where the user was going.
 */
export function LoginVerifyRoute() {
  const location = useLocation();
  const { challenge, from } = readLoginState(location.state);
  if (!challenge) return <Navigate to="/login" replace state={from ? { from } : undefined} />;
  const otp = challenge.methods.includes('otp');
  return (
    <AuthLayout
      title="Two-step verification"
      description={
        otp ? 'Enter the code from your authenticator app.' : 'Confirm it is you with your passkey.'
      }
      footer={
        <Link to="/login" state={from ? { from } : undefined}>
          Start over
        </Link>
      }
    >
      <SecondStepForm mfaToken={challenge.mfaToken} methods={challenge.methods} />
    </AuthLayout>
  );
}
