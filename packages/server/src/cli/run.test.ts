import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openKeyRing } from '../auth/key-ring.js';
import { createPasswordHasher } from '../auth/passwords.js';
import type { ConfigError } from '../config.js';
import { ARGON2_FLOOR, parseConfig } from '../config.js';
import type { Store } from '../store/store.js';
import type { User } from '../store/users/store.js';
import { usePostgres } from '../testing/postgres.js';
import { openStoreWithRows, type StoreRows } from '../testing/store-rows.js';
import { HELP, runCli } from './run.js';

const PUBLIC_ID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const TOO_SHORT = 'This password is too short. It must contain at least 8 characters.';

let dir: string;
let dbPath: string;
const openedStores: Store[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-'));
  dbPath = path.join(dir, 'db.sqlite3');
});

afterEach(async () => {
  for (const store of openedStores.splice(0)) await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text += chunk;
  });
  return () => text;
}

/** One in-process CLI invocation over this test's database; `input` lines are piped to stdin. */
async function cli(
  argv: string[],
  options: { env?: Record<string, string>; input?: string[] } = {},
): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const code = await runCli(argv, {
    env: { DATABASE_URL: `sqlite:${dbPath}`, ...options.env },
    stdin: Readable.from((options.input ?? []).map((line) => `${line}\n`)),
    stdout,
    stderr,
  });
  // Let any 'data' events still queued on the PassThrough streams arrive.
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: out(), stderr: err() };
}

function store(): Store {
  return opened().store;
}

function opened(): { store: Store; rows: StoreRows } {
  const database = openStoreWithRows({ kind: 'sqlite', path: dbPath });
  openedStores.push(database.store);
  return database;
}

async function findUser(username: string): Promise<User | undefined> {
  return opened().rows.userByUsernameKey(username);
}

/** Verifies a password the way login does: the stored argon2id hash of the login candidate. */
async function passwordMatches(username: string, password: string): Promise<boolean> {
  const candidate = await store().findLoginCandidate({ usernameKey: username, email: username });
  if (!candidate) throw new Error(`no login candidate ${username}`);
  const verification = await createPasswordHasher(ARGON2_FLOOR).verify(candidate.passwordHash, password);
  return verification.ok;
}

async function usernames(): Promise<string[]> {
  return (await store().listUsers()).map((user) => user.username).sort();
}

describe('help and usage', () => {
  test.each([[['help']], [[]], [['--help']], [['-h']]])('%j prints the usage and exits 0', async (argv) => {
    const run = await cli(argv);
    expect(run).toEqual({ code: 0, stdout: `${HELP}\n`, stderr: '' });
    expect(HELP.startsWith('Usage: gatehouse <command> [options]\n')).toBe(true);
    // Help never touches the database.
    expect(fs.existsSync(dbPath)).toBe(false);
  });

  test('an unknown command exits 2 with the usage on stderr', async () => {
    const run = await cli(['frobnicate']);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `gatehouse: unknown command "frobnicate"\n\n${HELP}\n`,
    });
    // Refused before the database is opened: a typo creates nothing.
    expect(fs.existsSync(dbPath)).toBe(false);
  });

  test('an unknown option exits 2', async () => {
    const run = await cli(['migrate', '--bogus']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^gatehouse: Unknown option '--bogus'/);
    expect(run.stderr.endsWith(`\n\n${HELP}\n`)).toBe(true);
  });

  test('users create without a password is a usage error (exit 2)', async () => {
    const run = await cli(['users', 'create', '--username', 'nopass']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `gatehouse: users create needs --password-stdin or GATEHOUSE_USER_PASSWORD\n\n${HELP}\n`,
    );
    expect(await usernames()).toEqual([]);
  });

  test('bad configuration exits 2 and lists every problem', async () => {
    const run = await cli(['migrate'], {
      env: { GATEHOUSE_ACCESS_TOKEN_LIFETIME: 'abc', GATEHOUSE_ALGORITHM: 'RS512' },
    });
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'gatehouse: Invalid configuration:\n' +
        '  - GATEHOUSE_ALGORITHM: must be one of HS256, HS384, HS512, EdDSA, ES256, RS256 (got "RS512")\n' +
        '  - GATEHOUSE_ACCESS_TOKEN_LIFETIME="abc": expected seconds (300) or a duration (5m, 12h, 1d)\n',
    });
    expect(fs.existsSync(dbPath)).toBe(false);
  });
});

describe('migrate', () => {
  test('applies the migrations once; a second run has nothing to do', async () => {
    expect(await cli(['migrate'])).toEqual({
      code: 0,
      stdout:
        'Applied 0001_initial\nApplied 0002_signing_keys\nApplied 0003_session_methods\nApplied 0004_one_time_tokens\nApplied 0005_email\nApplied 0006_session_browser\nApplied 0007_factors\nApplied 0008_roles\n',
      stderr: '',
    });
    expect(fs.existsSync(dbPath)).toBe(true);
    expect(await cli(['migrate'])).toEqual({ code: 0, stdout: 'No migrations to apply.\n', stderr: '' });
  });
});

