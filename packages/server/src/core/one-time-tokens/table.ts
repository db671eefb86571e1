import type { ColumnType } from 'kysely';

/**
 * Every short-lived secret a flow needs, typed by `purpose`. Only a keyed hash of the secret is kept
 * (one-time-tokens.ts), so a copy of the database gives no working link or code.
 */
export interface OneTimeTokensTable {
  id: string;
  purpose: string;
  /** Null before a user exists (OAuth state). */
  user_id: number | null;
  token_hash: string;
  /** JSON; a small payload the flow needs when the token comes back (the new address of an email change). */
  data: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  max_attempts: number;
}
