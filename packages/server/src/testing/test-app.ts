import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { createApp } from '../app.js';
import { createJwtCodec, type JwtClaims } from '../auth/jwt.js';
import { keyRingFor, type KeyRing } from '../auth/key-ring.js';
import { createPasswordHasher } from '../auth/passwords.js';
import { parseConfig, type Config } from '../config.js';
import type { Feature } from '../core/core.js';
import type { SenderOptions } from '../mail/sender.js';
import type { Store } from '../store/store.js';
import type { User } from '../store/users/store.js';
import { createUsersService, type NewAccount } from '../users/users-service.js';
import { HTTP_TESTS_ON_POSTGRES, requirePostgres, type TestSchema } from './postgres.js';
import { openStoreWithRows, type StoreRows } from './store-rows.js';

export const TEST_SIGNING_KEY = 'gatehouse-test-signing-key-0123456789abcdef';
/** GATEHOUSE_KEY_ENCRYPTION_KEY unless a test sets another (or '' for none). */
export const TEST_KEY_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

/** A clock tests can move. */
export function testClock(start = new Date()) {
  let now = start.getTime();
  const clock = () => new Date(now);
  clock.advance = (seconds: number) => {
    now += seconds * 1000;
  };
  return clock;
}

export interface TestContext {
  app: FastifyInstance;
  store: Store;
  /** The store's tables, for what tests check or set up beside the store's interface. */
  rows: StoreRows;
  config: Config;
  /** The app's signing keys: a fixed one (GATEHOUSE_SIGNING_KEY) or the database's. */
  keys: KeyRing;
  clock: ReturnType<typeof testClock>;
  /** Where the file outbox writes (GATEHOUSE_MAIL_OUTBOX_DIR): a temporary folder unless the test set one. */
  outboxDir: string;
  /** Creates an account directly (policy bypassed unless said otherwise). */
  createUser(account: Partial<NewAccount> & { username: string }): Promise<User>;
  /** POST /api/token/ and return the pair. */
  login(username: string, password?: string): Promise<{ refresh: string; access: string }>;
  /** Signs arbitrary claims with the app's key (or another), for forged and expired tokens. */
  mint(claims: JwtClaims, key?: string): string;
  close(): Promise<void>;
}

/**
 * In-memory SQLite; with GATEHOUSE_TEST_DATABASE_URL=postgres://…, a PostgreSQL schema of its own for
 * each open test context (emptied when it closes, for the next), in a database of the test file's own,
 * dropped after the file; PostgreSQL unreachable, the tests fail.
 */
const postgres = HTTP_TESTS_ON_POSTGRES ? await requirePostgres('the HTTP tests') : undefined;
/** Schemas migrated by earlier contexts of this test file, emptied when those closed: reused, not remade. */
const idleSchemas: TestSchema[] = [];

/** Test senders: a quick poll, and a retry at once (the test clock stands still: a later retry would never come). */
export const TEST_SENDER: SenderOptions = { pollInterval: 100, retry: { backoff: () => 0 } };

export interface TestContextOptions {
  features?: readonly Feature[];
  /**
   * Deliver the mail queue, as the server does: to `smtpUrl` (GATEHOUSE_SMTP_URL; testing/mail-server.ts's
   * startMailServer gives one), else to the outbox folder. `sender`: its options over TEST_SENDER.
   */
  mail?: { smtpUrl?: string; sender?: SenderOptions };
  /** The app's logger (none by default): `{ level, stream }` to read what it logs. */
  logger?: FastifyServerOptions['logger'];
}

/** A fresh app over a database of its own (see above). `env` is read as the server reads process.env. */
export async function createTestContext(
  env: Record<string, string> = {},
  options: TestContextOptions = {},
): Promise<TestContext> {
  // A test that names its own database (a SQLite file) gets it.
  const ownDatabase = env['DATABASE_URL'] !== undefined;
  const reused = ownDatabase ? undefined : idleSchemas.pop();
  const schema = reused ?? (ownDatabase ? undefined : await postgres?.createSchema());
  const databaseUrl = schema?.url ?? 'sqlite::memory:';
  // Never the repository's data/outbox: a folder of this context's (made by the first message written),
  // removed when it closes.
  const ownOutbox = env['GATEHOUSE_MAIL_OUTBOX_DIR'] === undefined;
  const outboxDir = ownOutbox
    ? path.join(tmpdir(), `gatehouse-outbox-${randomBytes(6).toString('hex')}`)
    : path.resolve(env['GATEHOUSE_MAIL_OUTBOX_DIR'] as string);
  const config = parseConfig({
    // A fixed HMAC key unless the test chooses an asymmetric algorithm (or sets '' for the database's keys).
    ...(!['EdDSA', 'ES256', 'RS256'].includes(env['GATEHOUSE_ALGORITHM'] ?? '') && {
      GATEHOUSE_SIGNING_KEY: TEST_SIGNING_KEY,
    }),
    GATEHOUSE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
    DATABASE_URL: databaseUrl,
    GATEHOUSE_DATABASE_POOL_SIZE: '4',
    // API tests do not depend on whether apps/web was built; web-app.test.ts gives its own directory.
    GATEHOUSE_WEB_ROOT: '',
    GATEHOUSE_MAIL_OUTBOX_DIR: outboxDir,
    ...(options.mail?.smtpUrl !== undefined && { GATEHOUSE_SMTP_URL: options.mail.smtpUrl }),
    ...env,
  });
  const { store, rows } = openStoreWithRows(config.database);
  if (!reused) await store.migrate();
  const clock = testClock();
  const hasher = createPasswordHasher(config.passwordHash);
  const keys = await keyRingFor(config.jwt, store, { clock });
  const app = await createApp({
    config,
    store,
    hasher,
    keys,
    clock,
    ...(options.features && { features: options.features }),
    ...(options.mail && { mailSender: { ...TEST_SENDER, ...options.mail.sender } }),
    ...(options.logger !== undefined && { logger: options.logger }),
  });
  const users = createUsersService({ store, hasher, clock, updateLastLogin: false });

  return {
    app,
    store,
    rows,
    config,
    keys,
    clock,
    outboxDir,
    async createUser(account) {
      const result = await users.createAccount({
        password: 'password1',
        bypassPasswordPolicy: true,
        ...account,
      });
      if (!result.ok) throw new Error(`createUser failed: ${JSON.stringify(result.problems)}`);
      return result.user;
    },
    async login(username, password = 'password1') {
      const response = await app.inject({
        method: 'POST',
        url: '/api/token/',
        payload: { username, password },
      });
      if (response.statusCode !== 200)
        throw new Error(`login failed: ${response.statusCode} ${response.body}`);
      return response.json();
    },
    mint(claims, key = config.jwt.signingKey) {
      if (key !== undefined) return createJwtCodec({ algorithm: 'HS256', key, leeway: 0 }).sign(claims);
      const now = Math.floor(clock().getTime() / 1000);
      return createJwtCodec({ algorithm: config.jwt.algorithm, keys, leeway: 0 }).sign(claims, now);
    },
    async close() {
      await app.close();
      await store.close();
      if (ownOutbox) rmSync(outboxDir, { recursive: true, force: true });
      if (schema) {
        await schema.empty();
        idleSchemas.push(schema);
      }
    },
  };
}

/** Decodes a JWT's payload without verifying it (tests only). */
export function decodePayload(token: string): JwtClaims {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as JwtClaims;
}

export function decodeHeader(token: string): JwtClaims {
  return JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as JwtClaims;
}
