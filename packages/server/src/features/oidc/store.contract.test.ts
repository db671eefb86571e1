import { Client } from 'pg';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { NewAuditEntry } from '../../store/audit/store.js';
import type { Store } from '../../store/store.js';
import type { User } from '../../store/users/store.js';
import {
  at,
  describeOnEveryDatabase,
  newUser,
  T0,
  useContractStore,
  type OpenPostgres,
  type OpenTestStore,
} from '../../testing/store-contract.js';
import type { IdentityEffects, NewIdentity } from './store.js';

const audit = (user: User, action: string): NewAuditEntry => ({
  at: at(1),
  actorId: user.id,
  actor: user.username,
  action,
  targetId: user.id,
  target: user.username,
  detail: {},
  ip: '192.0.2.1',
});
const effects = (user: User, action: string): IdentityEffects => ({ audit: audit(user, action), now: at(1) });
const identity = (subject: string, overrides: Partial<NewIdentity> = {}): NewIdentity => ({
  provider: 'corp',
  issuer: 'https://idp.example.com',
  subject,
  email: `${subject}@example.com`,
  createdAt: T0,
  ...overrides,
});

/** The identities' slice, on SQLite and PostgreSQL. */
function describeIdentityStore(name: string, open: OpenTestStore, skip = false) {
  describe.skipIf(skip)(`IdentityStore contract: ${name}`, () => {
    const contract = useContractStore(open);
    let store: Store;
    let alice: User;
    beforeEach(async () => {
      store = contract.store;
      alice = await contract.create('alice');
    });
    const actions = async (user: User) =>
      (await store.listAudit(0, 50, user.id)).items.map((entry) => entry.action).sort();

    test('an identity is linked once, to one account; the same subject at another issuer is another identity', async () => {
      const bob = await contract.create('bob');
      const linked = await store.linkIdentity(alice.id, identity('s1'), effects(alice, 'identity.linked'));
      expect(linked).toMatchObject({
        ok: true,
        identity: { userId: alice.id, subject: 's1', lastUsedAt: T0 },
      });
      expect(await store.linkIdentity(bob.id, identity('s1'), effects(bob, 'identity.linked'))).toEqual({
        ok: false,
        reason: 'in_use',
        userId: alice.id,
      });
      expect(await actions(bob)).toEqual([]);
      const elsewhere = await store.linkIdentity(
        bob.id,
        identity('s1', { issuer: 'https://other.example.com' }),
        effects(bob, 'identity.linked'),
      );
      expect(elsewhere.ok).toBe(true);
      expect(await store.findIdentity('https://idp.example.com', 's1')).toMatchObject({ userId: alice.id });
      expect(await store.findIdentity('https://other.example.com', 's1')).toMatchObject({ userId: bob.id });
      expect(await store.findIdentity('https://idp.example.com', 's2')).toBeUndefined();
      expect(await actions(alice)).toEqual(['identity.linked']);
    });

    test('an account without a password and its identity are created together, or not at all', async () => {
      const created = await store.createAccountWithIdentity(
        newUser('carol', { passwordHash: null, emailVerified: true }),
        identity('c1'),
        { audit: (user) => audit(user, 'user.created_by_provider'), now: at(1) },
      );
      if (!created.ok) throw new Error('refused');
      expect(created.user).toMatchObject({
        username: 'carol',
        email: 'carol@example.com',
        emailVerified: true,
      });
      expect(await store.findPasswordHash(created.user.id)).toBeNull();
      expect(await store.listIdentities(created.user.id)).toEqual([created.identity]);
      expect(await actions(created.user)).toEqual(['user.created_by_provider']);

      const again = { audit: (user: User) => audit(user, 'user.created_by_provider'), now: at(2) };
      // The username is taken, the address is another account's (or its username), the identity is linked.
      expect(
        await store.createAccountWithIdentity(
          newUser('Alice', { email: 'x@example.com' }),
          identity('d1'),
          again,
        ),
      ).toEqual({ ok: false, reason: 'username' });
      expect(
        await store.createAccountWithIdentity(
          newUser('dave', { email: 'alice@example.com' }),
          identity('d1'),
          again,
        ),
      ).toEqual({ ok: false, reason: 'email' });
      expect(
        await store.createAccountWithIdentity(newUser('dave', { email: 'alice' }), identity('d1'), again),
      ).toEqual({ ok: false, reason: 'email' });
      expect(await store.createAccountWithIdentity(newUser('dave'), identity('c1'), again)).toEqual({
        ok: false,
        reason: 'identity',
      });
      expect(await store.findIdentity('https://idp.example.com', 'd1')).toBeUndefined();
      expect(await contract.storeRows.userByUsernameKey('dave')).toBeUndefined();
    });

    test("a use records its time and the provider's address", async () => {
      const linked = await store.linkIdentity(alice.id, identity('s1'), effects(alice, 'identity.linked'));
      if (!linked.ok) throw new Error('refused');
      await store.recordIdentityUse(linked.identity.id, 'new@example.com', at(60));
      expect(await store.findIdentity('https://idp.example.com', 's1')).toMatchObject({
        email: 'new@example.com',
        lastUsedAt: at(60),
        createdAt: T0,
      });
    });

    test('the last way to sign in is not unlinked; with a password, a passkey or another identity it is', async () => {
      const created = await store.createAccountWithIdentity(
        newUser('carol', { passwordHash: null }),
        identity('c1'),
        { audit: (user) => audit(user, 'user.created_by_provider'), now: at(1) },
      );
      if (!created.ok) throw new Error('refused');
      const carol = created.user;
      const unlink = (id: string) =>
        store.unlinkIdentity(carol.id, id, () => effects(carol, 'identity.unlinked'));
      expect(await unlink(created.identity.id)).toEqual({ ok: false, reason: 'last_method' });
      expect(await unlink('no-such-id')).toEqual({ ok: false, reason: 'not_found' });
      // Another account's identity is not found for this one.
      const other = await store.linkIdentity(alice.id, identity('a1'), effects(alice, 'identity.linked'));
      if (!other.ok) throw new Error('refused');
      expect(await unlink(other.identity.id)).toEqual({ ok: false, reason: 'not_found' });

      const second = await store.linkIdentity(carol.id, identity('c2'), effects(carol, 'identity.linked'));
      if (!second.ok) throw new Error('refused');
      expect(await unlink(created.identity.id)).toMatchObject({ ok: true, identity: { subject: 'c1' } });
      expect(await unlink(second.identity.id)).toEqual({ ok: false, reason: 'last_method' });
      await store.updatePasswordHash(carol.id, 'hash', at(5));
      expect(await unlink(second.identity.id)).toMatchObject({ ok: true });
      expect(await store.listIdentities(carol.id)).toEqual([]);
      expect(await actions(carol)).toEqual([
        'identity.linked',
        'identity.unlinked',
        'identity.unlinked',
        'user.created_by_provider',
      ]);
    });

    test.each(['!', '!Zq8eK3vLr2WnTt5yUo0aXc1bVd4fGh7jKl9mNp6q', ''])(
      'an unusable password (%j, as Django keeps one) is no way to sign in: the last identity stays',
      async (unusable) => {
        const created = await store.createAccountWithIdentity(
          newUser('carol', { passwordHash: unusable }),
          identity('c1'),
          { audit: (user) => audit(user, 'user.created_by_provider'), now: at(1) },
        );
        if (!created.ok) throw new Error('refused');
        const carol = created.user;
        expect(
          await store.unlinkIdentity(carol.id, created.identity.id, () =>
            effects(carol, 'identity.unlinked'),
          ),
        ).toEqual({ ok: false, reason: 'last_method' });
        expect(await store.listIdentities(carol.id)).toHaveLength(1);
      },
    );

    test("a deleted account's identities go with it", async () => {
      await store.linkIdentity(alice.id, identity('s1'), effects(alice, 'identity.linked'));
      await store.deleteUser(alice.id);
      expect(await store.findIdentity('https://idp.example.com', 's1')).toBeUndefined();
    });

    test("a callback's state is claimed once, its answer kept until it expires", async () => {
      expect(await store.claimOidcCallback('state-1', 'binding-1', at(600), T0)).toBe(true);
      expect(await store.claimOidcCallback('state-1', 'binding-2', at(600), at(1))).toBe(false);
      expect(await store.findOidcCallback('state-1', at(1))).toEqual({
        bindingHash: 'binding-1',
        location: null,
      });
      await store.settleOidcCallback('state-1', '/after');
      expect(await store.findOidcCallback('state-1', at(2))).toEqual({
        bindingHash: 'binding-1',
        location: '/after',
      });
      expect(await store.findOidcCallback('state-1', at(600))).toBeUndefined();
      // Swept by the next claim once expired.
      expect(await store.claimOidcCallback('state-2', 'binding-1', at(1200), at(601))).toBe(true);
      expect(await store.claimOidcCallback('state-1', 'binding-3', at(1200), at(601))).toBe(true);
    });
  });
}

