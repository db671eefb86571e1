import { lazy, Suspense } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import type { SecondFactorRequired } from '@gatehouse/client';
import { Alert } from '../../components/ui/alert';
import { LoginForm } from '../../features/auth/components/login-form';
import { readLoginState, returnPath, secondStep, type LoginState } from '../login-state';
import { AuthLayout } from './auth-layout';

// Only for the rare login refused until the address is verified: loaded then, not with the page.
const ResendVerification = lazy(async () => ({
  default: (await import('../../features/email/components/resend-verification')).ResendVerification,
}));
const PasskeySignIn = lazy(async () => ({
  default: (await import('../../features/auth/components/passkey-sign-in')).PasskeySignIn,
}));
// The providers' links, and why one refused: loaded after the page shows (the first download's budget).
const OidcSignIn = lazy(async () => ({
  default: (await import('../../features/oidc/components/oidc-sign-in')).OidcSignIn,
}));

function Notice({ state }: { state: LoginState }) {
  if (state.notice === 'account-deleted') return <Alert tone="success">Your account has been deleted.</Alert>;
  if (state.notice === 'reauthenticate') {
    return <Alert tone="info">For your security, log in again to change your email address.</Alert>;
  }
  if (state.notice === 'reauthenticate-security') {
    return <Alert tone="info">For your security, log in again to change how you sign in.</Alert>;
  }
  switch (state.reason) {
    case 'expired':
      return <Alert tone="warning">Your session has expired. Log in again to continue.</Alert>;
    case 'other-tab':
      return <Alert tone="info">You were logged out in another tab.</Alert>;
    case 'logout':
      return <Alert tone="success">You are logged out.</Alert>;
    default:
      return null;
  }
}

export function LoginRoute() {
  const location = useLocation();
  const state = readLoginState(location.state);
  const navigate = useNavigate();
  const onSecondFactor = (challenge: SecondFactorRequired) => {
    const next = secondStep(challenge, state.from);
    void navigate(next.path, { state: next.state });
  };
  return (
    <AuthLayout
      title="Log in"
      description="Welcome back. Use your username or your email address."
      footer={
        <>
          New to Gatehouse?{' '}
          <Link to="/register" state={state.from ? { from: state.from } : undefined}>
            Create an account
          </Link>
        </>
      }
    >
      <Notice state={state} />
      <LoginForm
        onSecondFactor={onSecondFactor}
        unverified={(identifier) => (
          <Suspense>
            <ResendVerification email={identifier.includes('@') ? identifier : ''} />
          </Suspense>
        )}
      />
      <Suspense>
        <PasskeySignIn onSecondFactor={onSecondFactor} />
        <OidcSignIn next={returnPath(state)} />
      </Suspense>
      <p className="auth-layout__aside">
        <Link to="/forgot-password">Forgot password?</Link>
      </p>
    </AuthLayout>
  );
}
