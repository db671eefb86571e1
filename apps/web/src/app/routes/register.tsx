import { Link, useLocation } from 'react-router';
import { RegisterForm } from '../../features/auth/components/register-form';
import { readLoginState } from '../login-state';
import { AuthLayout } from './auth-layout';

export function RegisterRoute() {
  const location = useLocation();
  const { from } = readLoginState(location.state);
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
      <RegisterForm />
    </AuthLayout>
  );
}
