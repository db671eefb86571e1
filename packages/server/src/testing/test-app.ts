import type { FastifyInstance } from 'fastify';
import { Client } from 'pg';
import { createApp } from '../app.js';
import { createJwtCodec, type JwtClaims } from '../auth/jwt.js';
import { createPasswordHasher } from '../auth/passwords.js';
import { parseConfig, type Config } from '../config.js';
import { openStore } from '../store/open-store.js';
import type { Store, User } from '../store/store.js';
import { createUsersService, type NewAccount } from '../users/users-service.js';

export const TEST_SIGNING_KEY = 'gatehouse-test-signing-key-0123456789abcdef';

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
  config: Config;
  clock: ReturnType<typeof testClock>;
  /** Creates an account directly (policy bypassed unless said otherwise). */
  createUser(account: Partial<NewAccount> & { username: string }): Promise<User>;
  /** POST /api/token/ and return the pair. */
  login(username: string, password?: string): Promise<{ refresh: string; access: string }>;
  /** Signs arbitrary claims with the app's key (or another), for forged and expired tokens. */
  mint(claims: JwtClaims, key?: string): string;
  close(): Promise<void>;
}

/** A fresh app over its own in-memory database. `env` is read as the server reads process.env. */
export async function createTestContext(env: Record<string, string> = {}): Promise<TestContext> {
  const pgUrl = process.env['GATEHOUSE_TEST_DATABASE_URL'];
  let schema: string | undefined;
  let databaseUrl = 'sqlite::memory:';
  if (pgUrl) {
    schema = `gh_app_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const admin = new Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const u = new URL(pgUrl);
    u.searchParams.set('options', `-c search_path=${schema}`);
    databaseUrl = u.toString();
  }
  const config = parseConfig({
    GATEHOUSE_SIGNING_KEY: TEST_SIGNING_KEY,
    DATABASE_URL: databaseUrl,
    GATEHOUSE_DATABASE_POOL_SIZE: '4',
    ...env,
  });
  const store = openStore(config.database);
  await store.migrate();
  const clock = testClock();
  const hasher = createPasswordHasher(config.passwordHash);
  const signingKey = config.jwt.signingKey ?? TEST_SIGNING_KEY;
  const app = await createApp({ config, store, hasher, signingKey, clock });
  const users = createUsersService({ store, hasher, clock, updateLastLogin: false });

  return {
    app,
    store,
    config,
    clock,
    async createUser(account) {
      const result = await users.createAccount({
        password: 'password1',
        bypassPasswordPolicy: true,
        ...account,
      });
      if (!result.ok) throw new Error(`createUser failed: ${JSON.stringify(result.errors)}`);
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
    mint(claims, key = signingKey) {
      return createJwtCodec({ algorithm: 'HS256', key, leeway: 0 }).sign(claims);
    },
    async close() {
      await app.close();
      await store.close();
      if (pgUrl && schema) {
        const admin = new Client({ connectionString: pgUrl });
        await admin.connect();
        await admin.query(`drop schema ${schema} cascade`);
        await admin.end();
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
