// oidc-provider ships no types: the little of it the test harness (oidc-provider.ts) uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface OidcGrant {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  }

  export interface OidcProviderContext {
    oidc: {
      client?: { clientId: string };
      session?: { accountId?: string; grantIdFor(clientId: string): string | undefined };
      result?: { consent?: { grantId?: string } };
      provider: OidcProviderInstance;
    };
  }

  export interface OidcProviderInstance {
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    Grant: {
      new (init: { accountId: string | undefined; clientId: string | undefined }): OidcGrant;
      find(id: string): Promise<OidcGrant | undefined>;
    };
  }

  const Provider: new (issuer: string, configuration: Record<string, unknown>) => OidcProviderInstance;
  export default Provider;
}
