import { useAuth } from '@gatehouse/client/react';
import { Alert } from '../../../components/ui/alert';
import { useResource } from '../../../lib/use-resource';
import { oidcErrorMessage } from './oidc-errors';
import { useOidcError } from './use-oidc-error';

export interface OidcSignInProps {
  /** The page of this app the user wanted: the provider's sign-in comes back there. */
  next: string;
}

/**
 * The login page's "Continue with <provider>" links, and why the last provider sign-in was refused
 * (`#oidc_error=…`, taken out of the address at once). Loaded after the page shows (issue 20's budget).
 */
export function OidcSignIn({ next }: OidcSignInProps) {
  const { client } = useAuth();
  const providers = useResource('oidc-providers', () => client.oidcProviders());
  const refusal = useOidcError();
  const list = providers.state.status === 'ready' ? providers.state.data : [];
  if (refusal === null && list.length === 0) return null;
  return (
    <div className="auth-layout__alternative">
      {refusal !== null && <Alert tone="error">{oidcErrorMessage(refusal)}</Alert>}
      {list.map((provider) => (
        // A plain link: the browser itself goes to the provider and back (a navigation, not a fetch).
        <a
          key={provider.name}
          className="button button--secondary button--md button--block"
          href={client.oidcStartUrl(provider.name, { next })}
        >
          Continue with {provider.display_name}
        </a>
      ))}
    </div>
  );
}
