import { sql, type Kysely } from 'kysely';
import { precompile, type DirectConnection } from '../precompiled.js';
import type { Database } from '../schema.js';
import { toUser, USER_COLUMNS, type UserRow } from '../user-rows.js';
import type { User } from '../users/store.js';
import type { RefreshTokenRecord } from './store.js';

/** One rotation, its times already ISO-8601 text as the database keeps them. */
export interface FastRotation {
  jti: string;
  userId: number;
  stamp: string;
  /** The session must have been created after this (its absolute lifetime) and used after `usedAfter`. */
  createdAfter: string;
  usedAfter: string;
  child: Omit<RefreshTokenRecord, 'familyId'>;
}

/** Undefined: nothing was rotated, and the full transaction must find out why. */
export type RotateFast = (
  rotation: FastRotation,
) => Promise<{ ok: true; user: User; sessionId: string } | undefined>;

interface Values {
  jti: string;
  userId: number;
  stamp: string;
  createdAfter: string;
  usedAfter: string;
  childJti: string;
  childUserId: number;
  issuedAt: string;
  expiresAt: string;
}

/**
 * PostgreSQL: the common rotation (a live token of an active user, in an open session within its limits)
 * as one statement, in one round trip and one implicit transaction, instead of the seven of the full
 * transaction (BEGIN, the user lock, the token, the user, the session, the child, COMMIT). Each round trip
 * costs CPU in Node and in PostgreSQL, and a rotation is otherwise cheap.
 *
 * It writes only when every condition holds, and answers undefined otherwise; the caller then runs the
 * full transaction, which tells the cases apart (unknown, revoked, reuse, replay, inactive, expired).
 *
 * The statement keeps the full transaction's order and guarantees, through data dependencies between
 * its parts (the order of data-modifying CTEs is otherwise unspecified):
 * - the user row is locked FOR KEY SHARE before the token is written: the token's update depends on the
 *   lock's result, so it cannot run first (see userLock in ../session-ends.ts for why this order);
 * - the update of the token `WHERE revoked_at IS NULL` is still the compare-and-set: a concurrent
 *   rotation that spent it first makes PostgreSQL re-check the condition on the new row and skip it;
 * - the session is updated only from the token's RETURNING, and the child inserted only from the
 *   session's RETURNING. A session revoked after the statement's snapshot was taken (logout at that very
 *   moment) fails the re-checked condition of its update, so no child is recorded and no success is
 *   reported. The token has then been spent in a session now ended, which is what the fallback finds:
 *   it answers 'revoked', as a rotation after the logout would.
 * The session's conditions are also checked before the token is spent, against the snapshot, so that an
 * ended or expired session leaves the token as it was.
 *
 * The user comes back as locked: the newest committed version of its row, as the full transaction's read
 * after its lock would see it. The statement is built and compiled once (precompiled.ts): Kysely takes
 * about 30 µs to build and compile it, a tenth of what the rest of a rotation costs Node.
 */
/** `direct`: the connection to send it on as a named statement (direct-connections.ts). */
export function postgresRotation(db: Kysely<Database>, direct?: DirectConnection): RotateFast {
  const rotate = precompile<Values, UserRow & { session_id: string }>(
    [
      'jti',
      'userId',
      'stamp',
      'createdAfter',
      'usedAfter',
      'childJti',
      'childUserId',
      'issuedAt',
      'expiresAt',
    ],
    (v) => ({ compile: () => rotationStatement(v).compile(db) }),
    direct,
  );
  return async ({ jti, userId, stamp, createdAfter, usedAfter, child }) => {
    const values: Values = {
      jti,
      userId,
      stamp,
      createdAfter,
      usedAfter,
      childJti: child.jti,
      childUserId: child.userId,
      issuedAt: child.issuedAt.toISOString(),
      expiresAt: child.expiresAt.toISOString(),
    };
    const [row] = (await rotate(db, values)).rows;
    if (!row) return undefined;
    return { ok: true, user: toUser(row), sessionId: row.session_id };
  };
}

/**
 * The statement; `v` are the values (placeholders, when precompiled), always bound as parameters. Its
 * one row, when it rotated: the user's columns as locked, and the session. No row: nothing was written,
 * or only the token spent in a session ended meanwhile (above).
 */
function rotationStatement(v: Values) {
  const userColumns = sql.join(USER_COLUMNS.map((column) => sql.ref(column)));
  const sessionUsable = sql`sessions.revoked_at is null
      and sessions.created_at > ${v.createdAfter}
      and sessions.last_used_at > ${v.usedAfter}`;
  // MATERIALIZED: the lock is taken once, by this CTE, whatever the planner would inline. The session is
  // named by a scalar subquery (the token is found by its key, so `spent` has one row at most): it is
  // looked up by its own key whatever the planner estimates of `spent`.
  return sql<UserRow & { session_id: string }>`
    with locked as materialized (
      select ${userColumns} from users
      where users.id = ${v.userId} and users.is_active <> 0
      for key share
    ),
    spent as (
      update refresh_tokens
      set revoked_at = ${v.stamp}, replaced_by = ${v.childJti}
      where refresh_tokens.jti = ${v.jti}
        and refresh_tokens.user_id = ${v.userId}
        and refresh_tokens.revoked_at is null
        and exists (select from locked)
        and exists (select from sessions where sessions.id = refresh_tokens.family_id and ${sessionUsable})
      returning refresh_tokens.family_id
    ),
    used as (
      update sessions
      set last_used_at = ${v.stamp},
        -- Only ever later: another live token of the session may expire after the new one.
        expires_at = case when sessions.expires_at < ${v.expiresAt} then ${v.expiresAt} else sessions.expires_at end
      where sessions.id = (select spent.family_id from spent) and ${sessionUsable}
      returning sessions.id
    ),
    child as (
      insert into refresh_tokens (jti, user_id, family_id, issued_at, expires_at)
      select ${v.childJti}, ${v.childUserId}, used.id, ${v.issuedAt}, ${v.expiresAt}
      from used
      returning refresh_tokens.family_id
    )
    select locked.*, child.family_id as session_id from locked cross join child`;
}
