import { useState, type ReactNode } from 'react';
import { GatehouseError, type Identity, type OidcProvider } from '@gatehouse/client';
import { useAuth } from '@gatehouse/client/react';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/card';
import { Spinner } from '../../../components/ui/spinner';
import { errorMessage } from '../../../lib/form-errors';
import { formatDateTime } from '../../../lib/format';
import { useAction } from '../../../lib/use-action';
import { useResource } from '../../../lib/use-resource';
import { oidcErrorMessage } from './oidc-errors';
import { useOidcError } from './use-oidc-error';
import './oidc.css';

const LAST_METHOD =
  'This is the only way you can sign in to this account, so it cannot be unlinked. Add another way first (a password, or another provider), then unlink this one.';

export interface IdentitiesCardProps {
  /** Where the page comes back to after linking (this page's path). */
  returnTo: string;
  /** The sign-in is too old for the change: the way to sign in again. */
  reauthenticate: ReactNode;
}

const needsReauthentication = (code: unknown) => code === 'reauthentication_required';

/**
 * The providers linked to the account (Google, GitHub, the company's sign-in): listed, linked (the
 * browser goes to the provider and back here) and unlinked with a confirmation.
 */
export function IdentitiesCard({ returnTo, reauthenticate }: IdentitiesCardProps) {
  const { client } = useAuth();
  const identities = useResource('identities', () => client.identities());
  const providers = useResource('oidc-providers', () => client.oidcProviders());
  const refusal = useOidcError();
  const linked = identities.state.status === 'ready' ? identities.state.data : [];
  const linkable =
    providers.state.status === 'ready'
      ? providers.state.data.filter((provider) => !linked.some((id) => id.provider === provider.name))
      : [];
  if (providers.state.status === 'ready' && providers.state.data.length === 0 && linked.length === 0) {
    return null;
  }

  return (
    <Card
      title="Linked accounts"
      description="Sign in with an account you have elsewhere, such as your company’s or Google’s."
    >
      <div className="oidc-stack">
        {refusal !== null &&
          (needsReauthentication(refusal) ? (
            reauthenticate
          ) : (
            <Alert tone="error">{oidcErrorMessage(refusal)}</Alert>
          ))}
        {identities.state.status === 'loading' && <Spinner />}
        {identities.state.status === 'error' && (
          <Alert tone="error">{errorMessage(identities.state.error)}</Alert>
        )}
        {identities.state.status === 'ready' &&
          (linked.length === 0 ? (
            <p className="oidc-muted">No linked accounts yet.</p>
          ) : (
            <ul className="oidc-identities">
              {linked.map((identity) => (
                <IdentityItem
                  key={identity.id}
                  identity={identity}
                  onUnlinked={identities.reload}
                  reauthenticate={reauthenticate}
                />
              ))}
            </ul>
          ))}
        {linkable.length > 0 && <LinkButtons providers={linkable} returnTo={returnTo} />}
      </div>
    </Card>
  );
}

function LinkButtons({ providers, returnTo }: { providers: OidcProvider[]; returnTo: string }) {
  const { client } = useAuth();
  const [linking, setLinking] = useState<string | undefined>(undefined);

  // The browser goes to the provider and comes back here, the identity linked; or comes back at once (no
  // session in this browser, a sign-in too old) or later (refused), with `#oidc_error=` saying why.
  const start = (name: string) => {
    setLinking(name);
    window.location.assign(client.oidcStartUrl(name, { next: returnTo, intent: 'link' }));
  };

  return (
    <div className="oidc-row">
      {providers.map((provider) => (
        <Button
          key={provider.name}
          variant="secondary"
          loading={linking === provider.name}
          disabled={linking !== undefined}
          onClick={() => start(provider.name)}
        >
          Link {provider.display_name}
        </Button>
      ))}
    </div>
  );
}

function IdentityItem({
  identity,
  onUnlinked,
  reauthenticate,
}: {
  identity: Identity;
  onUnlinked: () => void;
  reauthenticate: ReactNode;
}) {
  const { client } = useAuth();
  const [confirming, setConfirming] = useState(false);
  const unlink = useAction(() => client.unlinkIdentity(identity.id));
  const code = unlink.error instanceof GatehouseError ? unlink.error.code : undefined;

  const confirm = async () => {
    if ((await unlink.run()).ok) onUnlinked();
  };

  return (
    <li className="oidc-identities__item" aria-label={identity.display_name}>
      <div>
        <strong>{identity.display_name}</strong>
        {identity.email !== null && <> · {identity.email}</>}
        <p className="oidc-muted">
          Linked {formatDateTime(identity.created_at)} ·{' '}
          {identity.last_used_at ? `last used ${formatDateTime(identity.last_used_at)}` : 'never used'}
        </p>
      </div>
      {unlink.error !== undefined &&
        (needsReauthentication(code) ? (
          reauthenticate
        ) : (
          <Alert tone="error">{code === 'oidc_last_method' ? LAST_METHOD : errorMessage(unlink.error)}</Alert>
        ))}
      {confirming ? (
        <div className="oidc-row" role="group" aria-label="Confirm unlinking">
          <span>You will no longer sign in with {identity.display_name}. Unlink it?</span>
          <Button size="sm" variant="danger" loading={unlink.pending} onClick={() => void confirm()}>
            Yes, unlink
          </Button>
          <Button size="sm" variant="ghost" disabled={unlink.pending} onClick={() => setConfirming(false)}>
            Cancel
          </Button>
        </div>
      ) : (
        <Button size="sm" variant="danger" onClick={() => setConfirming(true)}>
          Unlink
        </Button>
      )}
    </li>
  );
}
