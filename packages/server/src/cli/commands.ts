import { KNOWN_DEVICE_DAYS } from '../auth/login-throttle.js';
import {
  ACTIVATION_DELAY,
  keyAlgorithmOf,
  newSigningKey,
  openSigningKeys,
  pickSigner,
  sealSigningKeys,
  usableKeys,
} from '../auth/signing-keys.js';
import type { JwtConfig } from '../config.js';
import { fieldErrors } from '../http/messages.js';
import type { OneTimeTokenStore } from '../core/one-time-tokens/store.js';
import type { LimitStore } from '../store/limits/store.js';
import type { MailStore } from '../store/mail/store.js';
import type { SessionStore } from '../store/sessions/store.js';
import type { SigningKeyStore } from '../store/signing-keys/store.js';
import type { Store } from '../store/store.js';
import type { UserStore } from '../store/users/store.js';
import type { NewAccount, UsersService } from '../users/users-service.js';
import { CommandError, writeLine, type CliIo } from './io.js';
import { FINISHED_MAIL_RETENTION_DAYS } from './mail.js';

export interface CommandContext {
  io: CliIo;
  store: Pick<Store, 'migrate'> &
    Pick<UserStore, 'listUsers'> &
    Pick<SessionStore, 'deleteExpiredRefreshTokens'> &
    Pick<LimitStore, 'deleteStaleLimits'> &
    Pick<OneTimeTokenStore, 'deleteExpiredOneTimeTokens'> &
    Pick<MailStore, 'deleteFinishedMail'> &
    SigningKeyStore;
  users: UsersService;
  clock: () => Date;
  passwordMinLength: number;
  jwt: JwtConfig;
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
    const problems = Object.entries(fieldErrors(result.problems)).map(
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
  // Ended sessions are kept as long as they make their device "known" to the login throttle.
  const removed = await store.deleteExpiredRefreshTokens(
    now,
    new Date(now.getTime() - KNOWN_DEVICE_DAYS * 86400 * 1000),
  );
  // Failed-login counters and rate-limit windows untouched for a day are forgotten anyway.
  await store.deleteStaleLimits(new Date(now.getTime() - 86400 * 1000));
  writeLine(io.stdout, `Removed ${removed} expired refresh token${removed === 1 ? '' : 's'}.`);
  // Links, codes and challenges past their expiry (used ones included) are refused anyway; only said when
  // there were some, so the line simplejwt's command prints stays the first and only one otherwise.
  const oneTime = await store.deleteExpiredOneTimeTokens(now);
  if (oneTime > 0)
    writeLine(io.stdout, `Removed ${oneTime} expired one-time token${oneTime === 1 ? '' : 's'}.`);
  // Mail sent, skipped or failed a month ago has told `gatehouse mail status` all it had to.
  const mail = await store.deleteFinishedMail(
    new Date(now.getTime() - FINISHED_MAIL_RETENTION_DAYS * 86400 * 1000),
  );
  if (mail > 0)
    writeLine(
      io.stdout,
      `Removed ${mail} finished mail message${mail === 1 ? '' : 's'} over ${FINISHED_MAIL_RETENTION_DAYS} days old.`,
    );
}

/** Idempotent: an account that exists is left as it is. The demo passwords bypass the password policy. */
export async function demo(ctx: CommandContext): Promise<void> {
  for (const account of DEMO_ACCOUNTS) {
    // Their addresses are the operator's example ones: vouched for, so they sign in in every mode.
    const result = await ctx.users.createAccount({
      ...account,
      bypassPasswordPolicy: true,
      emailVerified: true,
    });
    const taken =
      !result.ok && (result.problems.username?.some((problem) => problem.code === 'unique') ?? false);
    if (!result.ok && !taken) {
      throw new CommandError(`${account.username}: ${JSON.stringify(fieldErrors(result.problems))}`);
    }
    writeLine(
      ctx.io.stdout,
      `${account.username}: ${taken ? 'exists' : 'created'} (password ${account.password})`,
    );
  }
}

const ENV_KEY_NOTE =
  'GATEHOUSE_SIGNING_KEY is set: tokens are signed with it, not with the keys in the database.';

/** One line per key, newest first: kid, algorithm, status (signing, active or retired), created, retired. */
export async function listKeys({ io, store, clock, jwt }: CommandContext): Promise<void> {
  if (jwt.signingKey !== undefined) writeLine(io.stdout, ENV_KEY_NOTE);
  const records = await store.listSigningKeys();
  if (records.length === 0)
    writeLine(io.stdout, 'No signing keys yet: the server creates one on first start.');
  const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
  const usable = usableKeys(records, jwt.algorithm).map((r) => ({
    kid: r.kid,
    createdAt: seconds(r.createdAt),
  }));
  const signer = jwt.signingKey === undefined ? pickSigner(usable, seconds(clock()))?.kid : undefined;
  for (const record of records) {
    const status = record.kid === signer ? 'signing' : record.status;
    const retired = record.retiredAt?.toISOString() ?? '-';
    writeLine(
      io.stdout,
      [record.kid, record.algorithm, status, record.createdAt.toISOString(), retired].join('\t'),
    );
  }
}

/** A new key for GATEHOUSE_ALGORITHM; the older ones keep verifying until they are retired. */
export async function rotateKeys({ io, store, clock, jwt }: CommandContext): Promise<void> {
  if (jwt.signingKey !== undefined) {
    throw new CommandError(
      `${ENV_KEY_NOTE} Rotating it means changing that variable (tokens signed with the old value stop ` +
        'working at once); unset it to keep keys in the database and rotate them with this command.',
    );
  }
  // A key sealed with another key-encryption key than the servers' would not open there: the existing
  // keys must open with this one first (a ConfigError otherwise).
  await openSigningKeys(usableKeys(await store.listSigningKeys(), jwt.algorithm), jwt);
  const now = clock();
  const key = newSigningKey(jwt, now);
  await store.addSigningKey(key);
  const from = new Date(now.getTime() + ACTIVATION_DELAY * 1000).toISOString();
  writeLine(
    io.stdout,
    `Added ${key.algorithm} key ${key.kid}: published now, it signs new tokens from ${from} (once every ` +
      'server has loaded it). Tokens signed with older keys stay valid until you retire those keys ' +
      '(gatehouse keys retire <kid>).',
  );
  if (jwt.keyEncryptionKey === undefined) {
    writeLine(
      io.stderr,
      'Warning: the secret is stored unencrypted, next to the data; set GATEHOUSE_KEY_ENCRYPTION_KEY ' +
        '(openssl rand -base64 32) and run gatehouse keys seal before the servers start with it.',
    );
  }
}

/**
 * Encrypts the keys kept in the clear with GATEHOUSE_KEY_ENCRYPTION_KEY: a server with one set refuses
 * them (a key in the clear may have been planted by anybody who can write the database), so turning it on
 * is this command, then the restart.
 */
export async function sealKeys({ io, store, jwt }: CommandContext): Promise<void> {
  const { keyEncryptionKey } = jwt;
  if (keyEncryptionKey === undefined) {
    throw new CommandError(
      'GATEHOUSE_KEY_ENCRYPTION_KEY is not set: there is nothing to encrypt the keys with.',
    );
  }
  const sealed = await sealSigningKeys(await store.listSigningKeys(), keyEncryptionKey, store);
  if (sealed.length === 0) writeLine(io.stdout, 'Every signing key is already encrypted.');
  for (const kid of sealed) writeLine(io.stdout, `Encrypted ${kid} with GATEHOUSE_KEY_ENCRYPTION_KEY.`);
}

/** Tokens signed with a retired key are refused; the key signing new tokens cannot be retired. */
export async function retireKey({ io, store, clock, jwt }: CommandContext, kid: string): Promise<void> {
  const algorithm = keyAlgorithmOf(jwt.algorithm);
  const outcome = await store.retireSigningKey(kid, algorithm, clock());
  switch (outcome) {
    case 'retired':
      writeLine(
        io.stdout,
        `Retired ${kid}: tokens signed with it are refused, by every server within a minute and by ` +
          'services using @gatehouse/verify once their cached JWKS expires (5 minutes).',
      );
      return;
    case 'unknown':
      throw new CommandError(`No signing key ${kid} (gatehouse keys list shows them).`);
    case 'already_retired':
      throw new CommandError(`${kid} is already retired.`);
    case 'newest':
      throw new CommandError(
        `${kid} is the newest active ${algorithm} key, the one that signs (or is about to): ` +
          'add a new one with gatehouse keys rotate first.',
      );
  }
}
