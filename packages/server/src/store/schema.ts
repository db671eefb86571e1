import type { Generated } from 'kysely';
import type { OneTimeTokensTable } from '../core/one-time-tokens/table.js';
import type {
  PasskeysTable,
  RecoveryCodesTable,
  TotpFactorsTable,
  WebauthnUserHandlesTable,
} from './factors/table.js';
import type { MailOutboxTable } from './mail/table.js';
import type {
  GroupMembersTable,
  GroupRolesTable,
  RolePermissionsTable,
  RolesTable,
  UserGroupsTable,
  UserRolesTable,
} from '../features/roles/table.js';

/**
 * Column types as the database returns them. Timestamps are ISO-8601 UTC strings and booleans 0/1
 * integers, the same in every dialect, so the store code does not branch on the database.
 */
export interface UsersTable {
  id: Generated<number>;
  public_id: string;
  /** As entered, NFKC-normalised: what the user and the `username` claim see. */
  username: string;
  /** The unique key: NFKC + lower case, so look-alike and case variants cannot make a second account. */
  username_key: string;
  /** Canonical (NFKC, lower case); unique when present. */
  email: string | null;
  first_name: string;
  last_name: string;
  /** The profile's contact email (tutorial A's Profile.email), distinct from the login email. */
  profile_email: string;
  /** Tutorial C's display name. */
  name: string;
  /** Null: an account without a password (created by a social login or a passkey). */
  password_hash: string | null;
  /** 0/1: the account's email was proved by a link sent to it (verification, reset, email change). */
  email_verified: Generated<number>;
  is_active: number;
  is_staff: number;
  is_superuser: number;
  last_login: string | null;
  created: string;
  updated: string;
}

/** A login: what a user sees as one signed-in device, and what logout ends. */
export interface SessionsTable {
  id: string;
  user_id: number;
  created_at: string;
  last_used_at: string;
  /** Moves forward with each rotation: the expiry of the newest refresh token. */
  expires_at: string;
  revoked_at: string | null;
  revoke_reason: string | null;
  user_agent: string;
  ip: string;
  /** How the user proved who they are: RFC 8176 values, a JSON array. */
  amr: Generated<string>;
  /** When they did; null only for sessions started before it was recorded. */
  auth_time: string | null;
  /** 0/1: opened in browser mode (the refresh cookie); only then a spent token gets the grace period. */
  browser: Generated<number>;
}

export interface AuditLogTable {
  /** A bigint in PostgreSQL, which node-postgres returns as a string. */
  id: Generated<number | string>;
  at: string;
  actor_id: number | null;
  /** Username at the time, kept when the account is later deleted. */
  actor: string;
  action: string;
  target_id: number | null;
  target: string;
  /** JSON. */
  detail: string;
  ip: string;
}

/** One row per refresh token ever issued, identified by its jti; the token itself is never stored. */
export interface RefreshTokensTable {
  jti: string;
  user_id: number;
  /** The session (login) the token descends from; every rotation keeps it. */
  family_id: string;
  issued_at: string;
  expires_at: string;
  revoked_at: string | null;
  replaced_by: string | null;
}

export interface LoginFailuresTable {
  /** `account:<identifier>` or `ip:<address>`. */
  key: string;
  failures: number;
  last_failure_at: string;
  blocked_until: string;
}

export interface RateLimitsTable {
  key: string;
  window_start: string;
  count: number;
}

export interface SecretsTable {
  name: string;
  value: string;
  created: string;
}

/** Token-signing keys shared by every instance (store.ts's SigningKeyRecord). */
export interface SigningKeysTable {
  /** Orders keys: the highest active id is the newest. */
  id: Generated<number>;
  kid: string;
  algorithm: string;
  /** JWK JSON; null for HMAC secrets. */
  public_key: string | null;
  private_key: string;
  status: string;
  created_at: string;
  retired_at: string | null;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  audit_log: AuditLogTable;
  login_failures: LoginFailuresTable;
  rate_limits: RateLimitsTable;
  secrets: SecretsTable;
  signing_keys: SigningKeysTable;
  one_time_tokens: OneTimeTokensTable;
  mail_outbox: MailOutboxTable;
  totp_factors: TotpFactorsTable;
  recovery_codes: RecoveryCodesTable;
  passkeys: PasskeysTable;
  webauthn_user_handles: WebauthnUserHandlesTable;
  roles: RolesTable;
  role_permissions: RolePermissionsTable;
  user_groups: UserGroupsTable;
  group_roles: GroupRolesTable;
  group_members: GroupMembersTable;
  user_roles: UserRolesTable;
}
