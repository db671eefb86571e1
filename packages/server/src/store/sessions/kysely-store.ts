import { SqliteAdapter, type Compilable, type Kysely, type Selectable } from 'kysely';
import { insertAudit, withSessionsEnded } from '../audit/kysely-store.js';
import { insertMail } from '../mail/kysely-store.js';
import { precompile, type DirectConnection, type Precompiled } from '../precompiled.js';
import type { Database, SessionsTable } from '../schema.js';
import { endSessions, userLock } from '../session-ends.js';
import { eachInTransaction, groupCommit, Rollback } from '../transactions.js';
import { toUser, USER_COLUMNS, type UserRow } from '../user-rows.js';
import type { User } from '../users/store.js';
import { postgresRotation } from './postgres-rotation.js';
import {
  MAX_LISTED_SESSIONS,
  type RotateRequest,
  type RotateResult,
  type NewSession,
  type Session,
  type SessionPolicy,
  type SessionStore,
} from './store.js';

const CENTURY = 100 * 365 * 86400;
const NO_LIMITS: SessionPolicy = { graceSeconds: 0, absoluteLifetime: CENTURY, idleTimeout: CENTURY };

/** `direct`: the connection under `db`, for the hot queries (direct-connections.ts). */
export function kyselySessions(db: Kysely<Database>, direct?: DirectConnection): SessionStore {
  const lockUser = userLock(db);
  const hot = hotQueries(db, direct);
  const inTransaction = eachInTransaction(db);
  // Rotations are the writes that come in bursts (every client refreshes, often several tabs at once).
  const isSqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  const rotationTransaction = isSqlite ? groupCommit(db) : inTransaction;
  // PostgreSQL: the common rotation in one statement, the full transaction for everything else.
  const rotateFast = isSqlite ? undefined : postgresRotation(db, direct);
  return {
    async startSession(session, token, maxLive) {
      await db.transaction().execute(async (trx) => {
        const stamp = token.issuedAt.toISOString();
        // PostgreSQL: two logins of one user at once take turns here (rotations, which lock the row FOR KEY
        // SHARE, do not wait), so each counts the other's session and the cap holds. SQLite: one writer.
        if (maxLive !== undefined && !isSqlite) {
          await trx
            .selectFrom('users')
            .select('id')
            .where('id', '=', session.userId)
            .forNoKeyUpdate()
            .execute();
        } else await lockUser(trx, session.userId);
        await trx
          .insertInto('sessions')
          .values({
            id: session.id,
            user_id: session.userId,
            created_at: token.issuedAt.toISOString(),
            last_used_at: token.issuedAt.toISOString(),
            expires_at: token.expiresAt.toISOString(),
            user_agent: session.userAgent,
            ip: session.ip,
            amr: JSON.stringify(session.methods),
            auth_time: session.authTime.toISOString(),
            browser: Number(session.browser ?? false),
          })
          .execute();
        await trx
          .insertInto('refresh_tokens')
          .values({
            jti: token.jti,
            user_id: token.userId,
            family_id: session.id,
            issued_at: token.issuedAt.toISOString(),
            expires_at: token.expiresAt.toISOString(),
          })
          .execute();
        if (maxLive !== undefined) await endLeastRecentlyUsed(trx, session, stamp, maxLive);
      });
    },

    async findAccessSubject(userId, sessionId) {
      const [row] = (await hot.accessSubject(db, { userId, sessionId })).rows;
      if (!row) return undefined;
      return { user: toUser(row), sessionActive: row.session_id !== null && row.session_revoked_at === null };
    },

    async isSessionActive(sessionId) {
      const [row] = (await hot.sessionRevokedAt(db, { sessionId })).rows;
      return row !== undefined && row.revoked_at === null;
    },

    async hasSessionFrom(userId, ip, since) {
      const row = await db
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', userId)
        .where('ip', '=', ip)
        .where('created_at', '>', since.toISOString())
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },

    async listSessions(userId, now) {
      const rows = await db
        .selectFrom('sessions')
        .selectAll()
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now.toISOString())
        .orderBy('last_used_at', 'desc')
        .limit(MAX_LISTED_SESSIONS)
        .execute();
      return rows.map(toSession);
    },

    async pageSessions(userId, now, offset, limit) {
      const live = db
        .selectFrom('sessions')
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now.toISOString());
      const [counted, rows] = await Promise.all([
        live.select((eb) => eb.fn.countAll<number | string | bigint>().as('count')).executeTakeFirstOrThrow(),
        live
          .selectAll()
          // The id breaks ties, so that pages neither repeat nor skip a session.
          .orderBy('last_used_at', 'desc')
          .orderBy('id', 'desc')
          .limit(limit)
          .offset(offset)
          .execute(),
      ]);
      return { count: Number(counted.count), items: rows.map(toSession) };
    },

    async revokeSession(sessionId, userId, reason, now, audit) {
      const end = async (executor: Kysely<Database>) => {
        const { numUpdatedRows } = await executor
          .updateTable('sessions')
          .set({ revoked_at: now.toISOString(), revoke_reason: reason })
          .where('id', '=', sessionId)
          .where('user_id', '=', userId)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        return numUpdatedRows > 0n;
      };
      if (audit === undefined) return end(db);
      return db.transaction().execute(async (trx) => {
        const ended = await end(trx);
        if (ended) await insertAudit(trx, audit);
        return ended;
      });
    },

    revokeUserSessions(userId, reason, now, except, audit) {
      return db.transaction().execute(async (trx) => {
        await lockUser(trx, userId);
        const ended = await endSessions(trx, userId, reason, now.toISOString(), except);
        if (audit !== undefined) await insertAudit(trx, withSessionsEnded(audit, ended));
        return ended;
      });
    },

    async rotateRefreshToken({ jti, userId, now, child, revoke, policy = NO_LIMITS, reuseMail }) {
      const { graceSeconds, absoluteLifetime, idleTimeout } = policy;
      const createdAfter = secondsBefore(now, absoluteLifetime);
      const usedAfter = secondsBefore(now, idleTimeout);
      // Only with the default settings (a child, the parent revoked): the fast path spends the token, and
      // anything it did not do is left to the transaction below, which also explains a refusal.
      if (rotateFast && revoke && child) {
        const rotated = await rotateFast({
          jti,
          userId,
          stamp: now.toISOString(),
          createdAfter,
          usedAfter,
          child,
        });
        if (rotated) return rotated;
      }
      return rotationTransaction(async (trx): Promise<RotateResult> => {
        const stamp = now.toISOString();
        await lockUser(trx, userId);
        // The write comes first (SQLite: it takes the write lock at once), and the conditional update is
        // the compare-and-set that lets exactly one of several concurrent rotations win.
        let sessionId: string;
        if (revoke) {
          const [spent] = (await hot.spendToken(trx, { stamp, replacedBy: child?.jti ?? null, jti, userId }))
            .rows;
          if (!spent) return spentTokenPresented(trx, jti, userId, now, graceSeconds, reuseMail);
          sessionId = spent.family_id;
        } else {
          const current = await trx
            .selectFrom('refresh_tokens')
            .select(['revoked_at', 'family_id'])
            .where('jti', '=', jti)
            .where('user_id', '=', userId)
            .executeTakeFirst();
          if (!current) return { ok: false, reason: 'unknown' };
          if (current.revoked_at !== null) return { ok: false, reason: 'revoked' };
          sessionId = current.family_id;
        }
        // A deactivated account is told so, before anything about its (also ended) sessions.
        const user = activeUser((await hot.user(trx, { userId })).rows[0]);
        if (!user.ok) throw new Rollback<RotateResult>(user);
        // A token of an ended session (logout, logout everywhere, password change) is as good as revoked;
        // one of a session past its absolute lifetime or idle timeout is expired.
        const use = { stamp, sessionId, createdAfter, usedAfter };
        const { numAffectedRows } = child
          ? await hot.useSessionUntil(trx, { ...use, expiresAt: child.expiresAt.toISOString() })
          : await hot.useSession(trx, use);
        if (!numAffectedRows) {
          const session = await trx
            .selectFrom('sessions')
            .select('revoked_at')
            .where('id', '=', sessionId)
            .executeTakeFirst();
          const reason = session && session.revoked_at === null ? 'session_expired' : 'revoked';
          throw new Rollback<RotateResult>({ ok: false, reason });
        }
        if (child) {
          await hot.insertToken(trx, {
            jti: child.jti,
            userId: child.userId,
            familyId: sessionId,
            issuedAt: child.issuedAt.toISOString(),
            expiresAt: child.expiresAt.toISOString(),
          });
        }
        return { ok: true, user: user.user, sessionId };
      });
    },

    revokeRefreshToken(jti, userId, now) {
      return inTransaction(async (trx) => {
        const stamp = now.toISOString();
        await lockUser(trx, userId);
        const spent = await trx
          .updateTable('refresh_tokens')
          .set({ revoked_at: stamp })
          .where('jti', '=', jti)
          .where('user_id', '=', userId)
          .where('revoked_at', 'is', null)
          .returning('family_id')
          .executeTakeFirst();
        if (!spent) return (await tokenState(trx, jti, userId)) === 'revoked' ? 'already_revoked' : 'unknown';
        const { numUpdatedRows } = await trx
          .updateTable('sessions')
          .set({ revoked_at: stamp, revoke_reason: 'logout' })
          .where('id', '=', spent.family_id)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (numUpdatedRows === 0n) throw new Rollback('already_revoked' as const);
        return 'revoked';
      });
    },

    async isRefreshTokenRevoked(jti) {
      const [row] = (await hot.tokenRevokedAt(db, { jti })).rows;
      return row && (row.revoked_at !== null || row.session_revoked_at !== null);
    },

    async deleteExpiredRefreshTokens(now, keepSessionsSince = now) {
      const stamp = now.toISOString();
      const { numDeletedRows } = await db
        .deleteFrom('refresh_tokens')
        .where('expires_at', '<=', stamp)
        .executeTakeFirst();
      // A session's expiry follows its newest token, so an expired session has no live token left.
      await db
        .deleteFrom('sessions')
        .where('expires_at', '<=', stamp)
        .where('created_at', '<', keepSessionsSince.toISOString())
        .execute();
      return Number(numDeletedRows);
    },
  };
}

