import { parseArgs } from 'node:util';
import { createPasswordHasher } from '../auth/passwords.js';
import { ConfigError, parseConfig, type DatabaseConfig } from '../config.js';
import { isTransientDatabaseError } from '../store/database-errors.js';
import { describeDatabase, openStore } from '../store/open-store.js';
import { createUsersService } from '../users/users-service.js';
import {
  createUser,
  demo,
  flushExpiredTokens,
  listKeys,
  listUsers,
  migrate,
  retireKey,
  rotateKeys,
  sealKeys,
  type CommandContext,
} from './commands.js';
import { createSuperuser } from './createsuperuser.js';
import { doctor } from './doctor.js';
import { rolesCommands } from './roles.js';
import { mailStatus, mailTest } from './mail.js';
import { CommandError, UsageError, writeLine, type CliIo } from './io.js';

export const HELP = `Usage: gatehouse <command> [options]

Commands:
  migrate                     Create or upgrade the database schema.
  createsuperuser             Create a superuser; asks for what is not given.
      --username U --email E  (password: GATEHOUSE_SUPERUSER_PASSWORD or the prompt)
      --noinput               Never prompt; fail if anything is missing.
  users create                Create a user (the password policy applies).
      --username U [--email E] --password-stdin (or GATEHOUSE_USER_PASSWORD)
      [--first-name F] [--last-name L] [--staff] [--superuser]
  users list                  One line per user: id, username, email, flags.
  flushexpiredtokens          Delete refresh token records past their expiry (and finished mail over 30 days old).
  keys list                   One line per signing key: kid, algorithm, status, created, retired.
  keys rotate                 Add a signing key; it signs after 2 minutes, older keys verify until retired.
  keys retire <kid>           Retire a key: tokens signed with it are refused (never the one signing).
  keys seal                   Encrypt the keys kept in the clear with GATEHOUSE_KEY_ENCRYPTION_KEY.
  roles create <name>         Create a role: [--description D] [--permission resource:action ...]
  roles list                  One line per role: name, permissions, users holding it directly, description.
  roles delete <name>         Delete a role (its assignments go with it).
  roles grant <user> <role>   Give a user (username or email) a role; roles revoke <user> <role> takes it.
  groups create <name>        Create a group: [--description D] [--role R ...]
  groups list                 One line per group: name, roles, members, description.
  groups delete <name>        Delete a group (its memberships go with it).
  groups add <user> <group>   Add a user to a group; groups remove <user> <group> takes them out.
  mail test <address>         Send a test message now; says where it went or why not (exit 1).
  mail status                 The mail queue: messages per status, the oldest waiting, the last errors.
  demo                        Create the demo users (user1/password1, user2/password2, admin/adminpass123).
  doctor                      Check the configuration for unsafe settings; exits 1 on a failure.
  help                        Show this text.

The database is DATABASE_URL (sqlite:<path> or postgres://…), by default ./data/gatehouse.sqlite3.`;

const COMMANDS = [
  'migrate',
  'createsuperuser',
  'users create',
  'users list',
  'flushexpiredtokens',
  'keys list',
  'keys rotate',
  'keys retire',
  'keys seal',
  'mail test',
  'mail status',
  'roles create',
  'roles list',
  'roles delete',
  'roles grant',
  'roles revoke',
  'groups create',
  'groups list',
  'groups delete',
  'groups add',
  'groups remove',
  'demo',
  'doctor',
];

const OPTIONS = {
  username: { type: 'string' },
  email: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  'first-name': { type: 'string' },
  'last-name': { type: 'string' },
  staff: { type: 'boolean' },
  superuser: { type: 'boolean' },
  noinput: { type: 'boolean' },
  'no-input': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  description: { type: 'string' },
  permission: { type: 'string', multiple: true },
  role: { type: 'string', multiple: true },
} as const;

/** How many words follow each roles/groups command: its arguments. */
const ARGUMENTS: Readonly<Record<string, readonly string[]>> = {
  'roles create': ['name'],
  'roles list': [],
  'roles delete': ['name'],
  'roles grant': ['user', 'role'],
  'roles revoke': ['user', 'role'],
  'groups create': ['name'],
  'groups list': [],
  'groups delete': ['name'],
  'groups add': ['user', 'group'],
  'groups remove': ['user', 'group'],
};

/**
 * A kid is base64url and may start with `-` (`keys retire -Qx3…`): the word after `keys retire` is
 * always the kid, never an option.
 */
function kidAsPositional(argv: readonly string[]): string[] {
  const at = argv.findIndex((arg, i) => arg === 'retire' && argv[i - 1] === 'keys');
  const kid = argv[at + 1];
  if (at === -1 || kid === undefined || !kid.startsWith('-') || kid.startsWith('--')) return [...argv];
  return [...argv.slice(0, at + 1), ...argv.slice(at + 2), '--', kid];
}

