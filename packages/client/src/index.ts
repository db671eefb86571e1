export { createAuthClient, type AuthClient, type AuthClientOptions } from './auth-client.js';
export type { Account, AuthState, SignedOutReason } from './auth-state.js';
export {
  errorFromResponse,
  GatehouseError,
  SecondFactorRequired,
  type GatehouseErrorCode,
  type GatehouseErrorInit,
  type SecondFactorErrorCode,
  type SecondFactorMethod,
  type StatusCodes,
} from './errors.js';
export type { Mode } from './http.js';
export type { MailFlows } from './mail-flows.js';
export type { FlowStorage, Identity, OidcProvider, OidcSignIn } from './oidc.js';
export type { OidcStartOptions } from './oidc-start.js';
export type { Passkey, WebAuthn } from './passkeys.js';
export { createRolesClient, type MyPermissions, type RolesAdmin, type RolesClient } from './roles.js';
export type { EmailNotice, Notice, SessionsEnded } from './responses.js';
export type {
  EnrolledSignIn,
  SecondFactorAnswer,
  SecondFactorManagement,
  SecondFactorSignIn,
  SecondFactorSummary,
  TotpSetup,
} from './second-factors.js';
export { memoryStorage, type TokenStorage } from './storage.js';
export {
  browserTabSync,
  type BrowserTabSyncOptions,
  type Locks,
  type TabMessage,
  type TabSync,
} from './tab-sync.js';