/**
 * The statements of a protected request (its session and user), of verify, and of a rotation: built and
 * compiled once (precompiled.ts). The rest of the store builds its queries as it runs them.
 */
function hotQueries(db: Kysely<Database>, direct: DirectConnection | undefined) {
  const compile = <P extends object, R>(
    names: readonly (keyof P & string)[],
    build: (slots: P) => Compilable<R>,
  ): Precompiled<P, R> => precompile(names, build, direct);
  return {
    accessSubject: compile<{ userId: number; sessionId: string }, AccessSubjectRow>(
      ['userId', 'sessionId'],
      ({ userId, sessionId }) =>
        db
          .selectFrom('users')
          .leftJoin('sessions', (join) =>
            join.onRef('sessions.user_id', '=', 'users.id').on('sessions.id', '=', sessionId),
          )
          .select(USER_COLUMNS)
          .select(['sessions.id as session_id', 'sessions.revoked_at as session_revoked_at'])
          .where('users.id', '=', userId),
    ),
    sessionRevokedAt: compile<{ sessionId: string }, { revoked_at: string | null }>(
      ['sessionId'],
      ({ sessionId }) => db.selectFrom('sessions').select('revoked_at').where('id', '=', sessionId),
    ),
    tokenRevokedAt: compile<
      { jti: string },
      { revoked_at: string | null; session_revoked_at: string | null }
    >(['jti'], ({ jti }) =>
      db
        .selectFrom('refresh_tokens')
        .innerJoin('sessions', 'sessions.id', 'refresh_tokens.family_id')
        .select(['refresh_tokens.revoked_at', 'sessions.revoked_at as session_revoked_at'])
        .where('jti', '=', jti),
    ),
    user: compile<{ userId: number }, UserRow>(['userId'], ({ userId }) =>
      db.selectFrom('users').select(USER_COLUMNS).where('id', '=', userId),
    ),
    spendToken: compile<
      { stamp: string; replacedBy: string | null; jti: string; userId: number },
      { family_id: string }
    >(['stamp', 'replacedBy', 'jti', 'userId'], ({ stamp, replacedBy, jti, userId }) =>
      db
        .updateTable('refresh_tokens')
        .set({ revoked_at: stamp, replaced_by: replacedBy })
        .where('jti', '=', jti)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .returning('family_id'),
    ),
    useSession: compile<SessionUse, unknown>(SESSION_USE, ({ stamp, sessionId, createdAfter, usedAfter }) =>
      db
        .updateTable('sessions')
        .set({ last_used_at: stamp })
        .where('id', '=', sessionId)
        .where('revoked_at', 'is', null)
        .where('created_at', '>', createdAfter)
        .where('last_used_at', '>', usedAfter),
    ),
    useSessionUntil: compile<SessionUse & { expiresAt: string }, unknown>(
      [...SESSION_USE, 'expiresAt'],
      ({ stamp, sessionId, createdAfter, usedAfter, expiresAt }) =>
        db
          .updateTable('sessions')
          .set((eb) => ({
            last_used_at: stamp,
            // Only ever later: another live token of the session may expire after the new one.
            expires_at: eb
              .case()
              .when('expires_at', '<', expiresAt)
              .then(expiresAt)
              .else(eb.ref('expires_at'))
              .end(),
          }))
          .where('id', '=', sessionId)
          .where('revoked_at', 'is', null)
          .where('created_at', '>', createdAfter)
          .where('last_used_at', '>', usedAfter),
    ),
    insertToken: compile<
      { jti: string; userId: number; familyId: string; issuedAt: string; expiresAt: string },
      unknown
    >(
      ['jti', 'userId', 'familyId', 'issuedAt', 'expiresAt'],
      ({ jti, userId, familyId, issuedAt, expiresAt }) =>
        db.insertInto('refresh_tokens').values({
          jti,
          user_id: userId,
          family_id: familyId,
          issued_at: issuedAt,
          expires_at: expiresAt,
        }),
    ),
  };
}