/** Runs one CLI invocation; returns the exit code (0 ok, 1 failed, 2 usage or configuration). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let database: DatabaseConfig | undefined;
  try {
    // Refused by name (not as an unknown option), and never echoed: the value may be a real password.
    if (argv.some((arg) => arg === '--password' || arg.startsWith('--password='))) {
      throw new UsageError(
        '--password is not accepted (the command line shows in ps and shell history): use --password-stdin ' +
          'or GATEHOUSE_USER_PASSWORD (createsuperuser: GATEHOUSE_SUPERUSER_PASSWORD or the prompt)',
      );
    }
    const { values, positionals } = parseArgs({
      args: kidAsPositional(argv),
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    // `keys retire <kid>` and `mail test <address>` are the commands with an argument.
    const head = positionals.slice(0, 2).join(' ');
    const retiring = head === 'keys retire';
    const mailing = head === 'mail test';
    const expected = ARGUMENTS[head];
    const command = retiring || mailing || expected ? head : positionals.join(' ');
    const args = expected ? positionals.slice(2) : [];
    if (expected && args.length !== expected.length) {
      throw new UsageError(
        `${head} needs ${expected.length === 0 ? 'no arguments' : expected.map((name) => `<${name}>`).join(' ')}`,
      );
    }
    const kid = retiring ? positionals.slice(2) : [];
    const address = mailing ? positionals.slice(2) : [];
    if (values.help || command === '' || command === 'help') {
      writeLine(io.stdout, HELP);
      return 0;
    }
    if (!COMMANDS.includes(command)) throw new UsageError(`unknown command "${command}"`);
    if (retiring && kid.length !== 1) throw new UsageError('keys retire needs one kid (gatehouse keys list)');
    if (mailing && address.length !== 1)
      throw new UsageError('mail test needs one address (gatehouse mail test you@example.com)');
    const config = parseConfig(io.env);
    // Doctor only looks: it opens the database itself, read-only, and neither creates nor migrates it.
    if (command === 'doctor') return await doctor(io, config);
    database = config.database;
    const store = openStore(config.database);
    try {
      // Every command works on a fresh database: the schema is brought up to date first.
      if (command !== 'migrate') await store.migrate();
      const clock = () => new Date();
      const hasher = createPasswordHasher(config.passwordHash);
      const { passwordMinLength } = config;
      const users = createUsersService({ store, hasher, clock, updateLastLogin: false, passwordMinLength });
      const ctx: CommandContext = { io, store, users, clock, passwordMinLength, jwt: config.jwt };
      const roles = rolesCommands({ io, store, clock });
      const [first = '', second = ''] = args;
      const commands: Record<string, () => Promise<void>> = {
        migrate: () => migrate(ctx),
        createsuperuser: () =>
          createSuperuser(ctx, {
            username: values.username,
            email: values.email,
            password: undefined,
            noinput: Boolean(values.noinput || values['no-input']),
          }),
        'users create': async () => {
          if (!values.username) throw new UsageError('users create needs --username');
          const password = values['password-stdin'] ? await firstLine(io) : io.env.GATEHOUSE_USER_PASSWORD;
          if (!password)
            throw new UsageError('users create needs --password-stdin or GATEHOUSE_USER_PASSWORD');
          await createUser(ctx, {
            username: values.username,
            email: values.email ?? null,
            password,
            ...(values['first-name'] !== undefined && { firstName: values['first-name'] }),
            ...(values['last-name'] !== undefined && { lastName: values['last-name'] }),
            isStaff: Boolean(values.staff || values.superuser),
            isSuperuser: Boolean(values.superuser),
          });
        },
        'users list': () => listUsers(ctx),
        flushexpiredtokens: () => flushExpiredTokens(ctx),
        demo: () => demo(ctx),
        'keys list': () => listKeys(ctx),
        'keys rotate': () => rotateKeys(ctx),
        'keys retire': () => retireKey(ctx, kid[0] as string),
        'keys seal': () => sealKeys(ctx),
        'mail test': () => mailTest({ io, store, mail: config.mail, clock }, address[0] as string),
        'mail status': () => mailStatus({ io, store, mail: config.mail, clock }),
        'roles create': () =>
          roles.createRole(first, {
            ...(values.description !== undefined && { description: values.description }),
            permissions: values.permission ?? [],
          }),
        'roles list': () => roles.listRoles(),
        'roles delete': () => roles.deleteRole(first),
        'roles grant': () => roles.grantRole(first, second, true),
        'roles revoke': () => roles.grantRole(first, second, false),
        'groups create': () =>
          roles.createGroup(first, {
            ...(values.description !== undefined && { description: values.description }),
            roles: values.role ?? [],
          }),
        'groups list': () => roles.listGroups(),
        'groups delete': () => roles.deleteGroup(first),
        'groups add': () => roles.joinGroup(first, second, true),
        'groups remove': () => roles.joinGroup(first, second, false),
      };
      await commands[command]?.();
      return 0;
    } finally {
      await store.close();
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      writeLine(io.stderr, `gatehouse: ${error.message}`);
      return 2;
    }
    if (
      error instanceof UsageError ||
      (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      writeLine(io.stderr, `gatehouse: ${error.message}\n\n${HELP}`);
      return 2;
    }
    if (error instanceof CommandError) {
      writeLine(io.stderr, error.message);
      return 1;
    }
    // The database is out of reach or its file cannot be made: what and why, without a stack trace.
    const failure = databaseFailure(error);
    if (database && failure) {
      writeLine(io.stderr, `gatehouse: the database ${describeDatabase(database)} ${failure}`);
      return 1;
    }
    throw error;
  }
}

/** How opening the database failed, or undefined when `error` is not about reaching or creating it. */
function databaseFailure(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  if (isTransientDatabaseError(error)) return `cannot be reached: ${innermost(error).message}`;
  if (
    typeof syscall === 'string' ||
    (typeof code === 'string' && /^SQLITE_(CANTOPEN|READONLY|PERM)/.test(code))
  ) {
    return `cannot be opened: ${error.message}`;
  }
  return undefined;
}

function innermost(error: Error): Error {
  return error.cause instanceof Error ? innermost(error.cause) : error;
}

async function firstLine(io: CliIo): Promise<string> {
  let text = '';
  for await (const chunk of io.stdin) text += String(chunk);
  return text.split(/\r?\n/)[0] ?? '';
}
