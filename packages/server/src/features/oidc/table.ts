/** An account's identity at a provider (migration.ts). */
export interface IdentitiesTable {
  id: string;
  user_id: number;
  /** The configured provider name at the time of linking (`google`, `corp`). */
  provider: string;
  issuer: string;
  subject: string;
  /** The address the provider gave at the last sign-in, shown to tell identities apart. */
  email: string | null;
  created_at: string;
  last_used_at: string | null;
}

/** What a flow's callback answered (migration.ts). */
export interface OidcCallbacksTable {
  /** SHA-256 of the flow's state. */
  state_hash: string;
  /** SHA-256 of the browser binding the flow was started with. */
  binding_hash: string;
  location: string | null;
  expires_at: string;
}
