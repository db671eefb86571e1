import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../../cli/run.js';
import { useDjango, type DjangoFixture } from '../../testing/django.js';
import { usePostgres } from '../../testing/postgres.js';
import { createTestContext, decodePayload, type TestContext } from '../../testing/test-app.js';
import { importFromDjango } from './importer.js';

const django = await useDjango('the Django import');
const postgres = django ? await usePostgres('the Django import from PostgreSQL') : undefined;

/** Fixture a's users that have a password Gatehouse can check, and are not in a conflict. */
const SIGN_IN = (fixture: DjangoFixture) =>
  fixture.users.filter(
    (u) => u.password !== null && !['sleeper', 'Twin', 'twin'].includes(u.username) && u.format !== 'unknown',
  );

describe.runIf(django)('gatehouse import django', () => {
  let a: DjangoFixture;
  let b: DjangoFixture;
  let ctx: TestContext;
  beforeAll(async () => {
    const maker = django as NonNullable<typeof django>;
    [a, b] = await Promise.all([maker.make('a'), maker.make('b')]);
  }, 120_000);
  afterEach(async () => {
    await ctx.close();
  });

  const importA = (dryRun = false) =>
    importFromDjango({ from: a.database, profileTable: 'base_profile', dryRun }, ctx.store, ctx.clock);
  const login = (username: string, password: string) =>
    ctx.app.inject({ method: 'POST', url: '/api/token/', payload: { username, password } });
  const hashOf = async (username: string) => {
    const user = (await ctx.store.listUsers()).find((u) => u.username === username);
    return ctx.store.findPasswordHash(user?.id ?? -1);
  };

  test('every hash format signs in over HTTP with its Django password, and is rehashed with argon2id on the first login', async () => {
    ctx = await createTestContext();
    const { plan } = await importA();
    expect(plan.create).toHaveLength(SIGN_IN(a).length + 2); // and the inactive and unusable ones
    for (const user of SIGN_IN(a)) {
      expect(await hashOf(user.username)).not.toMatch(/^\$argon2id\$/);
      const first = await login(user.username, user.password as string);
      expect(first.statusCode, `${user.format}: ${first.body}`).toBe(200);
      expect(await hashOf(user.username)).toMatch(/^\$argon2id\$/);
      expect((await login(user.username, user.password as string)).statusCode).toBe(200);
      expect((await login(user.username, `x${user.password as string}`)).statusCode).toBe(401);
    }
  }, 120_000);

  test('flags, dates and tutorial A profile are kept; inactive and unusable passwords are refused', async () => {
    ctx = await createTestContext();
    await importA();
    const users = await ctx.store.listUsers();
    const user1 = users.find((u) => u.username === 'user1');
    expect(user1).toMatchObject({
      email: 'user1@example.com',
      firstName: 'Sam',
      lastName: 'Smith',
      profileEmail: 'sam@smith.com',
      isActive: true,
      isStaff: false,
      lastLogin: new Date('2024-05-06T07:08:09Z'),
    });
    expect(users.find((u) => u.username === 'admin')).toMatchObject({ isStaff: true, isSuperuser: true });
    expect(users.find((u) => u.username === 'sleeper')).toMatchObject({ isActive: false });
    expect((await login('sleeper', 'sleeper-pw')).statusCode).toBe(401);
    const unusable = await hashOf('nopassword');
    expect(unusable).toBe('!');
    for (const guess of ['!', '', 'nopassword'])
      expect((await login('nopassword', guess)).statusCode).not.toBe(200);
  }, 60_000);

  test('conflicts and unknown hash formats are reported and skipped, never merged', async () => {
    ctx = await createTestContext();
    await ctx.createUser({ username: 'User_MD5', email: 'someone@example.com' });
    const { plan } = await importA();
    const reasons = Object.fromEntries(plan.skipped.map((s) => [s.username, s.reason]));
    expect(reasons['Twin']).toMatch(
      /"Twin" \(Django id \d+\), "twin" \(Django id \d+\) are one Gatehouse username "twin"/,
    );
    expect(reasons['twin']).toBe(reasons['Twin']);
    expect(reasons['oddhash']).toMatch(/format "whirlpool" is not one Gatehouse verifies/);
    expect(reasons['user_md5']).toMatch(/already Gatehouse user "User_MD5"'s/);
    const usernames = (await ctx.store.listUsers()).map((u) => u.username);
    expect(usernames).not.toContain('Twin');
    expect(usernames).not.toContain('twin');
    expect(usernames.filter((u) => u.toLowerCase() === 'user_md5')).toEqual(['User_MD5']);
  }, 60_000);

  test('a re-run updates what changed and never duplicates; a hash rehashed here is kept', async () => {
    ctx = await createTestContext();
    await importA();
    const count = (await ctx.store.listUsers()).length;
    expect((await login('user1', 'password1')).statusCode).toBe(200);
    const again = await importA();
    expect(again.plan.create).toHaveLength(0);
    expect(again.plan.update).toHaveLength(0);
    expect(again.plan.unchanged).toBe(count);
    expect((await ctx.store.listUsers()).length).toBe(count);
    expect(await hashOf('user1')).toMatch(/^\$argon2id\$/);
    // Changed here by an administrator: the next import brings the old site's value back.
    const admin = (await ctx.store.listUsers()).find((u) => u.username === 'admin');
    await ctx.store.updateUser(admin?.id ?? -1, { isStaff: false }, ctx.clock());
    const third = await importA();
    expect(third.plan.update.map((u) => u.username)).toEqual(['admin']);
    expect((await ctx.store.findUserById(admin?.id ?? -1))?.isStaff).toBe(true);
  }, 60_000);

  test('a dry run plans and writes nothing', async () => {
    ctx = await createTestContext();
    const { plan, applied } = await importA(true);
    expect(applied).toBe(false);
    expect(plan.create.length).toBeGreaterThan(10);
    expect(await ctx.store.listUsers()).toEqual([]);
    expect((await ctx.store.listAudit(0, 10)).count).toBe(0);
  });

  test('Django groups: a group holding one role of the same name with its permissions, and its members', async () => {
    ctx = await createTestContext();
    await ctx.store.createRole(
      { name: 'viewers', description: 'ours', permissions: ['docs:read'] },
      ctx.clock(),
      {
        at: ctx.clock(),
        actorId: null,
        actor: 'test',
        action: 'role.create',
        targetId: null,
        target: 'viewers',
        detail: {},
        ip: '',
      },
    );
    const { groups } = await importA();
    expect(groups.create.map((g) => g.name)).toEqual(['editors']);
    expect(groups.skipped).toEqual([
      { name: 'viewers', reason: 'a role or group of that name exists here already' },
    ]);
    const editors = await ctx.store.findGroup('editors');
    expect(editors?.roles).toEqual(['editors']);
    expect(editors?.members.map((m) => m.username).sort()).toEqual(['admin', 'user1']);
    expect((await ctx.store.findRole('editors'))?.permissions).toEqual([
      'auth:change_user',
      'auth:view_user',
    ]);
    // The role that was here first is left as it was.
    expect((await ctx.store.findRole('viewers'))?.permissions).toEqual(['docs:read']);
    const user1 = (await ctx.store.listUsers()).find((u) => u.username === 'user1');
    expect(await ctx.store.effectivePermissions(user1?.id ?? -1)).toEqual([
      'auth:change_user',
      'auth:view_user',
    ]);
    // A re-run keeps the group in step and duplicates nothing; a member added here stays.
    const local = await ctx.createUser({ username: 'local-editor' });
    await ctx.store.setUserGroups(local.id, ['editors'], () => ({
      at: ctx.clock(),
      actorId: null,
      actor: 'test',
      action: 'user.groups',
      targetId: local.id,
      target: local.username,
      detail: {},
      ip: '',
    }));
    const again = await importA();
    expect(again.groups.create).toEqual([]);
    expect(again.groups.update.map((g) => g.name)).toEqual(['editors']);
    expect((await ctx.store.listGroups()).map((g) => g.name).sort()).toEqual(['editors']);
    expect((await ctx.store.findGroup('editors'))?.members.map((m) => m.username).sort()).toEqual([
      'admin',
      'local-editor',
      'user1',
    ]);
  }, 60_000);

  test("tutorial B's custom user model: email login, its public_id kept", async () => {
    ctx = await createTestContext();
    const { plan } = await importFromDjango(
      { from: b.database, userTable: 'core_user_user', dryRun: false },
      ctx.store,
      ctx.clock,
    );
    expect(plan.create.map((u) => u.username).sort()).toEqual(['alice', 'boss']);
    expect(plan.skipped.map((s) => s.username).sort()).toEqual(['carol', 'carol2']);
    expect(plan.skipped[0]?.reason).toMatch(/one Gatehouse address "carol@example.com"/);
    const alice = b.users.find((u) => u.username === 'alice');
    expect((await ctx.store.findUserByPublicId(alice?.publicId ?? ''))?.username).toBe('alice');
    expect((await login('alice@example.com', 'alice-password')).statusCode).toBe(200);
    const boss = await ctx.store.findUserByPublicId(
      b.users.find((u) => u.username === 'boss')?.publicId ?? '',
    );
    expect(boss).toMatchObject({ isStaff: true, isSuperuser: true });
  });
});

describe.runIf(django)('gatehouse import django, the command', () => {
  let a: DjangoFixture;
  let dir: string;
  beforeAll(async () => {
    a = await (django as NonNullable<typeof django>).make('a');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-import-'));
    return () => fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const cli = async (argv: string[], env: Record<string, string> = {}) => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await runCli(argv, {
      env: { DATABASE_URL: `sqlite:${path.join(dir, 'gatehouse.sqlite3')}`, ...env },
      stdin: Readable.from([]),
      stdout,
      stderr,
    });
    return { code, stdout: out, stderr: err };
  };

  test('--dry-run says what would change; the real run a summary; the source is left as it was', async () => {
    const before = fs.readFileSync(a.database);
    const dry = await cli([
      'import',
      'django',
      '--from',
      a.database,
      '--profile-table',
      'base_profile',
      '--dry-run',
    ]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would be created: user1 (Django id 1)');
    expect(dry.stdout).toMatch(/skipped: oddhash \(Django id \d+\): Django password hash format "whirlpool"/);
    expect(dry.stdout).toMatch(
      /Dry run, nothing written: 16 would be created, 0 would be updated, 0 unchanged, 3 skipped; groups: 2 would be created, 0 would be kept in step, 0 skipped/,
    );
    const real = await cli(['import', 'django', '--from', a.database, '--profile-table', 'base_profile']);
    expect(real.stdout).toMatch(
      /^16 created, 0 updated, 0 unchanged, 3 skipped; groups: 2 created, 0 kept in step, 0 skipped; 3 simplejwt refresh token\(s\) recorded$/m,
    );
    const again = await cli(['import', 'django', '--from', a.database, '--profile-table', 'base_profile']);
    expect(again.stdout).toMatch(
      /^0 created, 0 updated, 16 unchanged, 3 skipped; groups: 0 created, 2 kept in step/m,
    );
    expect(dry.stdout).toContain(
      'group would be created: editors (role editors: auth:change_user auth:view_user)',
    );
    expect(fs.readFileSync(a.database).equals(before)).toBe(true);
    // As long as a refresh token the old site issued before the import can be valid, the old key is needed.
    const doctor = await cli(['doctor'], { GATEHOUSE_DJANGO_SECRET_KEY: a.secretKey });
    const until = /OK {4}Django tokens: old Django tokens may be valid until (\S+) /.exec(doctor.stdout)?.[1];
    const newest = Number(decodePayload(a.tokens['user1']?.refresh ?? '').exp) * 1000;
    expect(new Date(until ?? 0).getTime()).toBeGreaterThanOrEqual(newest);
  }, 60_000);

  test('a source that is not a Django database: a clear error, exit 1, nothing written', async () => {
    const missing = await cli(['import', 'django', '--from', path.join(dir, 'nope.sqlite3')]);
    expect(missing).toMatchObject({ code: 1 });
    expect(missing.stderr).toMatch(/cannot open the Django database/);
    const wrong = await cli(['import', 'django', '--from', a.database, '--user-table', 'core_user_user']);
    expect(wrong.stderr).toMatch(/no table "core_user_user"/);
    const usage = await cli(['import', 'django']);
    expect(usage.code).toBe(2);
  });
});

describe.runIf(django && postgres)('gatehouse import django from PostgreSQL', () => {
  test('Django writes its tables into a PostgreSQL database; the import reads them in a read-only transaction', async () => {
    const database = await (postgres as NonNullable<typeof postgres>).createDatabase('django');
    const fixture = await (django as NonNullable<typeof django>).make('b', database.url);
    const ctx = await createTestContext();
    try {
      const { plan } = await importFromDjango(
        { from: database.url, userTable: 'core_user_user', dryRun: false },
        ctx.store,
        ctx.clock,
      );
      expect(plan.create.map((u) => u.username).sort()).toEqual(['alice', 'boss']);
      expect(plan.tokens.map((t) => t.jti)).toEqual([fixture.tokens['alice']?.jti]);
      const alice = fixture.users.find((u) => u.username === 'alice');
      expect((await ctx.store.findUserByPublicId(alice?.publicId ?? ''))?.username).toBe('alice');
      const response = await ctx.app.inject({
        method: 'POST',
        url: '/api/token/',
        payload: { username: 'alice@example.com', password: 'alice-password' },
      });
      expect(response.statusCode).toBe(200);
    } finally {
      await ctx.close();
    }
  }, 120_000);
});

describe.runIf(django)('gatehouse import django, one transaction', () => {
  test('an account registered while the import runs fails it, and nothing of it is written', async () => {
    const fixture = await (django as NonNullable<typeof django>).make('a');
    const ctx = await createTestContext();
    try {
      // A sign-up between the plan and its transaction takes an identifier the plan gave a Django user.
      const racing = {
        listImportTargets: async () => {
          const targets = await ctx.store.listImportTargets();
          await ctx.createUser({ username: 'user_md5', email: 'late@example.com' });
          return targets;
        },
        listGroupTargets: ctx.store.listGroupTargets,
        applyDjangoImport: ctx.store.applyDjangoImport,
      };
      await expect(
        importFromDjango({ from: fixture.database, dryRun: false }, racing, ctx.clock),
      ).rejects.toThrow();
      expect((await ctx.store.listUsers()).map((u) => u.username)).toEqual(['user_md5']);
      expect((await ctx.store.listAudit(0, 10)).count).toBe(0);
      expect(await ctx.store.djangoTokenHorizon()).toEqual({ lastImport: undefined, newestToken: undefined });
    } finally {
      await ctx.close();
    }
  }, 60_000);
});
