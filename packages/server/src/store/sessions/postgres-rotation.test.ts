import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import { Client, Pool } from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { storeRows, type StoreRows } from '../../testing/store-rows.js';
import { usePostgres, type TestSchema } from '../../testing/postgres.js';
import { createKyselyStore } from '../kysely-store.js';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import type { User } from '../users/store.js';
import { postgresRotation, type FastRotation, type RotateFast } from './postgres-rotation.js';
import type { RotateRequest, RotateResult, SessionPolicy } from './store.js';

const T0 = new Date('2025-03-01T12:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const POLICY: SessionPolicy = { graceSeconds: 0, absoluteLifetime: 86400, idleTimeout: 3600 };

/**
 * The one-statement rotation on PostgreSQL (postgres-rotation.ts): what it writes in the common case,
 * that it writes nothing otherwise and the store then answers as the full transaction always did, and
 * that it keeps the full transaction's guarantees under concurrency. The store contract
 * (sessions/store.contract.test.ts) runs on PostgreSQL too, through this path.
 */
const postgres = await usePostgres('the PostgreSQL rotation tests');

describe.skipIf(!postgres)('PostgreSQL: rotation in one statement', () => {
  let schema: TestSchema;
  let db: Kysely<Database>;
  let store: Store;
  let tables: StoreRows;
  let rotateFast: RotateFast;
  /** The statements the store sent, when `logging` is set: each one a round trip. */
  const sent: CompiledQuery[] = [];
  let logging = false;
  let alice: User;

  beforeAll(async () => {
    if (!postgres) return;
    schema = await postgres.createSchema();
    // As openStore opens it, with Kysely's query log to count the round trips.
    const pool = new Pool({ connectionString: schema.url, max: 10 });
    pool.on('error', () => {});
    db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool }),
      log: (event) => {
        if (logging && event.level === 'query') sent.push(event.query);
      },
    });
    store = createKyselyStore(db);
    tables = storeRows(db);
    rotateFast = postgresRotation(db);
    await store.migrate();
  });
  afterAll(async () => {
    await store?.close();
    await schema?.drop();
  });

  beforeEach(async () => {
    await schema.empty();
    const created = await store.createUser(
      { username: 'alice', usernameKey: 'alice', email: 'alice@example.com', passwordHash: 'hash' },
      T0,
    );
    if (!created.ok) throw new Error('createUser failed');
    alice = created.user;
    await startSession('s1', 'parent');
  });

  const startSession = (id: string, jti: string, userId = alice.id) =>
    store.startSession(
      { id, userId, userAgent: '', ip: '', methods: ['pwd'], authTime: T0, browser: true },
      { jti, userId, issuedAt: T0, expiresAt: at(3600) },
    );

  /** A rotation of 'parent' at 10 s, as the token service asks for one by default. */
  const request = (overrides: Partial<RotateRequest> = {}, childJti = 'child'): RotateRequest => {
    const now = overrides.now ?? at(10);
    const userId = overrides.userId ?? alice.id;
    return {
      jti: 'parent',
      userId,
      now,
      child: { jti: childJti, userId, issuedAt: now, expiresAt: new Date(now.getTime() + 3600_000) },
      revoke: true,
      policy: POLICY,
      ...overrides,
    };
  };

  /** The fast path alone, with what the store would give it for `r`. */
  const fastPath = (r: RotateRequest) => {
    const policy = r.policy ?? POLICY;
    const before = (seconds: number) => new Date(r.now.getTime() - seconds * 1000).toISOString();
    if (!r.child) throw new Error('the fast path needs a child');
    const rotation: FastRotation = {
      jti: r.jti,
      userId: r.userId,
      stamp: r.now.toISOString(),
      createdAfter: before(policy.absoluteLifetime),
      usedAfter: before(policy.idleTimeout),
      child: r.child,
    };
    return rotateFast(rotation);
  };

  /** `work`'s result and the statements it sent. */
  const recorded = async <T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> => {
    sent.length = 0;
    logging = true;
    try {
      const result = await work();
      return { result, statements: sent.map((query) => query.sql.trim()) };
    } finally {
      logging = false;
    }
  };

  /** Everything a rotation could change. */
  const rows = async () => ({
    users: await db.selectFrom('users').selectAll().orderBy('id').execute(),
    sessions: await db.selectFrom('sessions').selectAll().orderBy('id').execute(),
    tokens: await db.selectFrom('refresh_tokens').selectAll().orderBy('jti').execute(),
  });

  /** Resolves once `count` of the store's connections wait for a row lock. */
  const lockWaits = async (count = 1) => {
    if (!postgres) throw new Error('no PostgreSQL');
    for (let waited = 0; waited < 10_000; waited += 10) {
      const [row] = await postgres.query<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'",
        [schema.name],
      );
      if ((row?.n ?? 0) >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('the rotation never waited for the lock');
  };

  /** A connection of its own, outside the store, to hold locks with. */
  const otherConnection = async () => {
    const client = new Client({ connectionString: schema.url });
    client.on('error', () => {});
    await client.connect();
    return client;
  };

  test('the common case is one statement: the user and the session back, the token spent, the child recorded', async () => {
    const { result, statements } = await recorded(() => store.rotateRefreshToken(request()));
    expect(result).toStrictEqual({ ok: true, user: alice, sessionId: 's1' });
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/^with locked as materialized/);
    const { sessions, tokens } = await rows();
    expect(tokens).toEqual([
      {
        jti: 'child',
        user_id: alice.id,
        family_id: 's1',
        issued_at: at(10).toISOString(),
        expires_at: at(3610).toISOString(),
        revoked_at: null,
        replaced_by: null,
      },
      {
        jti: 'parent',
        user_id: alice.id,
        family_id: 's1',
        issued_at: T0.toISOString(),
        expires_at: at(3600).toISOString(),
        revoked_at: at(10).toISOString(),
        replaced_by: 'child',
      },
    ]);
    expect(sessions).toEqual([
      expect.objectContaining({
        id: 's1',
        last_used_at: at(10).toISOString(),
        expires_at: at(3610).toISOString(),
        revoked_at: null,
      }),
    ]);
  });

  test('the user comes back as it is now, and the session never expires earlier than it did', async () => {
    const changed = await store.updateUser(alice.id, { firstName: 'Changed' }, at(5));
    // Another live token of the session expires later than the child will.
    await tables.insertRefreshToken({
      jti: 'late',
      userId: alice.id,
      familyId: 's1',
      issuedAt: T0,
      expiresAt: at(9000),
    });
    expect(await store.rotateRefreshToken(request())).toStrictEqual({
      ok: true,
      user: changed,
      sessionId: 's1',
    });
    const { sessions } = await rows();
    expect(sessions[0]).toMatchObject({
      last_used_at: at(10).toISOString(),
      expires_at: at(9000).toISOString(),
    });
  });

  test('without revoking the parent, or without a child, the full transaction runs as before', async () => {
    const kept = await recorded(() => store.rotateRefreshToken(request({ revoke: false })));
    expect(kept.result).toStrictEqual({ ok: true, user: alice, sessionId: 's1' });
    expect(kept.statements[0]).toBe('begin');
    const checked = await recorded(() =>
      store.rotateRefreshToken({
        jti: 'parent',
        userId: alice.id,
        now: at(20),
        revoke: true,
        policy: POLICY,
      }),
    );
    expect(checked.result).toStrictEqual({ ok: true, user: alice, sessionId: 's1' });
    expect(checked.statements[0]).toBe('begin');
  });

  /**
   * Each case: the fast path alone writes nothing and answers undefined; the store, falling back to the
   * full transaction, answers as before, and where that answer changes nothing the rows are unchanged.
   */
  let bobId = 0;
  const refusals: {
    name: string;
    arrange?: () => Promise<unknown>;
    request: () => RotateRequest;
    expected: () => RotateResult;
    writes?: boolean;
  }[] = [
    {
      name: 'an unknown jti',
      request: () => request({ jti: 'nope' }),
      expected: () => ({ ok: false, reason: 'unknown' }),
    },
    {
      name: "another user's jti",
      arrange: async () => {
        const bob = await store.createUser(
          { username: 'bob', usernameKey: 'bob', email: null, passwordHash: 'h' },
          T0,
        );
        if (bob.ok) bobId = bob.user.id;
      },
      request: () => request({ userId: bobId }),
      expected: () => ({ ok: false, reason: 'unknown' }),
    },
    {
      name: 'a deactivated user',
      arrange: () => store.updateUser(alice.id, { isActive: false }, at(5)),
      request: () => request(),
      expected: () => ({ ok: false, reason: 'user_inactive' }),
    },
    {
      name: 'a revoked session (logout everywhere)',
      arrange: () => store.revokeUserSessions(alice.id, 'password_change', at(5)),
      request: () => request(),
      expected: () => ({ ok: false, reason: 'revoked' }),
    },
    {
      name: 'a session past its absolute lifetime',
      request: () => request({ policy: { ...POLICY, absoluteLifetime: 10 } }),
      expected: () => ({ ok: false, reason: 'session_expired' }),
    },
    {
      name: 'a session unused for its idle timeout',
      request: () => request({ now: at(100), policy: { ...POLICY, idleTimeout: 100 } }),
      expected: () => ({ ok: false, reason: 'session_expired' }),
    },
    {
      name: 'a spent token (reuse detection still ends the session)',
      arrange: () => store.rotateRefreshToken(request({ now: at(5) }, 'successor')),
      request: () => request(),
      expected: () => ({ ok: false, reason: 'reused', sessionId: 's1' }),
      writes: true,
    },
    {
      name: 'a spent token within the grace period (its successor is sent again)',
      arrange: () => store.rotateRefreshToken(request({ now: at(5) }, 'successor')),
      request: () => request({ policy: { ...POLICY, graceSeconds: 60 } }),
      expected: () => ({
        ok: true,
        user: alice,
        sessionId: 's1',
        replay: { jti: 'successor', userId: alice.id, issuedAt: at(5), expiresAt: at(3605) },
      }),
    },
  ];
  test.each(refusals)('$name: the fast path writes nothing, the store answers as before', async (refusal) => {
    await refusal.arrange?.();
    const before = await rows();
    expect(await fastPath(refusal.request())).toBeUndefined();
    expect(await rows()).toEqual(before);

    const { result, statements } = await recorded(() => store.rotateRefreshToken(refusal.request()));
    expect(result).toStrictEqual(refusal.expected());
    expect(statements[0]).toMatch(/^with locked as materialized/);
    expect(statements[1]).toBe('begin');
    if (!refusal.writes) expect(await rows()).toEqual(before);
  });

  test('reuse detection after the fast path: the session ends and its live token with it', async () => {
    expect((await store.rotateRefreshToken(request())).ok).toBe(true);
    expect(await store.rotateRefreshToken(request({ now: at(20) }, 'c2'))).toEqual({
      ok: false,
      reason: 'reused',
      sessionId: 's1',
    });
    expect(await store.isSessionActive('s1')).toBe(false);
    expect(await store.isRefreshTokenRevoked('child')).toBe(true);
    expect(await store.isRefreshTokenRevoked('c2')).toBeUndefined();
  });

  test('of 20 concurrent rotations of one token exactly one wins; the others fall back and find it spent', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.rotateRefreshToken(request({}, `child-${i}`))),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const reasons = results.flatMap((r) => (r.ok ? [] : [r.reason]));
    // The first loser is reuse and ends the session; the others find it ended.
    expect(reasons.filter((reason) => reason === 'reused')).toHaveLength(1);
    expect(reasons.filter((reason) => reason === 'revoked')).toHaveLength(18);
    const { sessions, tokens } = await rows();
    expect(tokens.map((t) => t.jti)).toEqual(['child-' + results.findIndex((r) => r.ok), 'parent']);
    expect(sessions[0]).toMatchObject({ revoke_reason: 'refresh_token_reused' });
  });

  test('a logout between the snapshot and the session update: no child, and no success', async () => {
    const logout = await otherConnection();
    try {
      // The logout has ended the session but not yet committed: the rotation's snapshot still sees the
      // session open, and its update of the session waits for the logout.
      await logout.query('begin');
      await logout.query("update sessions set revoked_at = $1, revoke_reason = 'logout' where id = 's1'", [
        at(9).toISOString(),
      ]);
      const rotation = recorded(() => store.rotateRefreshToken(request()));
      await lockWaits();
      await logout.query('commit');
      const { result, statements } = await rotation;
      expect(result).toStrictEqual({ ok: false, reason: 'revoked' });
      expect(statements[0]).toMatch(/^with locked as materialized/);
      expect(statements[1]).toBe('begin');
    } finally {
      await logout.end();
    }
    const { sessions, tokens } = await rows();
    expect(sessions[0]).toMatchObject({ revoked_at: at(9).toISOString(), revoke_reason: 'logout' });
    // The token was spent before the session was found ended; its child was never recorded.
    expect(tokens).toEqual([expect.objectContaining({ jti: 'parent', revoked_at: at(10).toISOString() })]);
    expect(await store.isRefreshTokenRevoked('child')).toBeUndefined();
  });

  test('logouts racing rotations: a child is recorded exactly when its rotation succeeded', async () => {
    const sessionIds = Array.from({ length: 20 }, (_, i) => `race-${i}`);
    for (const id of sessionIds) await startSession(id, `${id}-parent`);
    const outcomes = await Promise.all(
      sessionIds.map(async (id, i) => {
        // Half the logouts end the session, half present the very token being rotated.
        const byToken = i % 2 === 1;
        const [rotated, loggedOut] = await Promise.all([
          store.rotateRefreshToken(request({ jti: `${id}-parent` }, `${id}-child`)),
          byToken
            ? store.revokeRefreshToken(`${id}-parent`, alice.id, at(10))
            : store.revokeSession(id, alice.id, 'logout', at(10)),
        ]);
        return { id, byToken, rotated, loggedOut };
      }),
    );
    const { sessions, tokens } = await rows();
    for (const { id, byToken, rotated, loggedOut } of outcomes) {
      const child = tokens.find((t) => t.jti === `${id}-child`);
      expect(child !== undefined, id).toBe(rotated.ok);
      if (!rotated.ok) expect(rotated.reason, id).toBe('revoked');
      const ended = sessions.find((s) => s.id === id)?.revoked_at !== null;
      if (byToken) {
        // One of the two spent the token; a logout with a token already rotated ends nothing.
        expect(loggedOut, id).toBe(rotated.ok ? 'already_revoked' : 'revoked');
        expect(ended, id).toBe(!rotated.ok);
      } else {
        expect(loggedOut, id).toBe(true);
        expect(ended, id).toBe(true);
      }
    }
  });

  test('the user row is locked before the token: a deletion under way is waited for, and wins', async () => {
    const deletion = await otherConnection();
    try {
      // A deletion locks the user row first, then (its cascade) the sessions and tokens.
      await deletion.query('begin');
      await deletion.query('select id from users where id = $1 for update', [alice.id]);
      const rotation = store.rotateRefreshToken(request());
      await lockWaits();
      // The rotation waits on the user row without having touched the token: no deadlock.
      await deletion.query("select jti from refresh_tokens where jti = 'parent' for update nowait");
      await deletion.query('delete from users where id = $1', [alice.id]);
      await deletion.query('commit');
      expect(await rotation).toStrictEqual({ ok: false, reason: 'unknown' });
    } finally {
      await deletion.end();
    }
    expect(await rows()).toEqual({ users: [], sessions: [], tokens: [] });
  });
});