interface SessionUse {
  stamp: string;
  sessionId: string;
  createdAfter: string;
  usedAfter: string;
}
const SESSION_USE = ['stamp', 'sessionId', 'createdAfter', 'usedAfter'] as const;

type AccessSubjectRow = UserRow & { session_id: string | null; session_revoked_at: string | null };

/**
 * A rotated token came back. Its successor, still unused, is sent again within the grace period (the
 * client lost the response); otherwise a spent token in circulation means two parties hold the session,
 * and RFC 9700 §4.14.2 says to end it: the session is revoked, in this (committed) transaction.
 */
async function spentTokenPresented(
  trx: Kysely<Database>,
  jti: string,
  userId: number,
  now: Date,
  graceSeconds: number,
  reuseMail: RotateRequest['reuseMail'],
): Promise<RotateResult> {
  const token = await trx
    .selectFrom('refresh_tokens')
    .select(['revoked_at', 'replaced_by', 'family_id'])
    .where('jti', '=', jti)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!token) return { ok: false, reason: 'unknown' };
  // Revoked without a successor: logged out. Nothing more to end.
  if (token.replaced_by === null || token.revoked_at === null) return { ok: false, reason: 'revoked' };
  const successor = await trx
    .selectFrom('refresh_tokens')
    .innerJoin('sessions', 'sessions.id', 'refresh_tokens.family_id')
    .select([
      'refresh_tokens.jti',
      'refresh_tokens.issued_at',
      'refresh_tokens.expires_at',
      'refresh_tokens.revoked_at',
      'sessions.revoked_at as session_revoked_at',
      'sessions.browser as session_browser',
    ])
    .where('refresh_tokens.jti', '=', token.replaced_by)
    .executeTakeFirst();
  // Only a browser session (opened in browser mode, refreshed through the cookie) may lose a response
  // to a page unload: a token-mode client presenting a spent token is reuse, as simplejwt says.
  const withinGrace =
    graceSeconds > 0 &&
    Number(successor?.session_browser) === 1 &&
    now.getTime() - new Date(token.revoked_at).getTime() <= graceSeconds * 1000;
  if (withinGrace && successor && successor.revoked_at === null && successor.session_revoked_at === null) {
    const user = activeUser(
      await trx.selectFrom('users').select(USER_COLUMNS).where('id', '=', userId).executeTakeFirst(),
    );
    if (!user.ok) return user;
    const replay = {
      jti: successor.jti,
      userId,
      issuedAt: new Date(successor.issued_at),
      expiresAt: new Date(successor.expires_at),
    };
    return { ok: true, user: user.user, sessionId: token.family_id, replay };
  }
  const { numUpdatedRows } = await trx
    .updateTable('sessions')
    .set({ revoked_at: now.toISOString(), revoke_reason: 'refresh_token_reused' })
    .where('id', '=', token.family_id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (numUpdatedRows === 0n) return { ok: false, reason: 'revoked' };
  // Shown to the user among their security events, and to administrators, and mailed to the user:
  // committed with the revocation, so once per detection.
  const row = await trx.selectFrom('users').select(USER_COLUMNS).where('id', '=', userId).executeTakeFirst();
  const owner = row && toUser(row);
  await insertAudit(trx, {
    at: now,
    actorId: null,
    actor: '',
    action: 'session.refresh_token_reused',
    targetId: userId,
    target: owner?.username ?? '',
    detail: { session: token.family_id, message: 'A refresh token was reused; this session was ended.' },
    ip: '',
  });
  if (owner && reuseMail) {
    for (const message of reuseMail(owner, token.family_id)) await insertMail(trx, message, now);
  }
  return { ok: false, reason: 'reused', sessionId: token.family_id };
}

