import { beforeEach, describe, expect, test } from 'vitest';
import type { Store } from '../../store/store.js';
import type { User } from '../../store/users/store.js';
import {
  at,
  describeOnEveryDatabase,
  useContractStore,
  type OpenTestStore,
} from '../../testing/store-contract.js';
import type { DjangoImportChanges, ImportedUser } from './store.js';

const audit = {
  at: at(0),
  actorId: null,
  actor: 'test',
  action: 'django_import',
  targetId: null,
  target: '',
  detail: {},
  ip: '',
};

const imported = (
  djangoId: number,
  username: string,
  overrides: Partial<ImportedUser> = {},
): ImportedUser => ({
  djangoId,
  publicId: `00000000-0000-4000-8000-${String(djangoId).padStart(12, '0')}`,
  username,
  usernameKey: username.toLowerCase(),
  email: `${username.toLowerCase()}@example.com`,
  firstName: '',
  lastName: '',
  profileEmail: '',
  passwordHash: 'md5$salt$00000000000000000000000000000000',
  isActive: true,
  isStaff: false,
  isSuperuser: false,
  lastLogin: null,
  created: at(-86400),
  ...overrides,
});

const changes = (overrides: Partial<DjangoImportChanges>): DjangoImportChanges => ({
  create: [],
  update: [],
  tokens: [],
  audit,
  ...overrides,
});

/** The Django import's slice, on SQLite and PostgreSQL. */
function describeDjangoStore(name: string, open: OpenTestStore, skip = false) {
  describe.skipIf(skip)(`DjangoStore contract: ${name}`, () => {
    const contract = useContractStore(open);
    let store: Store;
    beforeEach(() => {
      store = contract.store;
    });

    test('an import creates accounts with their Django ids, found again by them; the audit entry with it', async () => {
      await store.applyDjangoImport(changes({ create: [imported(7, 'Ann', { isStaff: true })] }), at(0));
      const ann = (await store.findDjangoUser(7))?.user as User;
      expect(ann).toMatchObject({
        username: 'Ann',
        email: 'ann@example.com',
        isStaff: true,
        created: at(-86400),
      });
      expect(await store.findDjangoUser(8)).toBeUndefined();
      const targets = await store.listImportTargets();
      expect(targets).toEqual([expect.objectContaining({ id: ann.id, djangoId: 7, usernameKey: 'ann' })]);
      expect((await store.listAudit(0, 5)).items.map((e) => e.action)).toEqual(['django_import']);
      expect(await store.djangoTokenHorizon()).toEqual({ lastImport: at(0), newestToken: undefined });
    });

    test('an update without a hash keeps the stored one; a deactivation ends the sessions', async () => {
      await store.applyDjangoImport(changes({ create: [imported(7, 'Ann')] }), at(0));
      const ann = (await store.findDjangoUser(7))?.user as User;
      await store.updatePasswordHash(ann.id, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g', at(1));
      await contract.issue('j1', ann.id, 'session-1');
      const { passwordHash: _ignored, ...rest } = imported(7, 'Ann', { isActive: false, firstName: 'Ann' });
      await store.applyDjangoImport(changes({ update: [{ ...rest, userId: ann.id }] }), at(2));
      expect(await store.findPasswordHash(ann.id)).toMatch(/^\$argon2id\$/);
      expect((await store.findDjangoUser(7))?.user).toMatchObject({ isActive: false, firstName: 'Ann' });
      expect(await store.isSessionActive('session-1')).toBe(false);
    });

    test("ending all of a user's sessions sets the old tokens' cutoff, with no session open too", async () => {
      await store.applyDjangoImport(changes({ create: [imported(7, 'Ann')] }), at(0));
      const ann = (await store.findDjangoUser(7))?.user as User;
      expect((await store.findDjangoUser(7))?.sessionsEndedAt).toBeNull();
      await store.revokeUserSessions(ann.id, 'logout_everywhere', at(5));
      expect((await store.findDjangoUser(7))?.sessionsEndedAt).toEqual(at(5));
      await contract.issue('j1', ann.id, 'session-1');
      await store.revokeUserSessions(ann.id, 'logout_everywhere', at(9), 'session-1');
      expect((await store.findDjangoUser(7))?.sessionsEndedAt).toEqual(at(9));
      expect(await store.isSessionActive('session-1')).toBe(true);
    });

    test('a failure in the middle writes nothing', async () => {
      await contract.create('bob');
      await expect(
        store.applyDjangoImport(changes({ create: [imported(1, 'Ann'), imported(2, 'Bob')] }), at(0)),
      ).rejects.toThrow();
      expect(await store.findDjangoUser(1)).toBeUndefined();
      expect((await store.listAudit(0, 5)).count).toBe(0);
    });

    test('an old refresh token is spent once (compare-and-set); a blacklisted one is never un-blacklisted', async () => {
      const token = { jti: 'a'.repeat(32), djangoUserId: 7, expiresAt: at(3600) };
      expect(await store.isDjangoTokenBlacklisted(token.jti)).toBe(false);
      const spent = await Promise.all([
        store.spendDjangoToken(token, at(1)),
        store.spendDjangoToken(token, at(1)),
      ]);
      expect(spent.sort()).toEqual([false, true]);
      expect(await store.isDjangoTokenBlacklisted(token.jti)).toBe(true);
      // Imported again as outstanding (the old site's table still says so): it stays refused.
      await store.applyDjangoImport(changes({ tokens: [{ ...token, blacklistedAt: null }] }), at(2));
      expect(await store.isDjangoTokenBlacklisted(token.jti)).toBe(true);
      const other = { jti: 'b'.repeat(32), djangoUserId: 7, expiresAt: at(7200), blacklistedAt: null };
      await store.applyDjangoImport(changes({ tokens: [other] }), at(3));
      expect(await store.isDjangoTokenBlacklisted(other.jti)).toBe(false);
      expect((await store.djangoTokenHorizon()).newestToken).toEqual(at(7200));
      expect(await store.spendDjangoToken(other, at(4))).toBe(true);
      expect(await store.spendDjangoToken(other, at(5))).toBe(false);
    });
  });
}

await describeOnEveryDatabase('DjangoStore', { contract: describeDjangoStore });