describe('demo', () => {
  test('creates user1, user2 and admin, and is idempotent', async () => {
    expect(await cli(['demo'])).toEqual({
      code: 0,
      stdout:
        'user1: created (password password1)\n' +
        'user2: created (password password2)\n' +
        'admin: created (password adminpass123)\n',
      stderr: '',
    });
    expect(await cli(['demo'])).toEqual({
      code: 0,
      stdout:
        'user1: exists (password password1)\n' +
        'user2: exists (password password2)\n' +
        'admin: exists (password adminpass123)\n',
      stderr: '',
    });

    const list = await cli(['users', 'list']);
    expect(list.code).toBe(0);
    expect(list.stderr).toBe('');
    expect(list.stdout.endsWith('\n')).toBe(true);
    expect(list.stdout.trimEnd().split('\n').sort()).toEqual([
      '1\tuser1\tuser1@example.com\t-',
      '2\tuser2\tuser2@example.com\t-',
      '3\tadmin\tadmin@example.com\tsuperuser,staff',
    ]);
  });

  test("user1 carries tutorial A's profile and the password password1", async () => {
    expect((await cli(['demo'])).code).toBe(0);
    const user1 = await findUser('user1');
    expect(user1).toMatchObject({
      username: 'user1',
      email: 'user1@example.com',
      firstName: 'Sam',
      lastName: 'Smith',
      profileEmail: 'sam@smith.com',
      emailVerified: true,
      isActive: true,
      isStaff: false,
      isSuperuser: false,
    });
    expect(await findUser('user2')).toMatchObject({
      firstName: 'Tim',
      lastName: 'Allen',
      emailVerified: true,
    });
    expect(await findUser('admin')).toMatchObject({ isStaff: true, isSuperuser: true });

    const candidate = await store().findLoginCandidate({ usernameKey: 'user1', email: 'user1' });
    expect(candidate?.user.id).toBe(user1?.id);
    const hasher = createPasswordHasher(ARGON2_FLOOR);
    expect(await hasher.verify(candidate?.passwordHash, 'password1')).toEqual({
      ok: true,
      needsRehash: false,
    });
    expect((await hasher.verify(candidate?.passwordHash, 'password2')).ok).toBe(false);
    expect(await passwordMatches('admin', 'adminpass123')).toBe(true);
  });
});