/**
 * Ends the user's live sessions but `kept` beyond the `maxLive - 1` most recently used (ties: the later
 * created). After the inserts, so that on SQLite the transaction already holds the write lock.
 */
async function endLeastRecentlyUsed(
  trx: Kysely<Database>,
  kept: Pick<NewSession, 'id' | 'userId'>,
  stamp: string,
  maxLive: number,
): Promise<void> {
  const excess = trx
    .selectFrom('sessions')
    .select('id')
    .where('user_id', '=', kept.userId)
    .where('id', '!=', kept.id)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', stamp)
    .orderBy('last_used_at', 'desc')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    // Both dialects need a LIMIT before an OFFSET; no user has this many sessions.
    .limit(Number.MAX_SAFE_INTEGER)
    .offset(Math.max(0, maxLive - 1));
  await trx
    .updateTable('sessions')
    .set({ revoked_at: stamp, revoke_reason: 'session_limit' })
    .where('id', 'in', excess)
    .execute();
}

function activeUser(
  row: UserRow | undefined,
): { ok: true; user: User } | { ok: false; reason: 'user_missing' | 'user_inactive' } {
  if (!row) return { ok: false, reason: 'user_missing' };
  if (!row.is_active) return { ok: false, reason: 'user_inactive' };
  return { ok: true, user: toUser(row) };
}

function secondsBefore(now: Date, seconds: number): string {
  return new Date(now.getTime() - seconds * 1000).toISOString();
}

async function tokenState(db: Kysely<Database>, jti: string, userId: number): Promise<'unknown' | 'revoked'> {
  const row = await db
    .selectFrom('refresh_tokens')
    .select('revoked_at')
    .where('jti', '=', jti)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row ? 'revoked' : 'unknown';
}

function toSession(row: Selectable<SessionsTable>): Session {
  return {
    id: row.id,
    userId: Number(row.user_id),
    createdAt: new Date(row.created_at),
    lastUsedAt: new Date(row.last_used_at),
    expiresAt: new Date(row.expires_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
    revokeReason: row.revoke_reason,
    userAgent: row.user_agent,
    ip: row.ip,
    methods: parseMethods(row.amr),
    authTime: row.auth_time === null ? null : new Date(row.auth_time),
  };
}

function parseMethods(amr: string): string[] {
  const parsed: unknown = JSON.parse(amr);
  return Array.isArray(parsed) ? parsed.filter((method): method is string => typeof method === 'string') : [];
}
