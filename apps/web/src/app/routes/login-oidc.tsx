import { useEffect, useRef } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { GatehouseError, SecondFactorRequired } from '@gatehouse/client';
import { useAuth } from '@gatehouse/client/react';
import { Alert } from '../../components/ui/alert';
import { ButtonLink } from '../../components/ui/button';
import { PageSpinner } from '../../components/ui/spinner';
import { errorMessage } from '../../lib/form-errors';
import { useAction } from '../../lib/use-action';
import { useLinkToken } from '../link-token';
import { returnPath, secondStep, type LoginState } from '../login-state';
import { AuthLayout } from './auth-layout';

const MISSING_CODE = 'This sign-in is incomplete. Start again from the login page.';
const SPENT_CODE = 'This sign-in has expired or was already used. Start again from the login page.';

/**
 * Where a provider's sign-in lands when it cannot set the session itself (a second factor is due): the
 * single-use `#code=…` (out of the address already, main.tsx) is exchanged at once, which signs in as
 * a login does, or leads on to the second step. Not guest-only: the page itself goes on afterwards.
 */
export function LoginOidcRoute() {
  const code = useLinkToken();
  const { client } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const wanted = wantedPage(location.search);
  const exchange = useAction(async (value: string) => {
    // The session restore of the page load settles first, so that it cannot sign this one out.
    await client.start().catch(() => undefined);
    return client.exchangeOidcCode(value);
  });
  const started = useRef(false);

  useEffect(() => {
    if (code === null || started.current) return;
    started.current = true;
    void exchange.run(code).then((outcome) => {
      if (outcome.ok) return void navigate(returnPath(wanted), { replace: true });
      if (!(outcome.error instanceof SecondFactorRequired)) return;
      const next = secondStep(outcome.error, wanted.from);
      void navigate(next.path, { replace: true, state: next.state });
    });
  }, [code, exchange, wanted, navigate]);

  const failure = code === null ? MISSING_CODE : refusal(exchange.error);
  return (
    <AuthLayout
      title="Signing you in"
      description="Finishing the sign-in with your provider."
      footer={<ButtonLink to="/login">Back to login</ButtonLink>}
    >
      {failure === undefined ? (
        <PageSpinner label="Signing you in…" />
      ) : (
        <Alert tone="error">{failure}</Alert>
      )}
    </AuthLayout>
  );
}

function refusal(error: unknown): string | undefined {
  if (error === undefined || error instanceof SecondFactorRequired) return undefined;
  if (error instanceof GatehouseError && error.code === 'oidc_code_invalid') return SPENT_CODE;
  return errorMessage(error);
}

/** The page the user wanted, when the sign-in says (`?next=/path`): this app's paths only. */
function wantedPage(search: string): LoginState {
  const next = new URLSearchParams(search).get('next');
  if (next === null || !next.startsWith('/') || next.startsWith('//')) return {};
  const url = new URL(next, 'http://app.invalid');
  return { from: { pathname: url.pathname, search: url.search, hash: url.hash } };
}