describe('createsuperuser', () => {
  test('--noinput with GATEHOUSE_SUPERUSER_PASSWORD creates a superuser', async () => {
    const run = await cli(
      ['createsuperuser', '--noinput', '--username', 'root', '--email', 'root@example.com'],
      {
        env: { GATEHOUSE_SUPERUSER_PASSWORD: 'granite-lantern-64' },
      },
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(new RegExp(`^Superuser "root" created \\(public id ${PUBLIC_ID}\\)\\.\\n$`));
    const root = await findUser('root');
    expect(root).toMatchObject({
      email: 'root@example.com',
      // The operator vouches for the address: mandatory verification would otherwise keep root out.
      emailVerified: true,
      isStaff: true,
      isSuperuser: true,
      isActive: true,
    });
    expect(run.stdout).toContain(`(public id ${root?.publicId})`);
    expect(await passwordMatches('root', 'granite-lantern-64')).toBe(true);
  });

  test('with everything given, it never waits for (still open) standard input', async () => {
    const stdin = new PassThrough(); // never ended, as under a supervisor whose stdin stays open
    const stdout = new PassThrough();
    const code = await runCli(['createsuperuser', '--username', 'root', '--email', 'root@example.com'], {
      env: { DATABASE_URL: `sqlite:${dbPath}`, GATEHOUSE_SUPERUSER_PASSWORD: 'granite-lantern-64' },
      stdin,
      stdout,
      stderr: new PassThrough(),
    });
    expect(code).toBe(0);
    expect((await findUser('root'))?.isSuperuser).toBe(true);
  });

  test('--noinput without a password exits 1 and names what is missing', async () => {
    const run = await cli([
      'createsuperuser',
      '--noinput',
      '--username',
      'root',
      '--email',
      'root@example.com',
    ]);
    expect(run).toEqual({ code: 1, stdout: '', stderr: '--noinput needs GATEHOUSE_SUPERUSER_PASSWORD\n' });
    const bare = await cli(['createsuperuser', '--no-input']);
    expect(bare).toEqual({
      code: 1,
      stdout: '',
      stderr: '--noinput needs --username, --email, GATEHOUSE_SUPERUSER_PASSWORD\n',
    });
    expect(await usernames()).toEqual([]);
  });

  test('--noinput applies the password policy', async () => {
    const run = await cli(
      ['createsuperuser', '--noinput', '--username', 'root', '--email', 'root@example.com'],
      {
        env: { GATEHOUSE_SUPERUSER_PASSWORD: 'sh0rt!x' },
      },
    );
    expect(run).toEqual({ code: 1, stdout: '', stderr: `password: ${TOO_SHORT}\n` });
    expect(await usernames()).toEqual([]);
  });

  test('interactively reads username, email and the password twice from piped stdin', async () => {
    const run = await cli(['createsuperuser'], {
      input: ['boss', 'boss@example.com', 'velvet-summit-91', 'velvet-summit-91'],
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(
      new RegExp(
        '^Username: \\nEmail address: \\nPassword: \\nPassword \\(again\\): \\n' +
          `Superuser "boss" created \\(public id ${PUBLIC_ID}\\)\\.\\n$`,
      ),
    );
    expect(await findUser('boss')).toMatchObject({
      email: 'boss@example.com',
      isStaff: true,
      isSuperuser: true,
    });
    expect(await passwordMatches('boss', 'velvet-summit-91')).toBe(true);
  });

  test('mismatched passwords exit 1 and create nothing', async () => {
    const run = await cli(['createsuperuser'], {
      input: ['boss', 'boss@example.com', 'velvet-summit-91', 'velvet-summit-92'],
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('Error: Your passwords didn’t match.\n');
    expect(run.stdout).toBe('Username: \nEmail address: \nPassword: \nPassword (again): \n');
    expect(await usernames()).toEqual([]);
  });

  test('a short password asks to bypass the policy; y creates the superuser', async () => {
    const run = await cli(['createsuperuser'], { input: ['boss', 'boss@example.com', 'abc', 'abc', 'y'] });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`${TOO_SHORT}\n`);
    expect(run.stdout).toMatch(
      new RegExp(
        '^Username: \\nEmail address: \\nPassword: \\nPassword \\(again\\): \\n' +
          'Bypass password validation and create user anyway\\? \\[y/N\\]: \\n' +
          `Superuser "boss" created \\(public id ${PUBLIC_ID}\\)\\.\\n$`,
      ),
    );
    expect(await findUser('boss')).toMatchObject({ isSuperuser: true, isStaff: true });
    expect(await passwordMatches('boss', 'abc')).toBe(true);
  });

  test('a short password and n (or no answer) creates nothing', async () => {
    const no = await cli(['createsuperuser'], { input: ['boss', 'boss@example.com', 'abc', 'abc', 'n'] });
    expect(no.code).toBe(1);
    expect(no.stderr).toBe(`${TOO_SHORT}\nSuperuser not created.\n`);
    expect(no.stdout.endsWith('Bypass password validation and create user anyway? [y/N]: \n')).toBe(true);

    const silent = await cli(['createsuperuser'], { input: ['boss', 'boss@example.com', 'abc', 'abc'] });
    expect(silent.code).toBe(1);
    expect(silent.stderr).toBe(`${TOO_SHORT}\nSuperuser not created.\n`);
    expect(await usernames()).toEqual([]);
  });
});

describe('users create', () => {
  test('--password is refused: a password on the command line shows in ps and shell history', async () => {
    for (const argv of [
      ['users', 'create', '--username', 'carol', '--password', 'amber-falcon-17'],
      ['users', 'create', '--username', 'carol', '--password=amber-falcon-17'],
      ['createsuperuser', '--username', 'boss', '--email', 'b@example.com', '--password', 'velvet-summit-91'],
    ]) {
      const run = await cli(argv);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /^gatehouse: --password is not accepted \(the command line shows in ps and shell history\): use --password-stdin or GATEHOUSE_USER_PASSWORD \(createsuperuser: GATEHOUSE_SUPERUSER_PASSWORD or the prompt\)\n/,
      );
      expect(run.stderr).not.toMatch(/amber-falcon-17|velvet-summit-91/);
    }
    expect((await cli(['users', 'list'])).stdout).toBe('');
  });

  test('GATEHOUSE_USER_PASSWORD creates a plain user with the given names', async () => {
    const run = await cli(
      [
        'users',
        'create',
        '--username',
        'carol',
        '--email',
        'carol@example.com',
        '--first-name',
        'Carol',
        '--last-name',
        'Danvers',
      ],
      { env: { GATEHOUSE_USER_PASSWORD: 'amber-falcon-17' } },
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(new RegExp(`^User "carol" created \\(public id ${PUBLIC_ID}\\)\\.\\n$`));
    expect(await findUser('carol')).toMatchObject({
      email: 'carol@example.com',
      firstName: 'Carol',
      lastName: 'Danvers',
      profileEmail: '',
      isActive: true,
      isStaff: false,
      isSuperuser: false,
    });
    expect(await passwordMatches('carol', 'amber-falcon-17')).toBe(true);
    expect(await passwordMatches('carol', 'amber-falcon-18')).toBe(false);
  });

  test('--password-stdin reads the first line of stdin; --staff and --superuser set the flags', async () => {
    const staff = await cli(['users', 'create', '--username', 'dave', '--password-stdin', '--staff'], {
      input: ['quiet-harbor-58', 'not the password'],
    });
    expect(staff.code).toBe(0);
    expect(staff.stdout).toMatch(new RegExp(`^User "dave" created \\(public id ${PUBLIC_ID}\\)\\.\\n$`));
    expect(await findUser('dave')).toMatchObject({ email: null, isStaff: true, isSuperuser: false });
    expect(await passwordMatches('dave', 'quiet-harbor-58')).toBe(true);

    const superuser = await cli(
      ['users', 'create', '--username', 'erin', '--password-stdin', '--superuser'],
      {
        input: ['silver-orchid-33'],
      },
    );
    expect(superuser.code).toBe(0);
    expect(superuser.stdout).toMatch(
      new RegExp(`^Superuser "erin" created \\(public id ${PUBLIC_ID}\\)\\.\\n$`),
    );
    expect(await findUser('erin')).toMatchObject({ isStaff: true, isSuperuser: true });

    const list = await cli(['users', 'list']);
    expect(list.stdout.trimEnd().split('\n').sort()).toEqual([
      '1\tdave\t-\tstaff',
      '2\terin\t-\tsuperuser,staff',
    ]);
  });

  test('a duplicate username (in any case) exits 1', async () => {
    expect(
      (
        await cli(['users', 'create', '--username', 'carol'], {
          env: { GATEHOUSE_USER_PASSWORD: 'amber-falcon-17' },
        })
      ).code,
    ).toBe(0);
    for (const username of ['carol', 'CAROL']) {
      const run = await cli(['users', 'create', '--username', username], {
        env: { GATEHOUSE_USER_PASSWORD: 'copper-meadow-24' },
      });
      expect(run).toEqual({
        code: 1,
        stdout: '',
        stderr: 'username: user with this username already exists.\n',
      });
    }
    expect(await usernames()).toEqual(['carol']);
    expect(await passwordMatches('carol', 'amber-falcon-17')).toBe(true);
  });

  test('a password shorter than 8 characters exits 1: the policy applies, no bypass is offered', async () => {
    const run = await cli(['users', 'create', '--username', 'carol'], {
      env: { GATEHOUSE_USER_PASSWORD: 's3v#n77' },
      input: ['y'],
    });
    expect(run).toEqual({ code: 1, stdout: '', stderr: `password: ${TOO_SHORT}\n` });
    expect(await usernames()).toEqual([]);

    const eight = await cli(['users', 'create', '--username', 'carol'], {
      env: { GATEHOUSE_USER_PASSWORD: 'e1ght#88' },
    });
    expect(eight.code).toBe(0);
  });
});

describe('flushexpiredtokens', () => {
  test('removes exactly the expired refresh token records and reports how many', async () => {
    expect(
      (
        await cli(['users', 'create', '--username', 'carol'], {
          env: { GATEHOUSE_USER_PASSWORD: 'amber-falcon-17' },
        })
      ).code,
    ).toBe(0);
    const { store: db, rows } = opened();
    const carol = await rows.userByUsernameKey('carol');
    if (!carol) throw new Error('carol was not created');
    const now = Date.now();
    // Each token starts a session of its own.
    const issue = (jti: string, expiresInSeconds: number) =>
      db.startSession(
        {
          id: `session-${jti}`,
          userId: carol.id,
          userAgent: '',
          ip: '',
          methods: ['pwd'],
          authTime: new Date(now - 2 * 86_400_000),
        },
        {
          jti,
          userId: carol.id,
          issuedAt: new Date(now - 2 * 86_400_000),
          expiresAt: new Date(now + expiresInSeconds * 1000),
        },
      );
    await issue('expired-1', -3600);
    await issue('expired-2', -1);
    await issue('live', 3600);

    expect(await cli(['flushexpiredtokens'])).toEqual({
      code: 0,
      stdout: 'Removed 2 expired refresh tokens.\n',
      stderr: '',
    });
    expect(await db.isRefreshTokenRevoked('expired-1')).toBeUndefined();
    expect(await db.isRefreshTokenRevoked('expired-2')).toBeUndefined();
    expect(await db.isRefreshTokenRevoked('live')).toBe(false);

    await issue('expired-3', -60);
    expect((await cli(['flushexpiredtokens'])).stdout).toBe('Removed 1 expired refresh token.\n');
    expect((await cli(['flushexpiredtokens'])).stdout).toBe('Removed 0 expired refresh tokens.\n');
    expect(await db.isRefreshTokenRevoked('live')).toBe(false);
  });

  test('removes expired one-time tokens too, and says so when there were some', async () => {
    expect(
      (
        await cli(['users', 'create', '--username', 'dave'], {
          env: { GATEHOUSE_USER_PASSWORD: 'quiet-harbor-58' },
        })
      ).code,
    ).toBe(0);
    const { store: db, rows } = opened();
    const dave = await rows.userByUsernameKey('dave');
    if (!dave) throw new Error('dave was not created');
    const now = Date.now();
    const token = (hash: string, expiresInSeconds: number) =>
      db.insertOneTimeToken({
        purpose: 'password_reset',
        userId: dave.id,
        tokenHash: hash,
        data: null,
        createdAt: new Date(now - 86_400_000),
        expiresAt: new Date(now + expiresInSeconds * 1000),
        maxAttempts: 5,
      });
    await token('expired-a', -3600);
    await token('expired-b', -1);
    await token('live', 3600);
    expect(await cli(['flushexpiredtokens'])).toEqual({
      code: 0,
      stdout: 'Removed 0 expired refresh tokens.\nRemoved 2 expired one-time tokens.\n',
      stderr: '',
    });
    expect(await db.consumeOneTimeToken('password_reset', 'expired-a', new Date(now))).toEqual({
      ok: false,
      reason: 'unknown',
    });
    expect((await db.consumeOneTimeToken('password_reset', 'live', new Date(now))).ok).toBe(true);
  });
});

describe('keys', () => {
  const KEK = Buffer.alloc(32, 3).toString('base64');
  const EDDSA = { GATEHOUSE_ALGORITHM: 'EdDSA', GATEHOUSE_KEY_ENCRYPTION_KEY: KEK };
  const ISO = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';
  /** `keys list` as [kid, algorithm, status] rows. */
  const listed = async (env: Record<string, string> = {}) => {
    const run = await cli(['keys', 'list'], { env });
    expect(run.code).toBe(0);
    return run.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t'))
      .map(([kid, algorithm, status, created, retired]) => {
        expect(created).toMatch(new RegExp(`^${ISO}$`));
        expect(retired).toMatch(new RegExp(`^(-|${ISO})$`));
        return [kid, algorithm, status];
      });
  };
  /** What a server's first start does: the first key. */
  const firstStart = async (env: Record<string, string> = {}) => {
    await cli(['migrate'], { env });
    const config = parseConfig({ DATABASE_URL: `sqlite:${dbPath}`, ...env });
    const ring = await openKeyRing({ jwt: config.jwt, store: store() });
    return ring.signer(Math.floor(Date.now() / 1000)).kid as string;
  };

  test('list: none before the first start, then the one that signs', async () => {
    expect(await cli(['keys', 'list'])).toEqual({
      code: 0,
      stdout: 'No signing keys yet: the server creates one on first start.\n',
      stderr: '',
    });
    const first = await firstStart();
    expect(await listed()).toEqual([[first, 'HMAC', 'signing']]);
  });

  test('rotate adds a key that signs after the activation delay; retire refuses the newest', async () => {
    const first = await firstStart(EDDSA);
    const rotated = await cli(['keys', 'rotate'], { env: EDDSA });
    expect(rotated.code).toBe(0);
    expect(rotated.stderr).toBe('');
    const match = new RegExp(
      `^Added EdDSA key ([\\w-]{43}): published now, it signs new tokens from (${ISO}) \\(once every server ` +
        'has loaded it\\)\\. Tokens signed with older keys stay valid until you retire those keys ' +
        '\\(gatehouse keys retire <kid>\\)\\.\\n$',
    ).exec(rotated.stdout);
    expect(match).not.toBeNull();
    const [, second, from] = match as unknown as [string, string, string];
    expect(Date.parse(from) - Date.now()).toBeGreaterThan(110_000);
    expect(await listed(EDDSA)).toEqual([
      [second, 'EdDSA', 'active'],
      [first, 'EdDSA', 'signing'],
    ]);

    expect(await cli(['keys', 'retire', second], { env: EDDSA })).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `${second} is the newest active EdDSA key, the one that signs (or is about to): ` +
        'add a new one with gatehouse keys rotate first.\n',
    });
    expect(await cli(['keys', 'retire', first], { env: EDDSA })).toEqual({
      code: 0,
      stdout:
        `Retired ${first}: tokens signed with it are refused, by every server within a minute and by ` +
        'services using @gatehouse/verify once their cached JWKS expires (5 minutes).\n',
      stderr: '',
    });
    // The only key left signs at once, published or not.
    expect(await listed(EDDSA)).toEqual([
      [second, 'EdDSA', 'signing'],
      [first, 'EdDSA', 'retired'],
    ]);
    expect(await cli(['keys', 'retire', first], { env: EDDSA })).toEqual({
      code: 1,
      stdout: '',
      stderr: `${first} is already retired.\n`,
    });
    expect(await cli(['keys', 'retire', 'nope'], { env: EDDSA })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'No signing key nope (gatehouse keys list shows them).\n',
    });
    // A kid may start with '-' (base64url): it is still the kid, not an option.
    expect(await cli(['keys', 'retire', '-nope'], { env: EDDSA })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'No signing key -nope (gatehouse keys list shows them).\n',
    });
  });

  test('retire needs exactly one kid', async () => {
    for (const argv of [
      ['keys', 'retire'],
      ['keys', 'retire', 'a', 'b'],
    ]) {
      expect(await cli(argv)).toEqual({
        code: 2,
        stdout: '',
        stderr: `gatehouse: keys retire needs one kid (gatehouse keys list)\n\n${HELP}\n`,
      });
    }
    expect((await cli(['keys'])).code).toBe(2);
    expect((await cli(['keys', 'delete', 'x'])).stderr).toMatch(
      /^gatehouse: unknown command "keys delete x"/,
    );
  });

  test('HMAC keys without a key-encryption key: rotated with a warning', async () => {
    await firstStart();
    const run = await cli(['keys', 'rotate']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Added HMAC key [\w-]{16}: published now/);
    expect(run.stderr).toBe(
      'Warning: the secret is stored unencrypted, next to the data; set GATEHOUSE_KEY_ENCRYPTION_KEY ' +
        '(openssl rand -base64 32) and run gatehouse keys seal before the servers start with it.\n',
    );
    expect((await listed()).map(([, algorithm, status]) => `${algorithm} ${status}`)).toEqual([
      'HMAC active',
      'HMAC signing',
    ]);
  });

  test('seal: encrypts the keys kept in the clear with the key-encryption key, which a start requires', async () => {
    const hmacKek = { GATEHOUSE_KEY_ENCRYPTION_KEY: KEK };
    expect(await cli(['keys', 'seal'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'GATEHOUSE_KEY_ENCRYPTION_KEY is not set: there is nothing to encrypt the keys with.\n',
    });
    const first = await firstStart();
    const kept = async () => (await store().listSigningKeys()).map((key) => key.privateKey.split(':')[0]);
    expect(await kept()).toEqual(['plaintext']);
    // The key-encryption key set, the next start is refused until the operator says the key is theirs.
    const config = parseConfig({ DATABASE_URL: `sqlite:${dbPath}`, ...hmacKek });
    const refused = await openKeyRing({ jwt: config.jwt, store: store() }).catch((caught: unknown) => caught);
    expect((refused as ConfigError).problems).toEqual([
      expect.stringContaining(`signing key ${first}: stored unencrypted`),
    ]);
    expect(await cli(['keys', 'seal'], { env: hmacKek })).toEqual({
      code: 0,
      stdout: `Encrypted ${first} with GATEHOUSE_KEY_ENCRYPTION_KEY.\n`,
      stderr: '',
    });
    expect(await kept()).toEqual(['aes-256-gcm']);
    await expect(openKeyRing({ jwt: config.jwt, store: store() })).resolves.toBeDefined();
    expect(await cli(['keys', 'seal'], { env: hmacKek })).toEqual({
      code: 0,
      stdout: 'Every signing key is already encrypted.\n',
      stderr: '',
    });
  });

  test('with GATEHOUSE_SIGNING_KEY, rotation is changing that variable', async () => {
    const env = { GATEHOUSE_SIGNING_KEY: 'cli-test-signing-key-0123456789abcdef' };
    expect(await cli(['keys', 'rotate'], { env })).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'GATEHOUSE_SIGNING_KEY is set: tokens are signed with it, not with the keys in the database. ' +
        'Rotating it means changing that variable (tokens signed with the old value stop working at once); ' +
        'unset it to keep keys in the database and rotate them with this command.\n',
    });
    expect((await cli(['keys', 'list'], { env })).stdout).toBe(
      'GATEHOUSE_SIGNING_KEY is set: tokens are signed with it, not with the keys in the database.\n' +
        'No signing keys yet: the server creates one on first start.\n',
    );
  });

  test('rotate with another key-encryption key than the stored keys were sealed with: refused, exit 2', async () => {
    const first = await firstStart(EDDSA);
    const other = { ...EDDSA, GATEHOUSE_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 4).toString('hex') };
    const run = await cli(['keys', 'rotate'], { env: other });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      new RegExp(
        `^gatehouse: Invalid configuration:\\n  - GATEHOUSE_KEY_ENCRYPTION_KEY: is not the key signing key ` +
          `${first} was encrypted with \\(key-encryption key id [\\w-]{11}; this one is [\\w-]{11}\\): set the ` +
          'key it was encrypted with\\n$',
      ),
    );
    expect(await listed(EDDSA)).toEqual([[first, 'EdDSA', 'signing']]);
  });
});

