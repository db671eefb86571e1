import type { Store } from '../store/store.js';
import type { NewAccount, UsersService } from '../users/users-service.js';
import { CommandError, writeLine, type CliIo } from './io.js';

export interface CommandContext {
  io: CliIo;
  store: Store;
  users: UsersService;
  clock: () => Date;
  passwordMinLength: number;
}

/** Tutorial A's users and the reference's superuser (../shared/reference/contract.md's seed users). */
export const DEMO_ACCOUNTS: readonly NewAccount[] = [
  {
    username: 'user1',
    email: 'user1@example.com',
    password: 'password1',
    firstName: 'Sam',
    lastName: 'Smith',
    profileEmail: 'sam@smith.com',
  },
  {
    username: 'user2',
    email: 'user2@example.com',
    password: 'password2',
    firstName: 'Tim',
    lastName: 'Allen',
    profileEmail: 'tim@allen.com',
  },
  {
    username: 'admin',
    email: 'admin@example.com',
    password: 'adminpass123',
    isStaff: true,
    isSuperuser: true,
  },
];

export async function migrate({ io, store }: CommandContext): Promise<void> {
  const applied = await store.migrate();
  writeLine(
    io.stdout,
    applied.length === 0 ? 'No migrations to apply.' : applied.map((m) => `Applied ${m}`).join('\n'),
  );
}

export async function createUser(ctx: CommandContext, account: NewAccount): Promise<void> {
  const result = await ctx.users.createAccount(account);
  if (!result.ok) {
    const problems = Object.entries(result.errors).map(
      ([field, messages]) => `${field}: ${messages.join(' ')}`,
    );
    throw new CommandError(problems.join('\n'));
  }
  const role = result.user.isSuperuser ? 'Superuser' : 'User';
  writeLine(ctx.io.stdout, `${role} "${result.user.username}" created (public id ${result.user.publicId}).`);
}

export async function listUsers({ io, store }: CommandContext): Promise<void> {
  for (const user of await store.listUsers()) {
    const flags = [
      user.isSuperuser && 'superuser',
      user.isStaff && 'staff',
      !user.isActive && 'inactive',
    ].filter(Boolean);
    writeLine(io.stdout, [user.id, user.username, user.email ?? '-', flags.join(',') || '-'].join('\t'));
  }
}

export async function flushExpiredTokens({ io, store, clock }: CommandContext): Promise<void> {
  const now = clock();
  const removed = await store.deleteExpiredRefreshTokens(now);
  // Failed-login counters and rate-limit windows untouched for a day are forgotten anyway.
  await store.deleteStaleLimits(new Date(now.getTime() - 86400 * 1000));
  writeLine(io.stdout, `Removed ${removed} expired refresh token${removed === 1 ? '' : 's'}.`);
}

/** Idempotent: an account that exists is left as it is. The demo passwords bypass the password policy. */
export async function demo(ctx: CommandContext): Promise<void> {
  for (const account of DEMO_ACCOUNTS) {
    const result = await ctx.users.createAccount({ ...account, bypassPasswordPolicy: true });
    const taken = !result.ok && result.errors.username !== undefined;
    if (!result.ok && !taken) throw new CommandError(`${account.username}: ${JSON.stringify(result.errors)}`);
    writeLine(
      ctx.io.stdout,
      `${account.username}: ${taken ? 'exists' : 'created'} (password ${account.password})`,
    );
  }
}
