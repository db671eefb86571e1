import type { IdentityResponse } from '@gatehouse/contract';
import type { OidcProviderConfig } from './config.js';
import type { Identity } from './store.js';

/** An identity as the API shows it; a provider since removed from the configuration shows its name. */
export function presentIdentity(
  identity: Identity,
  providers: readonly OidcProviderConfig[],
): IdentityResponse {
  return {
    id: identity.id,
    provider: identity.provider,
    display_name:
      providers.find((provider) => provider.name === identity.provider)?.displayName ?? identity.provider,
    issuer: identity.issuer,
    subject: identity.subject,
    email: identity.email,
    created_at: identity.createdAt.toISOString(),
    last_used_at: identity.lastUsedAt?.toISOString() ?? null,
  };
}