describe('a database out of reach', () => {
  /** A clear line on stderr and exit 1: no stack trace, no "at …" frame, nothing on stdout. */
  const expectClearFailure = (run: CliRun, message: RegExp) => {
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  };

  test('PostgreSQL on a closed port: every command says it cannot be reached, exit 1', async () => {
    const env = { DATABASE_URL: 'postgres://gatehouse:s3cret@127.0.0.1:1/gatehouse' };
    for (const argv of [['migrate'], ['users', 'list'], ['keys', 'rotate'], ['mail', 'status']]) {
      const run = await cli(argv, { env });
      expectClearFailure(
        run,
        /^gatehouse: the database postgres:\/\/gatehouse:\*+@127\.0\.0\.1:1\/gatehouse cannot be reached: connect ECONNREFUSED 127\.0\.0\.1:1\n$/,
      );
      expect(run.stderr).not.toContain('s3cret');
    }
  });

  test('a SQLite path that cannot be created (under a regular file): exit 1, saying why', async () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    const env = { DATABASE_URL: `sqlite:${path.join(file, 'db.sqlite3')}` };
    for (const argv of [['migrate'], ['users', 'list'], ['flushexpiredtokens']]) {
      expectClearFailure(
        await cli(argv, { env }),
        new RegExp(`^gatehouse: the database ${path.join(file, 'db.sqlite3')} cannot be opened: E[A-Z]+: `),
      );
    }
    expect(fs.statSync(file).isFile()).toBe(true);
  });

  test('doctor on a PostgreSQL it cannot reach: a failure it names, no stack trace', async () => {
    const run = await cli(['doctor'], {
      env: { DATABASE_URL: 'postgres://gatehouse@127.0.0.1:1/gatehouse' },
    });
    expect(run.code).not.toBe(0);
    expect(`${run.stdout}${run.stderr}`).toMatch(/ECONNREFUSED|cannot be reached|not reachable/);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/^\s+at /m);
  });
});

