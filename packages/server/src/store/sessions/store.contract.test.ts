import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { MAX_LISTED_SESSIONS, type Session, type SessionPolicy } from '../sessions/store.js';
import type { Store } from '../store.js';
import type { User } from '../users/store.js';
import {
  T0,
  at,
  USER_KEYS,
  newUser,
  describeOnEveryDatabase,
  useContractStore,
  type OpenTestStore,
  type TestStore,
} from '../../testing/store-contract.js';

/**
 * The behaviour every SessionStore implementation shares. Each test gets a fresh, migrated store; it runs
 * against SQLite and PostgreSQL (see the end of this file).
 */
function describeSessionStore(name: string, open: OpenTestStore, skip = false) {
  describe.skipIf(skip)(`SessionStore contract: ${name}`, () => {
    const contract = useContractStore(open);
    const { create, issue, rotate, child, sessions } = contract;
    let store: Store;
    beforeEach(() => {
      store = contract.store;
    });

    describe('refresh tokens', () => {
      let alice: User;
      beforeEach(async () => {
        alice = await create('alice');
      });

      test('a recorded token is live; an unknown one is undefined', async () => {
        await issue('t1', alice.id);
        expect(await store.isRefreshTokenRevoked('t1')).toBe(false);
        expect(await store.isRefreshTokenRevoked('nope')).toBeUndefined();
      });

      test('rotation returns the user, revokes the parent and records a live child', async () => {
        await issue('parent', alice.id);
        const result = await store.rotateRefreshToken({
          jti: 'parent',
          userId: alice.id,
          now: at(10),
          child: child('child', alice.id),
          revoke: true,
        });
        expect(result).toStrictEqual({ ok: true, user: alice, sessionId: expect.any(String) });
        expect(await store.isRefreshTokenRevoked('parent')).toBe(true);
        expect(await store.isRefreshTokenRevoked('child')).toBe(false);
        // The child rotates in turn.
        const next = await store.rotateRefreshToken({
          jti: 'child',
          userId: alice.id,
          now: at(20),
          child: child('grandchild', alice.id),
          revoke: true,
        });
        expect(next).toStrictEqual({ ok: true, user: alice, sessionId: expect.any(String) });
        expect(await store.isRefreshTokenRevoked('child')).toBe(true);
        expect(await store.isRefreshTokenRevoked('grandchild')).toBe(false);
      });

      test('rotation returns the user as it is now', async () => {
        await issue('parent', alice.id);
        const changed = await store.updateUser(alice.id, { firstName: 'Changed' }, at(5));
        const result = await store.rotateRefreshToken({
          jti: 'parent',
          userId: alice.id,
          now: at(10),
          revoke: true,
        });
        expect(result).toStrictEqual({ ok: true, user: changed, sessionId: expect.any(String) });
      });

      test('of 20 concurrent rotations of one token exactly one wins and one child is recorded', async () => {
        await issue('parent', alice.id);
        const jtis = Array.from({ length: 20 }, (_, i) => `child-${i}`);
        const results = await Promise.all(
          jtis.map((jti) =>
            store.rotateRefreshToken({
              jti: 'parent',
              userId: alice.id,
              now: at(10),
              child: child(jti, alice.id),
              revoke: true,
            }),
          ),
        );
        const winners = results.flatMap((r, i) => (r.ok ? [i] : []));
        expect(winners).toHaveLength(1);
        // The first loser is reuse of a spent token: it ends the session; the others find it ended.
        const reasons = results.flatMap((r) => (r.ok ? [] : [r.reason]));
        expect(reasons.filter((reason) => reason === 'reused')).toHaveLength(1);
        expect(reasons.filter((reason) => reason === 'revoked')).toHaveLength(18);
        const states = await Promise.all(jtis.map((jti) => store.isRefreshTokenRevoked(jti)));
        // One child was recorded, and the session it belongs to has been ended.
        expect(states.filter((s) => s === true)).toHaveLength(1);
        expect(states.filter((s) => s === undefined)).toHaveLength(19);
        expect(states[winners[0] ?? -1]).toBe(true);
        expect(await store.isRefreshTokenRevoked('parent')).toBe(true);
      });

      test("reuse queues the owner's notice in the transaction that ends the session, once per detection", async () => {
        const reuseMail = (owner: User, sessionId: string) => [
          { kind: 'refresh_reuse', to: owner.email ?? '', userId: owner.id, data: { session: sessionId } },
        ];
        await issue('parent', alice.id, 's1');
        const rotation = (jti: string, childJti: string) =>
          store.rotateRefreshToken({
            jti,
            userId: alice.id,
            now: at(10),
            child: child(childJti, alice.id),
            revoke: true,
            reuseMail,
          });
        // A rotation is no reuse: nothing is queued.
        expect((await rotation('parent', 'c1')).ok).toBe(true);
        expect(await contract.storeRows.outbox()).toEqual([]);
        // Ten replays at once: one detects the reuse and ends the session, the rest find it ended.
        const replays = await Promise.all(Array.from({ length: 10 }, (_, i) => rotation('parent', `r${i}`)));
        expect(replays.filter((r) => !r.ok && r.reason === 'reused')).toHaveLength(1);
        expect(await rotation('c1', 'c2')).toStrictEqual({ ok: false, reason: 'revoked' });
        expect(await contract.storeRows.outbox()).toEqual([
          expect.objectContaining({
            kind: 'refresh_reuse',
            to: 'alice@example.com',
            userId: alice.id,
            data: { session: 's1' },
            createdAt: at(10),
          }),
        ]);
        const audit = await store.listAudit(0, 10, alice.id);
        expect(audit.items.map((entry) => entry.action)).toEqual(['session.refresh_token_reused']);
      });

      test('the notice commits with the reuse or not at all', async () => {
        await issue('parent', alice.id, 's1');
        expect((await rotate('parent', alice.id, true, 'c1')).ok).toBe(true);
        const failing = store.rotateRefreshToken({
          jti: 'parent',
          userId: alice.id,
          now: at(20),
          child: child('c2', alice.id),
          revoke: true,
          reuseMail: (owner) => [
            { kind: 'refresh_reuse', to: owner.email ?? '', userId: null, data: { x: 1n as never } },
          ],
        });
        await expect(failing).rejects.toThrow();
        // Nothing of the detection was written: the session is open, no audit entry, no mail.
        expect(await store.isSessionActive('s1')).toBe(true);
        expect((await store.listAudit(0, 10)).count).toBe(0);
        expect(await contract.storeRows.outbox()).toEqual([]);
      });

      test('rotation without revoking keeps the parent usable', async () => {
        await issue('parent', alice.id);
        for (const jti of ['c1', 'c2']) {
          const result = await store.rotateRefreshToken({
            jti: 'parent',
            userId: alice.id,
            now: at(10),
            child: child(jti, alice.id),
            revoke: false,
          });
          expect(result).toStrictEqual({ ok: true, user: alice, sessionId: expect.any(String) });
        }
        expect(await store.isRefreshTokenRevoked('parent')).toBe(false);
        expect(await store.isRefreshTokenRevoked('c1')).toBe(false);
        expect(await store.isRefreshTokenRevoked('c2')).toBe(false);
      });

      test('rotation with neither child nor revocation only checks the token', async () => {
        await issue('parent', alice.id);
        const result = await store.rotateRefreshToken({
          jti: 'parent',
          userId: alice.id,
          now: at(10),
          revoke: false,
        });
        expect(result).toStrictEqual({ ok: true, user: alice, sessionId: expect.any(String) });
        expect(await store.isRefreshTokenRevoked('parent')).toBe(false);
      });

      test.each([true, false])('an unknown jti is unknown (revoke: %s)', async (revoke) => {
        const result = await rotate('nope', alice.id, revoke, 'child');
        expect(result).toStrictEqual({ ok: false, reason: 'unknown' });
        expect(await store.isRefreshTokenRevoked('child')).toBeUndefined();
      });

      test.each([true, false])(
        "another user's jti is unknown and left alone (revoke: %s)",
        async (revoke) => {
          const bob = await create('bob');
          await issue('alices', alice.id);
          const result = await rotate('alices', bob.id, revoke, 'child');
          expect(result).toStrictEqual({ ok: false, reason: 'unknown' });
          expect(await store.isRefreshTokenRevoked('alices')).toBe(false);
          expect(await store.isRefreshTokenRevoked('child')).toBeUndefined();
        },
      );

      test.each([true, false])('a revoked token is revoked (revoke: %s)', async (revoke) => {
        await issue('parent', alice.id);
        expect(await store.revokeRefreshToken('parent', alice.id, at(5))).toBe('revoked');
        const result = await rotate('parent', alice.id, revoke, 'child');
        expect(result).toStrictEqual({ ok: false, reason: 'revoked' });
        expect(await store.isRefreshTokenRevoked('child')).toBeUndefined();
      });

      test.each([true, false])(
        'an inactive user is refused and nothing changes (revoke: %s)',
        async (revoke) => {
          await issue('parent', alice.id);
          await store.updateUser(alice.id, { isActive: false }, at(5));
          const result = await rotate('parent', alice.id, revoke, 'child');
          expect(result).toStrictEqual({ ok: false, reason: 'user_inactive' });
          // Rolled back: the parent is not revoked and no child exists.
          expect(await store.isRefreshTokenRevoked('parent')).toBe(false);
          expect(await store.isRefreshTokenRevoked('child')).toBeUndefined();

          const reactivated = await store.updateUser(alice.id, { isActive: true }, at(15));
          const retry = await store.rotateRefreshToken({
            jti: 'parent',
            userId: alice.id,
            now: at(20),
            child: child('child', alice.id),
            revoke,
          });
          expect(retry).toStrictEqual({ ok: true, user: reactivated, sessionId: expect.any(String) });
          expect(await store.isRefreshTokenRevoked('parent')).toBe(revoke);
          expect(await store.isRefreshTokenRevoked('child')).toBe(false);
        },
      );

      test('revokeRefreshToken: revoked, then already revoked; unknown otherwise', async () => {
        const bob = await create('bob');
        await issue('t1', alice.id);
        expect(await store.revokeRefreshToken('t1', bob.id, at(1))).toBe('unknown');
        expect(await store.isRefreshTokenRevoked('t1')).toBe(false);
        expect(await store.revokeRefreshToken('t1', alice.id, at(2))).toBe('revoked');
        expect(await store.isRefreshTokenRevoked('t1')).toBe(true);
        expect(await store.revokeRefreshToken('t1', alice.id, at(3))).toBe('already_revoked');
        expect(await store.revokeRefreshToken('nope', alice.id, at(4))).toBe('unknown');
      });

      test('deleteExpiredRefreshTokens removes only expired tokens and counts them', async () => {
        await issue('long-gone', alice.id, 'f', -86400);
        await issue('just-expired', alice.id, 'f', -1);
        await issue('expires-now', alice.id, 'f', 0);
        await issue('expires-soon', alice.id, 'f', 1);
        // In a session of its own: logout ends the whole session.
        await issue('revoked-live', alice.id, 'g', 3600);
        await store.revokeRefreshToken('revoked-live', alice.id, T0);

        expect(await store.deleteExpiredRefreshTokens(T0)).toBe(3);
        expect(await store.isRefreshTokenRevoked('long-gone')).toBeUndefined();
        expect(await store.isRefreshTokenRevoked('just-expired')).toBeUndefined();
        expect(await store.isRefreshTokenRevoked('expires-now')).toBeUndefined();
        expect(await store.isRefreshTokenRevoked('expires-soon')).toBe(false);
        expect(await store.isRefreshTokenRevoked('revoked-live')).toBe(true);
        expect(await store.deleteExpiredRefreshTokens(T0)).toBe(0);
        expect(await store.deleteExpiredRefreshTokens(at(1))).toBe(1);
        expect(await store.isRefreshTokenRevoked('expires-soon')).toBeUndefined();
        expect(await store.isRefreshTokenRevoked('revoked-live')).toBe(true);
      });

      test('an expired session begun after keepSessionsSince stays: the record that its device signed in', async () => {
        await issue('old', alice.id, 'old-session', 60);
        await store.deleteExpiredRefreshTokens(at(3600), T0);
        expect(await store.isRefreshTokenRevoked('old')).toBeUndefined();
        expect(await store.hasSessionFrom(alice.id, '', at(-1))).toBe(true);
        await store.deleteExpiredRefreshTokens(at(3600), at(1));
        expect(await store.hasSessionFrom(alice.id, '', at(-1))).toBe(false);
      });
    });

    describe('sessions', () => {
      test('rotation never shortens the session: another live token may expire later', async () => {
        const ann = await create('ann');
        await issue('t1', ann.id, 's1', 3600);
        await issue('t2', ann.id, 's1', 7200);
        const result = await store.rotateRefreshToken({
          jti: 't1',
          userId: ann.id,
          now: at(10),
          child: { jti: 't3', userId: ann.id, issuedAt: at(10), expiresAt: at(1000) },
          revoke: true,
        });
        expect(result.ok).toBe(true);
        expect((await store.listSessions(ann.id, at(10)))[0]?.expiresAt).toEqual(at(7200));
        expect(await store.deleteExpiredRefreshTokens(at(1000))).toBe(1);
        expect(await store.isRefreshTokenRevoked('t2')).toBe(false);
      });

      let alice: User;
      let bob: User;
      beforeEach(async () => {
        alice = await create('alice');
        bob = await create('bob');
      });

      /** Starts session `id` with its first token `jti`; the session's user agent and ip name it. */
      async function start(
        id: string,
        userId: number,
        jti: string,
        { issuedAt = T0, expiresAt = at(3600) }: { issuedAt?: Date; expiresAt?: Date } = {},
      ) {
        sessions.add(id);
        await store.startSession(
          { id, userId, userAgent: `agent-${id}`, ip: `ip-${id}`, methods: ['pwd'], authTime: issuedAt },
          { jti, userId, issuedAt, expiresAt },
        );
      }

      /** The session `id` of user `userId` as listSessions shows it while it is fresh. */
      const fresh = (id: string, userId: number, createdAt = T0, expiresAt = at(3600)): Session => ({
        id,
        userId,
        createdAt,
        lastUsedAt: createdAt,
        expiresAt,
        revokedAt: null,
        revokeReason: null,
        userAgent: `agent-${id}`,
        ip: `ip-${id}`,
        methods: ['pwd'],
        authTime: createdAt,
      });

      const listedIds = async (userId: number, now = at(1)) =>
        (await store.listSessions(userId, now)).map((s) => s.id);

      test('startSession records an open session and its first token', async () => {
        await store.startSession(
          {
            id: 's1',
            userId: alice.id,
            userAgent: 'Firefox/128.0',
            ip: '203.0.113.7',
            methods: ['pwd', 'otp', 'mfa'],
            authTime: at(4),
          },
          { jti: 't1', userId: alice.id, issuedAt: at(5), expiresAt: at(3605) },
        );
        expect(await store.listSessions(alice.id, at(6))).toStrictEqual([
          {
            id: 's1',
            userId: alice.id,
            createdAt: at(5),
            lastUsedAt: at(5),
            expiresAt: at(3605),
            revokedAt: null,
            revokeReason: null,
            userAgent: 'Firefox/128.0',
            ip: '203.0.113.7',
            methods: ['pwd', 'otp', 'mfa'],
            authTime: at(4),
          },
        ]);
        expect(await store.isSessionActive('s1')).toBe(true);
        expect(await store.isRefreshTokenRevoked('t1')).toBe(false);
        expect(
          await store.rotateRefreshToken({ jti: 't1', userId: alice.id, now: at(10), revoke: true }),
        ).toStrictEqual({ ok: true, user: alice, sessionId: 's1' });
      });

      test('startSession is atomic: when the token cannot be recorded, no session remains', async () => {
        await start('s1', alice.id, 't1');
        await expect(
          store.startSession(
            { id: 's2', userId: alice.id, userAgent: 'ua', ip: 'ip', methods: ['pwd'], authTime: T0 },
            { jti: 't1', userId: alice.id, issuedAt: at(1), expiresAt: at(3601) },
          ),
        ).rejects.toThrow();
        await expect(
          store.startSession(
            { id: 'b1', userId: bob.id, userAgent: 'ua', ip: 'ip', methods: ['pwd'], authTime: T0 },
            { jti: 't1', userId: bob.id, issuedAt: at(1), expiresAt: at(3601) },
          ),
        ).rejects.toThrow();
        expect(await store.listSessions(alice.id, at(2))).toStrictEqual([fresh('s1', alice.id)]);
        expect(await store.listSessions(bob.id, at(2))).toStrictEqual([]);
        expect(await store.isSessionActive('s2')).toBe(false);
        expect(await store.isSessionActive('b1')).toBe(false);
        // The existing token still belongs to its own session and user.
        expect(
          await store.rotateRefreshToken({ jti: 't1', userId: alice.id, now: at(3), revoke: false }),
        ).toStrictEqual({ ok: true, user: alice, sessionId: 's1' });
        // No half-started row blocks the session id.
        await start('s2', alice.id, 't2', { issuedAt: at(4), expiresAt: at(3604) });
        expect(await listedIds(alice.id, at(5))).toEqual(['s2', 's1']);
      });

      test('startSession with a taken session id records neither the session nor the token', async () => {
        await start('s1', alice.id, 't1');
        await expect(
          store.startSession(
            { id: 's1', userId: bob.id, userAgent: 'ua', ip: 'ip', methods: ['pwd'], authTime: T0 },
            { jti: 't2', userId: bob.id, issuedAt: at(1), expiresAt: at(3601) },
          ),
        ).rejects.toThrow();
        expect(await store.isRefreshTokenRevoked('t2')).toBeUndefined();
        expect(await store.listSessions(bob.id, at(2))).toStrictEqual([]);
        expect(await store.listSessions(alice.id, at(2))).toStrictEqual([fresh('s1', alice.id)]);
      });

      test("listSessions lists the user's open, unexpired sessions, most recently used first", async () => {
        expect(await store.listSessions(alice.id, at(1))).toStrictEqual([]);
        await start('middle', alice.id, 't-middle', { issuedAt: at(2), expiresAt: at(3602) });
        await start('newest', alice.id, 't-newest', { issuedAt: at(3), expiresAt: at(3603) });
        await start('oldest', alice.id, 't-oldest', { issuedAt: at(1), expiresAt: at(3601) });
        await start('revoked', alice.id, 't-revoked', { issuedAt: at(4), expiresAt: at(3604) });
        await start('expires-now', alice.id, 't-expires-now', { issuedAt: at(5), expiresAt: at(100) });
        await start('expires-soon', alice.id, 't-expires-soon', { issuedAt: at(0), expiresAt: at(101) });
        await start('bobs', bob.id, 't-bobs', { issuedAt: at(6), expiresAt: at(3606) });
        expect(await store.revokeSession('revoked', alice.id, 'test', at(50))).toBe(true);

        expect(await store.listSessions(alice.id, at(100))).toStrictEqual([
          fresh('newest', alice.id, at(3), at(3603)),
          fresh('middle', alice.id, at(2), at(3602)),
          fresh('oldest', alice.id, at(1), at(3601)),
          fresh('expires-soon', alice.id, at(0), at(101)),
        ]);
        expect(await listedIds(alice.id, at(99))).toEqual([
          'expires-now',
          'newest',
          'middle',
          'oldest',
          'expires-soon',
        ]);
        expect(await listedIds(alice.id, at(101))).toEqual(['newest', 'middle', 'oldest']);
        expect(await store.listSessions(bob.id, at(100))).toStrictEqual([
          fresh('bobs', bob.id, at(6), at(3606)),
        ]);
        expect(await store.listSessions(999_999, at(100))).toStrictEqual([]);
      });

      test(`listSessions lists at most ${MAX_LISTED_SESSIONS}, the most recently used`, async () => {
        for (let i = 0; i <= MAX_LISTED_SESSIONS; i++) {
          await start(`s${i}`, alice.id, `t${i}`, { issuedAt: at(i) });
        }
        const listed = await listedIds(alice.id, at(MAX_LISTED_SESSIONS + 1));
        expect(listed).toHaveLength(MAX_LISTED_SESSIONS);
        expect(listed[0]).toBe(`s${MAX_LISTED_SESSIONS}`);
        expect(listed).not.toContain('s0');
      });

      test('pageSessions: pages of the open, unexpired sessions, most recently used first, and their count', async () => {
        for (let i = 1; i <= 5; i++) await start(`s${i}`, alice.id, `t${i}`, { issuedAt: at(i) });
        // Same last use: the id decides, so no page repeats or skips one.
        await start('s5b', alice.id, 't5b', { issuedAt: at(5) });
        await start('ended', alice.id, 'te', { issuedAt: at(6) });
        await store.revokeSession('ended', alice.id, 'test', at(7));
        await start('expired', alice.id, 'tx', { issuedAt: at(-4000), expiresAt: at(3) });
        await start('bobs', bob.id, 'tb', { issuedAt: at(8) });
        const page = async (offset: number, limit: number) => {
          const { count, items } = await store.pageSessions(alice.id, at(10), offset, limit);
          return { count, ids: items.map((session) => session.id) };
        };
        expect(await page(0, 4)).toEqual({ count: 6, ids: ['s5b', 's5', 's4', 's3'] });
        expect(await page(4, 4)).toEqual({ count: 6, ids: ['s2', 's1'] });
        expect(await page(8, 4)).toEqual({ count: 6, ids: [] });
        expect((await store.pageSessions(alice.id, at(10), 0, 1)).items).toStrictEqual([
          fresh('s5b', alice.id, at(5)),
        ]);
        expect(await store.pageSessions(999_999, at(10), 0, 10)).toEqual({ count: 0, items: [] });
      });

      describe('startSession with a limit of live sessions', () => {
        const startCapped = (id: string, userId: number, issuedAt: Date, maxLive: number) => {
          sessions.add(id);
          return store.startSession(
            { id, userId, userAgent: `agent-${id}`, ip: `ip-${id}`, methods: ['pwd'], authTime: issuedAt },
            { jti: `t-${id}`, userId, issuedAt, expiresAt: new Date(issuedAt.getTime() + 3600_000) },
            maxLive,
          );
        };

        test('ends the least recently used beyond the limit, as the new one starts', async () => {
          for (let i = 1; i <= 3; i++) await startCapped(`s${i}`, alice.id, at(i), 3);
          expect(await listedIds(alice.id, at(4))).toEqual(['s3', 's2', 's1']);
          // s1 refreshed at 5: now s2 is the least recently used.
          const rotated = await store.rotateRefreshToken({
            jti: 't-s1',
            userId: alice.id,
            now: at(5),
            child: { jti: 's1-child', userId: alice.id, issuedAt: at(5), expiresAt: at(3605) },
            revoke: true,
          });
          expect(rotated.ok).toBe(true);
          await startCapped('s4', alice.id, at(6), 3);
          expect(await listedIds(alice.id, at(7))).toEqual(['s4', 's1', 's3']);
          expect(await store.isSessionActive('s2')).toBe(false);
          // Its tokens are refused as after a logout: the access token's session, the refresh token.
          expect(await store.findAccessSubject(alice.id, 's2')).toStrictEqual({
            user: alice,
            sessionActive: false,
          });
          expect(await store.isRefreshTokenRevoked('t-s2')).toBe(true);
          expect(
            await store.rotateRefreshToken({
              jti: 't-s2',
              userId: alice.id,
              now: at(8),
              child: { jti: 's2-child', userId: alice.id, issuedAt: at(8), expiresAt: at(3608) },
              revoke: true,
            }),
          ).toEqual({ ok: false, reason: 'revoked' });
        });

        test("counts only the user's own live sessions: ended, expired and other users' do not count", async () => {
          await startCapped('ended', alice.id, at(1), 2);
          await store.revokeSession('ended', alice.id, 'test', at(2));
          await startCapped('expired', alice.id, at(-4000), 2);
          await startCapped('bobs', bob.id, at(3), 2);
          await startCapped('bobs-2', bob.id, at(4), 2);
          await startCapped('a1', alice.id, at(5), 2);
          await startCapped('a2', alice.id, at(6), 2);
          expect(await listedIds(alice.id, at(7))).toEqual(['a2', 'a1']);
          expect(await listedIds(bob.id, at(7))).toEqual(['bobs-2', 'bobs']);
          await startCapped('a3', alice.id, at(8), 2);
          expect(await listedIds(alice.id, at(9))).toEqual(['a3', 'a2']);
          expect(await listedIds(bob.id, at(9))).toEqual(['bobs-2', 'bobs']);
        });

        test('a limit of 1 keeps only the new session; over the limit already, all the excess ends', async () => {
          for (let i = 1; i <= 5; i++) await start(`s${i}`, alice.id, `t${i}`, { issuedAt: at(i) });
          await startCapped('new', alice.id, at(10), 3);
          expect(await listedIds(alice.id, at(11))).toEqual(['new', 's5', 's4']);
          await startCapped('only', alice.id, at(12), 1);
          expect(await listedIds(alice.id, at(13))).toEqual(['only']);
        });

        test('concurrent logins of one user leave at most the limit', async () => {
          await Promise.all(
            Array.from({ length: 8 }, (_, i) => startCapped(`c${i}`, alice.id, at(i + 1), 3)),
          );
          expect(await listedIds(alice.id, at(20))).toHaveLength(3);
        });

        test('without a limit, nothing else ends', async () => {
          for (let i = 1; i <= 5; i++) await start(`s${i}`, alice.id, `t${i}`, { issuedAt: at(i) });
          expect(await listedIds(alice.id, at(6))).toHaveLength(5);
        });
      });

      test('isSessionActive: true while open, false once revoked or unknown', async () => {
        await start('s1', alice.id, 't1');
        expect(await store.isSessionActive('s1')).toBe(true);
        expect(await store.isSessionActive('nope')).toBe(false);
        expect(await store.isSessionActive('')).toBe(false);
        await store.revokeSession('s1', alice.id, 'test', at(1));
        expect(await store.isSessionActive('s1')).toBe(false);
      });

      test('revokeSession ends an open session once, and only for its owner', async () => {
        await start('s1', alice.id, 't1');
        await issue('t1b', alice.id, 's1');
        await start('s2', alice.id, 't2', { issuedAt: at(1), expiresAt: at(3601) });

        expect(await store.revokeSession('s1', bob.id, 'not yours', at(5))).toBe(false);
        expect(await store.isSessionActive('s1')).toBe(true);
        expect(await store.isRefreshTokenRevoked('t1')).toBe(false);
        expect(await listedIds(alice.id, at(6))).toEqual(['s2', 's1']);

        expect(await store.revokeSession('nope', alice.id, 'unknown', at(5))).toBe(false);

        expect(await store.revokeSession('s1', alice.id, 'user', at(10))).toBe(true);
        expect(await store.isSessionActive('s1')).toBe(false);
        expect(await store.isRefreshTokenRevoked('t1')).toBe(true);
        expect(await store.isRefreshTokenRevoked('t1b')).toBe(true);
        expect(await store.listSessions(alice.id, at(11))).toStrictEqual([
          fresh('s2', alice.id, at(1), at(3601)),
        ]);
        expect(await store.isRefreshTokenRevoked('t2')).toBe(false);

        expect(await store.revokeSession('s1', alice.id, 'again', at(20))).toBe(false);
      });

      test("revokeUserSessions ends all of a user's open sessions but one, and counts them", async () => {
        await start('a1', alice.id, 'ta1', { issuedAt: at(1), expiresAt: at(3601) });
        await start('a2', alice.id, 'ta2', { issuedAt: at(2), expiresAt: at(3602) });
        await start('a3', alice.id, 'ta3', { issuedAt: at(3), expiresAt: at(3603) });
        await start('a4', alice.id, 'ta4', { issuedAt: at(4), expiresAt: at(3604) });
        await start('b1', bob.id, 'tb1', { issuedAt: at(5), expiresAt: at(3605) });
        expect(await store.revokeSession('a4', alice.id, 'earlier', at(6))).toBe(true);

        expect(await store.revokeUserSessions(alice.id, 'password_change', at(10), 'a2')).toBe(2);
        expect(await store.listSessions(alice.id, at(11))).toStrictEqual([
          fresh('a2', alice.id, at(2), at(3602)),
        ]);
        expect(await store.isSessionActive('a1')).toBe(false);
        expect(await store.isSessionActive('a2')).toBe(true);
        expect(await store.isSessionActive('a3')).toBe(false);
        expect(await store.isRefreshTokenRevoked('ta1')).toBe(true);
        expect(await store.isRefreshTokenRevoked('ta2')).toBe(false);
        expect(await store.isRefreshTokenRevoked('ta3')).toBe(true);
        expect(await store.listSessions(bob.id, at(11))).toStrictEqual([
          fresh('b1', bob.id, at(5), at(3605)),
        ]);
        expect(await store.isRefreshTokenRevoked('tb1')).toBe(false);

        expect(await store.revokeUserSessions(alice.id, 'again', at(12), 'a2')).toBe(0);
        expect(await store.isSessionActive('a2')).toBe(true);
        expect(await store.revokeUserSessions(alice.id, 'everywhere', at(13))).toBe(1);
        expect(await store.isSessionActive('a2')).toBe(false);
        expect(await store.listSessions(alice.id, at(14))).toStrictEqual([]);
        expect(await store.revokeUserSessions(alice.id, 'everywhere', at(15))).toBe(0);
        expect(await store.isSessionActive('b1')).toBe(true);
        expect(await store.revokeUserSessions(999_999, 'nobody', at(16))).toBe(0);
        expect(await store.isSessionActive('b1')).toBe(true);
      });

      test.each([
        ['revokeSession', true],
        ['revokeSession', false],
        ['revokeUserSessions', true],
        ['revokeUserSessions', false],
      ] as const)(
        'after %s, a token of the session is revoked and rotating it changes nothing (revoke: %s)',
        async (how, revoke) => {
          await start('s1', alice.id, 't1');
          await issue('t1b', alice.id, 's1');
          if (how === 'revokeSession')
            expect(await store.revokeSession('s1', alice.id, 'user', at(5))).toBe(true);
          else expect(await store.revokeUserSessions(alice.id, 'everywhere', at(5))).toBe(1);

          expect(await rotate('t1', alice.id, revoke, 'child')).toStrictEqual({
            ok: false,
            reason: 'revoked',
          });
          expect(await store.isRefreshTokenRevoked('child')).toBeUndefined();
          expect(await store.isRefreshTokenRevoked('t1')).toBe(true);
          expect(await store.isRefreshTokenRevoked('t1b')).toBe(true);
          expect(await store.isSessionActive('s1')).toBe(false);
          expect(await store.listSessions(alice.id, at(11))).toStrictEqual([]);
          // Logging out with a token of the ended session finds it already ended.
          expect(await store.revokeRefreshToken('t1b', alice.id, at(12))).toBe('already_revoked');
          expect(await store.isSessionActive('s1')).toBe(false);
        },
      );

      test('logout (revokeRefreshToken) ends the whole session of the token', async () => {
        await start('s1', alice.id, 't1');
        await issue('t1b', alice.id, 's1');
        await start('s2', alice.id, 't2', { issuedAt: at(1), expiresAt: at(3601) });
        await start('b1', bob.id, 'tb1', { issuedAt: at(2), expiresAt: at(3602) });

        expect(await store.revokeRefreshToken('t1', alice.id, at(10))).toBe('revoked');
        expect(await store.isSessionActive('s1')).toBe(false);
        expect(await store.isRefreshTokenRevoked('t1')).toBe(true);
        expect(await store.isRefreshTokenRevoked('t1b')).toBe(true);
        expect(await store.listSessions(alice.id, at(11))).toStrictEqual([
          fresh('s2', alice.id, at(1), at(3601)),
        ]);
        expect(await rotate('t1b', alice.id, true, 'child')).toStrictEqual({ ok: false, reason: 'revoked' });
        expect(await store.isRefreshTokenRevoked('child')).toBeUndefined();

        expect(await store.revokeRefreshToken('t1b', alice.id, at(20))).toBe('already_revoked');
        expect(await store.revokeRefreshToken('t1', alice.id, at(21))).toBe('already_revoked');

        expect(await store.isSessionActive('s2')).toBe(true);
        expect(await store.isRefreshTokenRevoked('t2')).toBe(false);
        expect(await store.isSessionActive('b1')).toBe(true);
        expect(await store.isRefreshTokenRevoked('tb1')).toBe(false);
      });

      test("rotation moves the session's lastUsedAt and expiresAt forward", async () => {
        await start('s1', alice.id, 't1');
        await start('s2', alice.id, 't2', { issuedAt: at(1), expiresAt: at(3601) });
        expect(await listedIds(alice.id, at(2))).toEqual(['s2', 's1']);

        expect(await rotate('t1', alice.id, true, 'c1')).toStrictEqual({
          ok: true,
          user: alice,
          sessionId: 's1',
        });
        expect(await store.listSessions(alice.id, at(11))).toStrictEqual([
          { ...fresh('s1', alice.id), lastUsedAt: at(10), expiresAt: at(3610) },
          fresh('s2', alice.id, at(1), at(3601)),
        ]);

        // Without a child the token is only used: the expiry stays.
        expect(
          await store.rotateRefreshToken({ jti: 't2', userId: alice.id, now: at(20), revoke: false }),
        ).toStrictEqual({ ok: true, user: alice, sessionId: 's2' });
        expect(await store.listSessions(alice.id, at(21))).toStrictEqual([
          { ...fresh('s2', alice.id, at(1), at(3601)), lastUsedAt: at(20) },
          { ...fresh('s1', alice.id), lastUsedAt: at(10), expiresAt: at(3610) },
        ]);
      });

      test('a refused rotation does not touch the session', async () => {
        await start('s1', alice.id, 't1');
        await store.updateUser(alice.id, { isActive: false }, at(5));
        expect(await rotate('t1', alice.id, true, 'c1')).toStrictEqual({
          ok: false,
          reason: 'user_inactive',
        });
        expect(await rotate('t1', bob.id, true, 'c2')).toStrictEqual({ ok: false, reason: 'unknown' });
        expect(await store.listSessions(alice.id, at(11))).toStrictEqual([fresh('s1', alice.id)]);
      });

      test("a session's new token extends its expiry, never shortens it", async () => {
        await start('s1', alice.id, 't1');
        expect(await store.listSessions(alice.id, at(5000))).toStrictEqual([]);

        // Rotation without revoking: t1 stays live beside each new token of the session.
        await store.rotateRefreshToken({
          jti: 't1',
          userId: alice.id,
          now: at(10),
          child: { jti: 't2', userId: alice.id, issuedAt: at(10), expiresAt: at(7200) },
          revoke: false,
        });
        const expiry = async () =>
          (await store.listSessions(alice.id, at(5000))).map((s) => [s.id, s.expiresAt]);
        expect(await expiry()).toEqual([['s1', at(7200)]]);

        await store.rotateRefreshToken({
          jti: 't1',
          userId: alice.id,
          now: at(20),
          child: { jti: 't3', userId: alice.id, issuedAt: at(20), expiresAt: at(1800) },
          revoke: false,
        });
        expect(await expiry()).toEqual([['s1', at(7200)]]);
        expect(await store.isRefreshTokenRevoked('t2')).toBe(false);
        expect(await store.isRefreshTokenRevoked('t3')).toBe(false);
        const [session] = await store.listSessions(alice.id, at(5000));
        expect(session?.createdAt).toEqual(T0);
      });

      test('deleteExpiredRefreshTokens removes expired sessions with their tokens', async () => {
        await start('expired', alice.id, 't-expired', { expiresAt: at(100) });
        await start('live', alice.id, 't-live', { issuedAt: at(1), expiresAt: at(3600) });
        await start('extended', alice.id, 't-ext-old', { issuedAt: at(2), expiresAt: at(100) });
        await issue('t-ext-new', alice.id, 'extended', 3600);
        await start('revoked-live', alice.id, 't-revoked-live', { expiresAt: at(3600) });
        await start('revoked-expired', alice.id, 't-revoked-expired', { expiresAt: at(100) });
        await start('bobs-expired', bob.id, 't-bobs-expired', { expiresAt: at(50) });
        await store.revokeSession('revoked-live', alice.id, 'test', at(5));
        await store.revokeSession('revoked-expired', alice.id, 'test', at(5));
        expect(await listedIds(alice.id, T0)).toEqual(['extended', 'live', 'expired']);

        expect(await store.deleteExpiredRefreshTokens(at(100))).toBe(4);

        expect(await listedIds(alice.id, T0)).toEqual(['extended', 'live']);
        expect(await store.isSessionActive('expired')).toBe(false);
        expect(await store.isSessionActive('bobs-expired')).toBe(false);
        expect(await store.isSessionActive('live')).toBe(true);
        expect(await store.isSessionActive('extended')).toBe(true);
        expect(await store.isRefreshTokenRevoked('t-expired')).toBeUndefined();
        expect(await store.isRefreshTokenRevoked('t-bobs-expired')).toBeUndefined();
        expect(await store.isRefreshTokenRevoked('t-ext-old')).toBeUndefined();
        expect(await store.isRefreshTokenRevoked('t-ext-new')).toBe(false);
        expect(await store.isRefreshTokenRevoked('t-live')).toBe(false);
        expect(await store.isRefreshTokenRevoked('t-revoked-expired')).toBeUndefined();
        expect(await store.isRefreshTokenRevoked('t-revoked-live')).toBe(true);
        expect(await store.isSessionActive('revoked-live')).toBe(false);
        expect(
          await store.rotateRefreshToken({
            jti: 't-revoked-live',
            userId: alice.id,
            now: at(101),
            revoke: false,
          }),
        ).toStrictEqual({ ok: false, reason: 'revoked' });
        // The expired session is gone, not just hidden: its id can be started afresh.
        await start('expired', alice.id, 't-again', { issuedAt: at(101), expiresAt: at(3701) });
        expect(await store.listSessions(alice.id, at(102))).toStrictEqual([
          fresh('expired', alice.id, at(101), at(3701)),
          fresh('extended', alice.id, at(2), at(3600)),
          fresh('live', alice.id, at(1), at(3600)),
        ]);
        expect(await store.deleteExpiredRefreshTokens(at(100))).toBe(0);
      });
    });

    describe('findAccessSubject', () => {
      let alice: User;
      let bob: User;
      beforeEach(async () => {
        alice = await create('alice');
        bob = await create('bob');
        await issue('ta', alice.id, 'alices');
        await issue('tb', bob.id, 'bobs');
      });

      test('an open session of the user is active, with the user and no password hash', async () => {
        const subject = await store.findAccessSubject(alice.id, 'alices');
        expect(subject).toStrictEqual({ user: alice, sessionActive: true });
        expect(Object.keys(subject?.user ?? {}).sort()).toEqual(USER_KEYS);
        expect(JSON.stringify(subject)).not.toContain('hash-of-alice');
      });

      test('returns the user as it is now', async () => {
        const changed = await store.updateUser(alice.id, { name: 'Alice L.', isStaff: true }, at(5));
        expect(await store.findAccessSubject(alice.id, 'alices')).toStrictEqual({
          user: changed,
          sessionActive: true,
        });
      });

      test('a revoked session is not active', async () => {
        await store.revokeSession('alices', alice.id, 'test', at(1));
        expect(await store.findAccessSubject(alice.id, 'alices')).toStrictEqual({
          user: alice,
          sessionActive: false,
        });
      });

      test('a session ended by logout is not active', async () => {
        await store.revokeRefreshToken('ta', alice.id, at(1));
        expect(await store.findAccessSubject(alice.id, 'alices')).toStrictEqual({
          user: alice,
          sessionActive: false,
        });
      });

      test("an unknown session id or another user's session is not active", async () => {
        expect(await store.findAccessSubject(alice.id, 'nope')).toStrictEqual({
          user: alice,
          sessionActive: false,
        });
        expect(await store.findAccessSubject(alice.id, 'bobs')).toStrictEqual({
          user: alice,
          sessionActive: false,
        });
        expect(await store.findAccessSubject(bob.id, 'alices')).toStrictEqual({
          user: bob,
          sessionActive: false,
        });
        // And asking did not end anything.
        expect(await store.isSessionActive('alices')).toBe(true);
        expect(await store.isSessionActive('bobs')).toBe(true);
      });

      test('an unknown user is undefined, whatever the session', async () => {
        expect(await store.findAccessSubject(999_999, 'alices')).toBeUndefined();
        expect(await store.findAccessSubject(999_999, 'nope')).toBeUndefined();
        await store.deleteUser(bob.id);
        expect(await store.findAccessSubject(bob.id, 'bobs')).toBeUndefined();
      });
    });

    describe('session policy', () => {
      let alice: User;
      beforeEach(async () => {
        alice = await create('alice');
        await issue('parent', alice.id, 's1');
      });
      const policy = (overrides: Partial<SessionPolicy> = {}): SessionPolicy => ({
        graceSeconds: 0,
        absoluteLifetime: 86400,
        idleTimeout: 86400,
        ...overrides,
      });
      const rotateAt = (jti: string, seconds: number, childJti: string, p: SessionPolicy, revoke = true) =>
        store.rotateRefreshToken({
          jti,
          userId: alice.id,
          now: at(seconds),
          child: { jti: childJti, userId: alice.id, issuedAt: at(seconds), expiresAt: at(seconds + 3600) },
          revoke,
          policy: p,
        });

      test('within the grace period a spent token gets its unused successor again', async () => {
        const grace = policy({ graceSeconds: 10 });
        expect(await rotateAt('parent', 10, 'c1', grace)).toStrictEqual({
          ok: true,
          user: alice,
          sessionId: 's1',
        });
        expect(await rotateAt('parent', 20, 'c2', grace)).toStrictEqual({
          ok: true,
          user: alice,
          sessionId: 's1',
          replay: { jti: 'c1', userId: alice.id, issuedAt: at(10), expiresAt: at(3610) },
        });
        // Nothing new was recorded and the session goes on.
        expect(await store.isRefreshTokenRevoked('c2')).toBeUndefined();
        expect(await store.isRefreshTokenRevoked('c1')).toBe(false);
        expect(await store.isSessionActive('s1')).toBe(true);
        // Past the grace period it is reuse: the session ends.
        expect(await rotateAt('parent', 21, 'c3', grace)).toStrictEqual({
          ok: false,
          reason: 'reused',
          sessionId: 's1',
        });
        expect(await store.isSessionActive('s1')).toBe(false);
        expect(await store.isRefreshTokenRevoked('c1')).toBe(true);
        expect(await store.isRefreshTokenRevoked('c3')).toBeUndefined();
      });

      test('a session opened in token mode gets no grace: its spent token is reuse at once', async () => {
        await store.startSession(
          { id: 's-token', userId: alice.id, userAgent: '', ip: '', methods: ['pwd'], authTime: T0 },
          { jti: 'token-parent', userId: alice.id, issuedAt: T0, expiresAt: at(3600) },
        );
        const grace = policy({ graceSeconds: 60 });
        expect((await rotateAt('token-parent', 10, 'tc1', grace)).ok).toBe(true);
        expect(await rotateAt('token-parent', 11, 'tc2', grace)).toStrictEqual({
          ok: false,
          reason: 'reused',
          sessionId: 's-token',
        });
        expect(await store.isSessionActive('s-token')).toBe(false);
      });

      test('no replay once the successor has been used, or for an inactive user', async () => {
        const grace = policy({ graceSeconds: 60 });
        expect((await rotateAt('parent', 10, 'c1', grace)).ok).toBe(true);
        expect((await rotateAt('c1', 11, 'c2', grace)).ok).toBe(true);
        expect(await rotateAt('parent', 12, 'c3', grace)).toStrictEqual({
          ok: false,
          reason: 'reused',
          sessionId: 's1',
        });
        expect(await store.isSessionActive('s1')).toBe(false);

        await issue('other', alice.id, 's2');
        expect((await rotateAt('other', 10, 'o1', grace)).ok).toBe(true);
        await store.updateUser(alice.id, { isActive: false }, at(11));
        expect(await rotateAt('other', 12, 'o2', grace)).toStrictEqual({
          ok: false,
          reason: 'user_inactive',
        });
        expect(await store.isSessionActive('s2')).toBe(true);
      });

      test.each([true, false])(
        'a session past its absolute lifetime is expired, and the token is left as it was (revoke: %s)',
        async (revoke) => {
          const limited = policy({ absoluteLifetime: 100 });
          expect((await rotateAt('parent', 50, 'c1', limited, revoke)).ok).toBe(true);
          const token = revoke ? 'c1' : 'parent';
          expect(await rotateAt(token, 100, 'c2', limited, revoke)).toStrictEqual({
            ok: false,
            reason: 'session_expired',
          });
          expect(await store.isRefreshTokenRevoked(token)).toBe(false);
          expect(await store.isRefreshTokenRevoked('c2')).toBeUndefined();
          expect(await store.listSessions(alice.id, at(100))).toStrictEqual([
            expect.objectContaining({ id: 's1', lastUsedAt: at(50), revokedAt: null }),
          ]);
        },
      );

      test('a session unused for its idle timeout is expired; each rotation restarts the timeout', async () => {
        const idle = policy({ idleTimeout: 60 });
        expect((await rotateAt('parent', 59, 'c1', idle)).ok).toBe(true);
        expect((await rotateAt('c1', 118, 'c2', idle)).ok).toBe(true);
        expect(await rotateAt('c2', 178, 'c3', idle)).toStrictEqual({ ok: false, reason: 'session_expired' });
        expect(await store.isRefreshTokenRevoked('c2')).toBe(false);
        expect(await store.isRefreshTokenRevoked('c3')).toBeUndefined();
      });
    });

    describe('hasSessionFrom', () => {
      test('a session of the user from the IP created after `since`, open or ended', async () => {
        const alice = await create('alice');
        const bob = await create('bob');
        await store.startSession(
          { id: 's1', userId: alice.id, userAgent: 'ua', ip: '203.0.113.7', methods: ['pwd'], authTime: T0 },
          { jti: 't1', userId: alice.id, issuedAt: at(10), expiresAt: at(3610) },
        );
        expect(await store.hasSessionFrom(alice.id, '203.0.113.7', at(9))).toBe(true);
        expect(await store.hasSessionFrom(alice.id, '203.0.113.7', at(10))).toBe(false);
        expect(await store.hasSessionFrom(alice.id, '203.0.113.8', at(0))).toBe(false);
        expect(await store.hasSessionFrom(bob.id, '203.0.113.7', at(0))).toBe(false);
        await store.revokeSession('s1', alice.id, 'user', at(20));
        expect(await store.hasSessionFrom(alice.id, '203.0.113.7', at(0))).toBe(true);
      });
    });
  });
}

