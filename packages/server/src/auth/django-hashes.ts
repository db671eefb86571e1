import { createHash, pbkdf2, scrypt, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import argon2 from 'argon2';
import type Bcrypt from 'bcryptjs';
import type UnixCrypt from 'unix-crypt-td-js';

// Loaded by the first hash that needs them (CommonJS, so without a chunk of the server's bundle), not at
// every start-up: most servers never see a bcrypt or crypt(3) hash.
const requireFromHere = createRequire(import.meta.url);
const bcrypt = () => requireFromHere('bcryptjs') as typeof Bcrypt;
const unixCrypt = () => requireFromHere('unix-crypt-td-js') as typeof UnixCrypt;

/**
 * Django's password hashes, as its `password` column holds them (django/contrib/auth/hashers.py), so that
 * users moved from a Django site keep their passwords: each is verified once, then rehashed with argon2id.
 */
export type DjangoHash =
  | { format: 'pbkdf2_sha256' | 'pbkdf2_sha1'; iterations: number; salt: string; hash: string }
  | { format: 'argon2'; phc: string }
  | { format: 'bcrypt' | 'bcrypt_sha256'; bcrypt: string }
  | { format: 'scrypt'; n: number; r: number; p: number; salt: string; hash: string }
  | { format: 'sha1' | 'md5'; salt: string; hash: string }
  | { format: 'unsalted_sha1' | 'unsalted_md5'; hash: string }
  | { format: 'crypt'; hash: string }
  /** `!…` (set_unusable_password): no password ever matches. */
  | { format: 'unusable' };

export type DjangoHashFormat = DjangoHash['format'];

/** Beyond these a hash's own parameters would cost more than any login may (a row edited by hand). */
const MAX_PBKDF2_ITERATIONS = 10_000_000;
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

const HEX = /^[0-9a-f]+$/;

/** The hash a Django `password` value is, or a reason it is none Gatehouse can verify. */
export function parseDjangoHash(encoded: string): DjangoHash | { problem: string } {
  if (encoded === '' || encoded.startsWith('!')) return { format: 'unusable' };
  // Django's identify_hasher: the unsalted forms are recognised by their length.
  if (
    (encoded.length === 32 && !encoded.includes('$')) ||
    (encoded.length === 37 && encoded.startsWith('md5$$'))
  ) {
    const hash = encoded.slice(-32);
    return HEX.test(hash) ? { format: 'unsalted_md5', hash } : malformed('unsalted_md5');
  }
  if (encoded.length === 46 && encoded.startsWith('sha1$$')) {
    const hash = encoded.slice(6);
    return HEX.test(hash) ? { format: 'unsalted_sha1', hash } : malformed('unsalted_sha1');
  }
  const algorithm = encoded.split('$', 1)[0] as string;
  const parts = encoded.split('$');
  switch (algorithm) {
    case 'pbkdf2_sha256':
    case 'pbkdf2_sha1': {
      const [, iterations, salt, hash] = parts;
      const count = Number(iterations);
      if (parts.length !== 4 || !Number.isSafeInteger(count) || count < 1 || count > MAX_PBKDF2_ITERATIONS)
        return malformed(algorithm);
      return { format: algorithm, iterations: count, salt: salt as string, hash: hash as string };
    }
    case 'argon2': {
      const phc = encoded.slice('argon2'.length);
      return /^\$argon2(id|i)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[^$]+\$[^$]+$/.test(phc)
        ? { format: 'argon2', phc }
        : malformed(algorithm);
    }
    case 'bcrypt':
    case 'bcrypt_sha256': {
      const data = encoded.slice(algorithm.length + 1);
      return /^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}$/.test(data)
        ? { format: algorithm, bcrypt: data }
        : malformed(algorithm);
    }
    case 'scrypt': {
      // Django 4.0+: scrypt$n$salt$r$p$hash
      const [, n, salt, r, p, hash] = parts;
      const [N, R, P] = [Number(n), Number(r), Number(p)];
      const valid =
        parts.length === 6 &&
        [N, R, P].every((v) => Number.isSafeInteger(v) && v > 0) &&
        (N & (N - 1)) === 0 &&
        128 * N * R * P <= MAX_SCRYPT_MEMORY;
      return valid
        ? { format: 'scrypt', n: N, r: R, p: P, salt: salt as string, hash: hash as string }
        : malformed(algorithm);
    }
    case 'sha1':
    case 'md5': {
      const [, salt, hash] = parts;
      return parts.length === 3 && HEX.test(hash as string)
        ? { format: algorithm, salt: salt as string, hash: hash as string }
        : malformed(algorithm);
    }
    case 'crypt': {
      // crypt$<salt, unused>$<crypt(3) output, whose first two characters are its salt>
      const hash = parts.slice(2).join('$');
      return parts.length >= 3 && hash.length >= 2 ? { format: 'crypt', hash } : malformed(algorithm);
    }
    default:
      return {
        problem:
          algorithm === encoded
            ? 'a password hash in no format Django writes'
            : `Django password hash format "${algorithm.slice(0, 40)}" is not one Gatehouse verifies`,
      };
  }
}

function malformed(format: string): { problem: string } {
  return { problem: `a malformed ${format} password hash` };
}

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: string,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/**
 * Whether `password` matches the Django hash `encoded`, compared in constant time. The slow ones run off
 * the event loop (pbkdf2 and scrypt on libuv's pool, argon2 in its addon, bcryptjs in slices).
 */
export async function verifyDjangoHash(encoded: string, password: string): Promise<boolean> {
  const parsed = parseDjangoHash(encoded);
  if ('problem' in parsed) return false;
  switch (parsed.format) {
    case 'unusable':
      return false;
    case 'pbkdf2_sha256':
    case 'pbkdf2_sha1': {
      const digest = parsed.format === 'pbkdf2_sha256' ? 'sha256' : 'sha1';
      const length = digest === 'sha256' ? 32 : 20;
      const derived = await pbkdf2Async(password, parsed.salt, parsed.iterations, length, digest);
      return equal(derived.toString('base64'), parsed.hash);
    }
    case 'argon2':
      try {
        return await argon2.verify(parsed.phc, password);
      } catch {
        return false;
      }
    case 'bcrypt':
    case 'bcrypt_sha256': {
      // bcrypt_sha256 hashes the SHA-256 of the password, in hex, so that bcrypt's 72 bytes hold all of it.
      const input =
        parsed.format === 'bcrypt_sha256' ? createHash('sha256').update(password).digest('hex') : password;
      return equal(await bcrypt().hash(input, parsed.bcrypt), parsed.bcrypt);
    }
    case 'scrypt': {
      const { n: N, r, p } = parsed;
      const derived = await scryptAsync(password, parsed.salt, 64, { N, r, p, maxmem: 256 * N * r * p });
      return equal(derived.toString('base64'), parsed.hash);
    }
    case 'sha1':
    case 'md5':
      return equal(
        createHash(parsed.format)
          .update(parsed.salt + password)
          .digest('hex'),
        parsed.hash,
      );
    case 'unsalted_sha1':
      return equal(createHash('sha1').update(password).digest('hex'), parsed.hash);
    case 'unsalted_md5':
      return equal(createHash('md5').update(password).digest('hex'), parsed.hash);
    case 'crypt':
      // Python's crypt.crypt takes the password's UTF-8 bytes.
      return equal(unixCrypt()([...Buffer.from(password, 'utf8')], parsed.hash), parsed.hash);
  }
}

/** Constant time for equal lengths; a length is no secret (each format's is fixed). */
function equal(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
