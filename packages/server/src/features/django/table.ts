/** Which Gatehouse user each imported Django user became: what a re-run of the import matches on. */
export interface DjangoUsersTable {
  user_id: number;
  /** The Django user's primary key: the `user_id` claim of the old deployment's tokens. */
  django_id: number;
  /** When the last import wrote it (ISO-8601). */
  imported_at: string;
  /**
   * When all of the user's sessions last ended here (password change or reset, log out everywhere, an
   * admin's deactivation or revocation…; ISO-8601): the old deployment's tokens issued before are refused.
   */
  sessions_ended_at: string | null;
}

/**
 * simplejwt's refresh tokens the old deployment issued (token_blacklist_outstandingtoken) or that were
 * presented here, by jti; blacklisted_at set: refused, as the old site refused it, or spent here.
 */
export interface DjangoTokensTable {
  jti: string;
  django_user_id: number;
  expires_at: string;
  blacklisted_at: string | null;
}

/** The Gatehouse group and role each imported Django group became. */
export interface DjangoGroupsTable {
  django_id: number;
  group_id: number;
  role_id: number;
}
