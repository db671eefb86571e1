import { expect, test } from 'vitest';
import { ARGON2_FLOOR } from '../config.js';
import argon2 from 'argon2';
import { createPasswordHasher, unknownUserHash } from './passwords.js';

const hasher = createPasswordHasher(ARGON2_FLOOR);

test('hashes with argon2id at the OWASP floor, salted', async () => {
  const first = await hasher.hash('correct horse');
  expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  expect(await hasher.hash('correct horse')).not.toBe(first);
});

test('verifies the right password only', async () => {
  const hash = await hasher.hash('correct horse');
  expect(await hasher.verify(hash, 'correct horse')).toEqual({ ok: true, needsRehash: false });
  expect(await hasher.verify(hash, 'wrong horse')).toEqual({ ok: false, needsRehash: false });
});

test('no hash (unknown user) and unreadable hashes never match', async () => {
  expect(await hasher.verify(undefined, 'anything')).toEqual({ ok: false, needsRehash: false });
  expect(await hasher.verify('pbkdf2_sha256$260000$salt$hash', 'anything')).toEqual({
    ok: false,
    needsRehash: false,
  });
});

test('flags hashes weaker than the configured parameters', async () => {
  const stronger = createPasswordHasher({ ...ARGON2_FLOOR, timeCost: 3 });
  const weak = await hasher.hash('pw-pw-pw-pw');
  expect(await stronger.verify(weak, 'pw-pw-pw-pw')).toEqual({ ok: true, needsRehash: true });
});

test('an unknown user is verified against a hash no password matches, in the configured parameters', async () => {
  const dummy = unknownUserHash(ARGON2_FLOOR);
  // The format argon2 writes, with the same parameters and lengths: a verification costs the same.
  const real = await hasher.hash('correct horse');
  const shape = (encoded: string) => encoded.replace(/\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/, '');
  expect(shape(dummy)).toBe(shape(real));
  expect(dummy.split('$').map((part) => part.length)).toEqual(real.split('$').map((part) => part.length));
  expect(argon2.needsRehash(dummy, ARGON2_FLOOR)).toBe(false);
  expect(await argon2.verify(dummy, 'correct horse')).toBe(false);
  expect(unknownUserHash(ARGON2_FLOOR)).not.toBe(dummy);
});

test('the NFKC form is hashed: a full-width or decomposed spelling is the same password', async () => {
  const hash = await hasher.hash('ｐａｓｓｗｏｒｄ１２３'); // full-width
  expect(await hasher.verify(hash, 'password123')).toEqual({ ok: true, needsRehash: false });
  const accented = await hasher.hash('cafe\u0301-au-lait'); // e + combining acute
  expect((await hasher.verify(accented, 'caf\u00e9-au-lait')).ok).toBe(true);
});

test('a hash of the password as typed (made before) still verifies, and asks to be rehashed', async () => {
  const raw = 'ｐａｓｓｗｏｒｄ１２３';
  const old = await argon2.hash(raw, { type: argon2.argon2id, ...ARGON2_FLOOR });
  expect(await hasher.verify(old, raw)).toEqual({ ok: true, needsRehash: true });
  expect((await hasher.verify(old, 'password123')).ok).toBe(false);
  // An ASCII password is hashed as typed before and after: nothing to rehash.
  const ascii = await argon2.hash('password123', { type: argon2.argon2id, ...ARGON2_FLOOR });
  expect(await hasher.verify(ascii, 'password123')).toEqual({ ok: true, needsRehash: false });
});