const postgres = await usePostgres('the CLI tests on PostgreSQL');

describe.skipIf(postgres === undefined)('every command on PostgreSQL', () => {
  test('migrate, users create and list, flushexpiredtokens, keys list, rotate and retire, mail status, doctor', async () => {
    if (!postgres) throw new Error('unreachable: skipped without PostgreSQL');
    const { url } = await postgres.createDatabase('gatehouse_cli');
    const env = {
      DATABASE_URL: url,
      GATEHOUSE_ALGORITHM: 'EdDSA',
      GATEHOUSE_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 5).toString('base64'),
    };

    const migrated = await cli(['migrate'], { env });
    expect(migrated).toMatchObject({ code: 0, stderr: '' });
    expect(migrated.stdout).toMatch(/^Applied 0001_initial\n[\s\S]*Applied 0008_roles\n$/);
    expect(await cli(['migrate'], { env })).toEqual({
      code: 0,
      stdout: 'No migrations to apply.\n',
      stderr: '',
    });

    const created = await cli(
      ['users', 'create', '--username', 'pg-user', '--email', 'pg@example.com', '--staff'],
      {
        env: { ...env, GATEHOUSE_USER_PASSWORD: 'correct horse battery staple' },
      },
    );
    expect(created.code, created.stderr).toBe(0);
    const listedUsers = await cli(['users', 'list'], { env });
    expect(listedUsers.code).toBe(0);
    expect(listedUsers.stdout).toMatch(/^\d+\tpg-user\tpg@example\.com\tstaff\n$/);
    expect(
      (
        await cli(['users', 'create', '--username', 'PG-USER'], {
          env: { ...env, GATEHOUSE_USER_PASSWORD: 'correct horse battery staple' },
        })
      ).code,
    ).toBe(1);

    expect(await cli(['flushexpiredtokens'], { env })).toMatchObject({ code: 0, stderr: '' });

    expect(await cli(['keys', 'list'], { env })).toEqual({
      code: 0,
      stdout: 'No signing keys yet: the server creates one on first start.\n',
      stderr: '',
    });
    const rotate = async () => {
      const run = await cli(['keys', 'rotate'], { env });
      expect(run.code, run.stderr).toBe(0);
      return /^Added EdDSA key ([\w-]{43})/.exec(run.stdout)?.[1];
    };
    const first = await rotate();
    const second = await rotate();
    const keys = await cli(['keys', 'list'], { env });
    expect(keys.code).toBe(0);
    const rows = keys.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t').slice(0, 3));
    expect(rows).toEqual([
      [second, 'EdDSA', 'active'],
      [first, 'EdDSA', 'signing'],
    ]);
    expect(await cli(['keys', 'retire', first as string], { env })).toMatchObject({ code: 0, stderr: '' });
    expect((await cli(['keys', 'list'], { env })).stdout).toMatch(
      new RegExp(`^${first}\tEdDSA\tretired\t`, 'm'),
    );

    const status = await cli(['mail', 'status'], { env });
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(status.stdout).not.toBe('');

    const doctor = await cli(['doctor'], { env });
    expect(doctor.stderr).toBe('');
    expect(doctor.stdout).toMatch(/doctor: \d+ failures?, \d+ warnings?/);
    expect(doctor.stdout).not.toMatch(/ECONNREFUSED|cannot be reached/);
  });
});