/**
 * PostgreSQL, the interleaving that let both of two unlinks pass: each counts the other identity before
 * either deletes. A connection outside the store holds the identities' rows, so both unlinks have counted
 * and wait (at their delete, or for the user's row) before either can finish. (SQLite has one writer: its
 * transactions never interleave.)
 */
function describeIdentityStoreOnPostgres(open: OpenPostgres, skip = false) {
  describe.skipIf(skip)('IdentityStore on PostgreSQL: unlinks take turns on the user', () => {
    let opened: Awaited<ReturnType<OpenPostgres>>;
    /** Holds the locks; `watcher` looks at pg_stat_activity (a transaction sees a snapshot of it). */
    let outside: Client;
    let watcher: Client;
    const connect = async () => {
      const client = new Client({ connectionString: opened.url });
      client.on('error', () => {});
      await client.connect();
      return client;
    };
    beforeEach(async () => {
      opened = await open();
      await opened.store.migrate();
      outside = await connect();
      watcher = await connect();
    });
    afterEach(async () => {
      await outside.end();
      await watcher.end();
      await opened.close();
    });

    /** Resolves once `count` connections of the store's wait for a lock. */
    const lockWaits = async (count: number) => {
      const name = new URL(opened.url).searchParams.get('application_name');
      for (let waited = 0; waited < 10_000; waited += 10) {
        const { rows } = await watcher.query<{ n: number }>(
          "select count(*)::int as n from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'",
          [name],
        );
        if ((rows[0]?.n ?? 0) >= count) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error('the unlinks never waited');
    };

    test('of the last two identities, one goes and the other stays', async () => {
      const { store } = opened;
      const created = await store.createAccountWithIdentity(
        newUser('carol', { passwordHash: null }),
        identity('c1'),
        { audit: (user) => audit(user, 'user.created_by_provider'), now: at(1) },
      );
      if (!created.ok) throw new Error('refused');
      const carol = created.user;
      const second = await store.linkIdentity(carol.id, identity('c2'), effects(carol, 'identity.linked'));
      if (!second.ok) throw new Error('refused');

      await outside.query('begin');
      await outside.query('select id from identities where user_id = $1 for update', [carol.id]);
      const unlinks = Promise.all(
        [created.identity.id, second.identity.id].map((id) =>
          store.unlinkIdentity(carol.id, id, () => effects(carol, 'identity.unlinked')),
        ),
      );
      await lockWaits(2);
      await outside.query('commit');
      const results = await unlinks;
      expect(results.map((result) => result.ok).sort()).toEqual([false, true]);
      expect(await store.listIdentities(carol.id)).toHaveLength(1);
    });
  });
}

await describeOnEveryDatabase('IdentityStore', {
  contract: describeIdentityStore,
  postgresOnly: describeIdentityStoreOnPostgres,
});
