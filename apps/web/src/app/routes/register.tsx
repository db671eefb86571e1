import { Link, useLocation, useNavigate } from 'react-router';
import type { SecondFactorRequired } from '@gatehouse/client';
import { RegisterForm } from '../../features/auth/components/register-form';
import { readLoginState, secondStep } from '../login-state';
import { AuthLayout } from './auth-layout';

export function RegisterRoute() {
  const location = useLocation();
  const { from } = readLoginState(location.state);
  const navigate = useNavigate();
  const onSecondFactor = (challenge: SecondFactorRequired) => {
    const next = secondStep(challenge, from);
    void navigate(next.path, { state: next.state });
  };
  return (
    <AuthLayout
      title="Create your account"
      description="It takes a minute. You will be logged in right away."
      footer={
        <>
          Already have an account?{' '}
          <Link to="/login" state={from ? { from } : undefined}>
            Log in
          </Link>
        </>
      }
    >
      <RegisterForm onSecondFactor={onSecondFactor} />
    </AuthLayout>
  );
}