/** What the SessionStore interface does not expose, checked in the database itself. */
function describeSessionStoreRows(name: string, open: OpenTestStore, skip = false) {
  describe.skipIf(skip)(`SessionStore rows: ${name}`, () => {
    let raw: TestStore;
    let store: Store;
    beforeEach(async () => {
      raw = await open();
      store = raw.store;
    });
    afterEach(async () => {
      await raw.close();
    });

    test('rotation records the child in the parent family and links them', async () => {
      await store.migrate();
      const created = await store.createUser(newUser('alice'), T0);
      if (!created.ok) throw new Error('createUser failed');
      const userId = created.user.id;
      await store.startSession(
        { id: 'fam-1', userId, userAgent: '', ip: '', methods: ['pwd'], authTime: T0 },
        { jti: 'parent', userId, issuedAt: T0, expiresAt: at(3600) },
      );
      const result = await store.rotateRefreshToken({
        jti: 'parent',
        userId,
        now: at(10),
        child: { jti: 'child', userId, issuedAt: at(10), expiresAt: at(3610) },
        revoke: true,
      });
      expect(result.ok).toBe(true);

      const rows = await raw.rows(
        'select jti, user_id, family_id, issued_at, expires_at, revoked_at, replaced_by from refresh_tokens order by jti',
      );
      expect(rows).toEqual([
        {
          jti: 'child',
          user_id: userId,
          family_id: 'fam-1',
          issued_at: at(10).toISOString(),
          expires_at: at(3610).toISOString(),
          revoked_at: null,
          replaced_by: null,
        },
        {
          jti: 'parent',
          user_id: userId,
          family_id: 'fam-1',
          issued_at: T0.toISOString(),
          expires_at: at(3600).toISOString(),
          revoked_at: at(10).toISOString(),
          replaced_by: 'child',
        },
      ]);
      expect(await raw.rows(`select password_hash from users where id = ${userId}`)).toEqual([
        { password_hash: 'hash-of-alice' },
      ]);
    });

    test('a session ended by the limit of live sessions says so (session_limit), with the new one’s time', async () => {
      await store.migrate();
      const created = await store.createUser(newUser('alice'), T0);
      if (!created.ok) throw new Error('createUser failed');
      const userId = created.user.id;
      for (const [id, seconds] of [
        ['old', 0],
        ['new', 5],
      ] as const) {
        await store.startSession(
          { id, userId, userAgent: '', ip: '', methods: ['pwd'], authTime: at(seconds) },
          { jti: `t-${id}`, userId, issuedAt: at(seconds), expiresAt: at(3600) },
          1,
        );
      }
      expect(await raw.rows('select id, revoked_at, revoke_reason from sessions order by id')).toEqual([
        { id: 'new', revoked_at: null, revoke_reason: null },
        { id: 'old', revoked_at: at(5).toISOString(), revoke_reason: 'session_limit' },
      ]);
    });

    test('ending sessions records when and why; a rotation refused for an ended session leaves the token row as it was', async () => {
      await store.migrate();
      const created = await store.createUser(newUser('alice'), T0);
      if (!created.ok) throw new Error('createUser failed');
      const userId = created.user.id;
      for (const [id, jti] of [
        ['by-user', 'u1'],
        ['by-logout', 'l1'],
        ['kept', 'k1'],
        ['by-all', 'a1'],
      ] as const) {
        await store.startSession(
          { id, userId, userAgent: '', ip: '', methods: ['pwd'], authTime: T0 },
          { jti, userId, issuedAt: T0, expiresAt: at(3600) },
        );
      }
      expect(await store.revokeSession('by-user', userId, 'user', at(1))).toBe(true);
      expect(await store.revokeRefreshToken('l1', userId, at(2))).toBe('revoked');
      expect(await store.revokeUserSessions(userId, 'password_change', at(3), 'kept')).toBe(1);
      for (const revoke of [true, false]) {
        const result = await store.rotateRefreshToken({
          jti: 'u1',
          userId,
          now: at(10),
          child: { jti: `child-${revoke}`, userId, issuedAt: at(10), expiresAt: at(3610) },
          revoke,
        });
        expect(result).toEqual({ ok: false, reason: 'revoked' });
      }

      expect(
        await raw.rows(
          'select id, last_used_at, expires_at, revoked_at, revoke_reason from sessions order by id',
        ),
      ).toEqual([
        {
          id: 'by-all',
          last_used_at: T0.toISOString(),
          expires_at: at(3600).toISOString(),
          revoked_at: at(3).toISOString(),
          revoke_reason: 'password_change',
        },
        {
          id: 'by-logout',
          last_used_at: T0.toISOString(),
          expires_at: at(3600).toISOString(),
          revoked_at: at(2).toISOString(),
          revoke_reason: 'logout',
        },
        {
          id: 'by-user',
          last_used_at: T0.toISOString(),
          expires_at: at(3600).toISOString(),
          revoked_at: at(1).toISOString(),
          revoke_reason: 'user',
        },
        {
          id: 'kept',
          last_used_at: T0.toISOString(),
          expires_at: at(3600).toISOString(),
          revoked_at: null,
          revoke_reason: null,
        },
      ]);
      expect(
        await raw.rows('select jti, family_id, revoked_at, replaced_by from refresh_tokens order by jti'),
      ).toEqual([
        { jti: 'a1', family_id: 'by-all', revoked_at: null, replaced_by: null },
        { jti: 'k1', family_id: 'kept', revoked_at: null, replaced_by: null },
        { jti: 'l1', family_id: 'by-logout', revoked_at: at(2).toISOString(), replaced_by: null },
        { jti: 'u1', family_id: 'by-user', revoked_at: null, replaced_by: null },
      ]);
    });
  });
}

await describeOnEveryDatabase('SessionStore', {
  contract: describeSessionStore,
  rows: describeSessionStoreRows,
});