describe('roles and groups', () => {
  const audit = async () =>
    (await store().listAudit(0, 50)).items
      .map((entry) => [entry.actor, entry.action, entry.target])
      .reverse();

  test('create, list, grant, revoke and delete roles; every change audited as the cli', async () => {
    await cli(['users', 'create', '--username', 'alice', '--email', 'alice@example.com'], {
      env: { GATEHOUSE_USER_PASSWORD: 'a-long-password' },
    });
    expect(
      await cli([
        'roles',
        'create',
        'Help desk',
        '--description',
        'Support',
        '--permission',
        'users:read',
        '--permission',
        'users:deactivate',
      ]),
    ).toEqual({
      code: 0,
      stdout: 'Role "Help desk" created with users:deactivate, users:read.\n',
      stderr: '',
    });
    expect(await cli(['roles', 'create', 'editor'])).toMatchObject({ code: 0 });
    expect((await cli(['roles', 'create', 'editor'])).stderr).toBe('A role with this name already exists.\n');
    expect(await cli(['roles', 'grant', 'ALICE@example.com', 'Help desk'])).toEqual({
      code: 0,
      stdout: 'Role "Help desk" granted to alice.\n',
      stderr: '',
    });
    expect((await cli(['roles', 'list'])).stdout).toBe(
      'Help desk\tusers:deactivate,users:read\t1\tSupport\neditor\t-\t0\t-\n',
    );
    const alice = await findUser('alice');
    expect(await store().tokenAuthz(alice?.id ?? 0, true)).toEqual({
      roles: ['Help desk'],
      permissions: ['users:deactivate', 'users:read'],
    });
    expect((await cli(['roles', 'revoke', 'alice', 'Help desk'])).stdout).toBe(
      'Role "Help desk" revoked from alice.\n',
    );
    expect(await cli(['roles', 'delete', 'editor'])).toMatchObject({
      code: 0,
      stdout: 'Role "editor" deleted.\n',
    });
    expect(await cli(['roles', 'delete', 'editor'])).toMatchObject({
      code: 1,
      stderr: 'No such role: editor.\n',
    });
    expect(await audit()).toEqual([
      ['cli', 'role.create', 'Help desk'],
      ['cli', 'role.create', 'editor'],
      ['cli', 'user.roles', 'alice'],
      ['cli', 'user.roles', 'alice'],
      ['cli', 'role.delete', 'editor'],
    ]);
  });

  test('groups: create with roles, add and remove members, list, delete', async () => {
    await cli(['users', 'create', '--username', 'bob'], {
      env: { GATEHOUSE_USER_PASSWORD: 'a-long-password' },
    });
    await cli(['roles', 'create', 'editor', '--permission', 'posts:publish']);
    expect((await cli(['groups', 'create', 'Content editors', '--role', 'editor'])).stdout).toBe(
      'Group "Content editors" created with editor.\n',
    );
    expect(await cli(['groups', 'add', 'bob', 'Content editors'])).toMatchObject({
      code: 0,
      stdout: 'bob added to group "Content editors".\n',
    });
    expect((await cli(['groups', 'list'])).stdout).toBe('Content editors\teditor\t1\t-\n');
    const bob = await findUser('bob');
    expect((await store().tokenAuthz(bob?.id ?? 0, true)).permissions).toEqual(['posts:publish']);
    expect((await cli(['groups', 'remove', 'bob', 'Content editors'])).stdout).toBe(
      'bob removed from group "Content editors".\n',
    );
    expect((await store().tokenAuthz(bob?.id ?? 0, true)).roles).toEqual([]);
    expect((await cli(['groups', 'delete', 'Content editors'])).code).toBe(0);
    expect((await cli(['groups', 'list'])).stdout).toBe('');
    expect((await audit()).map(([, action]) => action)).toEqual([
      'role.create',
      'group.create',
      'user.groups',
      'user.groups',
      'group.delete',
    ]);
  });

  test('unknown users, roles and groups exit 1; bad names and missing arguments are usage errors', async () => {
    await cli(['roles', 'create', 'editor']);
    expect(await cli(['roles', 'grant', 'nobody', 'editor'])).toMatchObject({
      code: 1,
      stderr: 'No such user: nobody.\n',
    });
    expect(await cli(['groups', 'create', 'g', '--role', 'ghost'])).toMatchObject({
      code: 1,
      stderr: 'No such role: ghost.\n',
    });
    expect((await cli(['groups', 'delete', 'ghost'])).stderr).toBe('No such group: ghost.\n');
    const badPermission = await cli(['roles', 'create', 'x', '--permission', 'Users:Read']);
    expect(badPermission.code).toBe(2);
    expect(badPermission.stderr).toMatch(
      /^gatehouse: not a permission \(resource:action, lower case\): Users:Read\n/,
    );
    expect((await cli(['roles', 'create', 'a/b'])).code).toBe(2);
    const missing = await cli(['roles', 'grant', 'alice']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^gatehouse: roles grant needs <user> <role>\n/);
    expect((await cli(['roles', 'list'])).stdout).toBe('editor\t-\t0\t-\n');
  });
});
