import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createPasswordHasher, type PasswordHasher } from '../auth/passwords.js';
import { ARGON2_FLOOR } from '../config.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { createUsersService, type UsersService } from './users-service.js';

let store: Store;
let hasher: PasswordHasher;
let users: UsersService;
const clock = () => new Date('2026-11-22T12:00:00Z');

beforeEach(async () => {
  store = openStore({ kind: 'sqlite', path: ':memory:' });
  await store.migrate();
  hasher = createPasswordHasher(ARGON2_FLOOR);
  users = createUsersService({ store, hasher, clock, updateLastLogin: false });
});
afterEach(() => store.close());

describe('createAccount', () => {
  test('look-alike, case and spacing variants of a username or email never make a second account', async () => {
    expect(
      (
        await users.createAccount({
          username: 'user1',
          email: 'user1@example.com',
          password: 'a-long-password',
        })
      ).ok,
    ).toBe(true);
    for (const username of ['ｕｓｅｒ１', 'USER1', ' user1 ', 'User1']) {
      const result = await users.createAccount({ username, email: null, password: 'a-long-password' });
      expect(result, username).toEqual({
        ok: false,
        problems: { username: [{ code: 'unique', params: { field: 'username' } }] },
      });
    }
    for (const email of ['USER1@EXAMPLE.COM', 'ｕｓｅｒ１@example.com', ' user1@example.com']) {
      const result = await users.createAccount({ username: 'other', email, password: 'a-long-password' });
      expect(result, email).toEqual({
        ok: false,
        problems: { email: [{ code: 'unique', params: { field: 'email' } }] },
      });
    }
    expect((await store.listUsers()).length).toBe(1);
  });

  test('stores the NFKC display form and the canonical email', async () => {
    const result = await users.createAccount({
      username: 'Ｓａｍ',
      email: 'Sam@Example.COM',
      password: 'a-long-password',
    });
    expect(result.ok && [result.user.username, result.user.email]).toEqual(['Sam', 'sam@example.com']);
  });

  test('refuses bad usernames, bad emails and short passwords, saying why', async () => {
    const result = await users.createAccount({
      username: 'bad name!',
      email: 'not-an-email',
      password: 'sh0rt!x',
    });
    expect(result).toEqual({
      ok: false,
      problems: {
        username: [{ code: 'invalid_username' }],
        email: [{ code: 'invalid_email' }],
        password: [{ code: 'password_too_short', params: { minLength: 8 } }],
      },
    });
  });

  test('the policy is bypassed only on request', async () => {
    const result = await users.createAccount({
      username: 'demo',
      password: 'pw',
      bypassPasswordPolicy: true,
    });
    expect(result.ok).toBe(true);
  });
});

describe('authenticate', () => {
  beforeEach(async () => {
    await users.createAccount({
      username: 'user1',
      email: 'user1@example.com',
      password: 'tangerine-kayak-42',
    });
  });

  test('by username or email, in any canonical variant', async () => {
    for (const identifier of ['user1', 'USER1', 'ｕｓｅｒ１', 'user1@example.com', 'User1@Example.com']) {
      const result = await users.authenticate(identifier, 'tangerine-kayak-42');
      expect(result.ok, identifier).toBe(true);
    }
  });

  test('wrong password, unknown user and inactive user are the same failure', async () => {
    await store.updateUser(1, { isActive: false }, clock());
    for (const [identifier, password] of [
      ['user1', 'tangerine-kayak-42'],
      ['user1', 'wrong'],
      ['nobody', 'tangerine-kayak-42'],
    ] as const) {
      expect(await users.authenticate(identifier, password)).toEqual({
        ok: false,
        code: 'invalid_credentials',
      });
    }
  });

  test('an unknown user still costs one full password verification (dummy hash)', async () => {
    const seen: (string | null | undefined)[] = [];
    const spying: PasswordHasher = {
      hash: hasher.hash,
      verify: (hash, password) => {
        seen.push(hash);
        return hasher.verify(hash, password);
      },
    };
    const service = createUsersService({ store, hasher: spying, clock, updateLastLogin: false });
    expect((await service.authenticate('nobody', 'tangerine-kayak-42')).ok).toBe(false);
    expect(seen).toEqual([undefined]);
  });

  test('a hash made with weaker parameters is upgraded at the next successful login', async () => {
    const stronger = createPasswordHasher({ ...ARGON2_FLOOR, memoryCost: 24576 });
    const service = createUsersService({ store, hasher: stronger, clock, updateLastLogin: false });
    const before = await store.findLoginCandidate({ usernameKey: 'user1', email: 'user1' });
    expect(before?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect((await service.authenticate('user1', 'wrong')).ok).toBe(false);
    expect((await store.findLoginCandidate({ usernameKey: 'user1', email: 'user1' }))?.passwordHash).toBe(
      before?.passwordHash,
    );
    expect((await service.authenticate('user1', 'tangerine-kayak-42')).ok).toBe(true);
    const after = await store.findLoginCandidate({ usernameKey: 'user1', email: 'user1' });
    expect(after?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=24576,p=1,t=2\$/);
    expect((await service.authenticate('user1', 'tangerine-kayak-42')).ok).toBe(true);
  });

  test('UPDATE_LAST_LOGIN records the login time', async () => {
    const service = createUsersService({ store, hasher, clock, updateLastLogin: true });
    await service.authenticate('user1', 'tangerine-kayak-42');
    expect((await store.listUsers()).find((user) => user.id === 1)?.lastLogin).toEqual(clock());
  });
});
