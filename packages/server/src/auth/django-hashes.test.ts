import Database from 'better-sqlite3';
import { beforeAll, describe, expect, test } from 'vitest';
import { ARGON2_FLOOR } from '../config.js';
import { useDjango, type DjangoFixture } from '../testing/django.js';
import { parseDjangoHash, verifyDjangoHash } from './django-hashes.js';
import { createPasswordHasher } from './passwords.js';

const django = await useDjango("Django's password hashes");

describe.runIf(django)("Django's password hashes, written by Django", () => {
  let fixture: DjangoFixture;
  let hashes: Map<string, string>;
  beforeAll(async () => {
    fixture = await (django as NonNullable<typeof django>).make('a');
    const db = new Database(fixture.database, { readonly: true });
    const rows = db.prepare('select username, password from auth_user').all() as {
      username: string;
      password: string;
    }[];
    db.close();
    hashes = new Map(rows.map((row) => [row.username, row.password]));
  }, 60_000);

  const formats = [
    'pbkdf2_sha1',
    'argon2id',
    'argon2i',
    'bcrypt_sha256',
    'bcrypt',
    'scrypt',
    'sha1',
    'md5',
    'unsalted_sha1',
    'unsalted_md5',
    'unsalted_md5_prefixed',
    'crypt',
  ];

  test.each(formats)('%s: the right password only', async (format) => {
    const user = fixture.users.find((u) => u.format === format);
    const encoded = hashes.get(user?.username ?? '') as string;
    expect(parseDjangoHash(encoded)).not.toHaveProperty('problem');
    expect(await verifyDjangoHash(encoded, user?.password as string)).toBe(true);
    // Changed at the front: crypt(3) reads only the first 8 characters.
    expect(await verifyDjangoHash(encoded, `x${user?.password as string}`)).toBe(false);
  });

  test('pbkdf2_sha256, through the hasher: matches, and asks to be rehashed with argon2id', async () => {
    const hasher = createPasswordHasher(ARGON2_FLOOR);
    const encoded = hashes.get('user1') as string;
    expect(encoded).toMatch(/^pbkdf2_sha256\$/);
    expect(await hasher.verify(encoded, 'password1')).toEqual({ ok: true, needsRehash: true });
    expect(await hasher.verify(encoded, 'password2')).toEqual({ ok: false, needsRehash: false });
  });

  test('an unusable password (`!…`) never matches, and an unknown format is named', async () => {
    const unusable = hashes.get('nopassword') as string;
    expect(unusable.startsWith('!')).toBe(true);
    expect(parseDjangoHash(unusable)).toEqual({ format: 'unusable' });
    expect(await verifyDjangoHash(unusable, unusable)).toBe(false);
    expect(await verifyDjangoHash(unusable, unusable.slice(1))).toBe(false);
    expect(parseDjangoHash(hashes.get('oddhash') as string)).toEqual({
      problem: 'Django password hash format "whirlpool" is not one Gatehouse verifies',
    });
  });
});

test('malformed hashes are refused by name, never verified', async () => {
  expect(parseDjangoHash('pbkdf2_sha256$lots$salt$hash')).toEqual({
    problem: 'a malformed pbkdf2_sha256 password hash',
  });
  expect(parseDjangoHash('scrypt$1000$salt$8$1$hash')).toHaveProperty('problem');
  expect(parseDjangoHash('bcrypt$nonsense')).toHaveProperty('problem');
  expect(await verifyDjangoHash('md5$salt$zz', 'x')).toBe(false);
});
