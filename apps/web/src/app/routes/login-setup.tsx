import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { Enrollment } from '../../features/mfa/components/enrollment';
import { readLoginState, returnPath } from '../login-state';
import { AuthLayout } from './auth-layout';

/**
 * Two-step verification is required and the user has none yet: set up the authenticator app, which signs
 * in. Not a guest-only page: once signed in, it still shows the recovery codes before going on.
 */
export function LoginSetupRoute() {
  const location = useLocation();
  const navigate = useNavigate();
  const state = readLoginState(location.state);
  const { challenge, from } = state;
  if (!challenge) return <Navigate to="/login" replace state={from ? { from } : undefined} />;
  return (
    <AuthLayout
      title="Set up two-step verification"
      description="This server asks for a second step at every sign-in. Add this account to an authenticator app."
      footer={
        <Link to="/login" state={from ? { from } : undefined}>
          Start over
        </Link>
      }
    >
      <Enrollment
        mfaToken={challenge.mfaToken}
        onDone={() => void navigate(returnPath(state), { replace: true })}
      />
    </AuthLayout>
  );
}
