import { createHash, createHmac, createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { ConfigError, MIN_SIGNING_KEY_BYTES, parseConfig, type JwtConfig } from '../config.js';
import { migrationProvider } from '../store/migrations.js';
import { createKyselyStore } from '../store/kysely-store.js';
import { openStore } from '../store/open-store.js';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { testClock } from '../testing/test-app.js';
import { createJwtCodec, type JwtClaims } from './jwt.js';
import { openKeyRing, REFRESH_COOLDOWN, RELOAD_INTERVAL, type KeyRing } from './key-ring.js';
import {
  ACTIVATION_DELAY,
  newSigningKey,
  openStoredKey,
  pickSigner,
  sealSigningKeys,
} from './signing-keys.js';

const KEK = Buffer.alloc(32, 9).toString('base64');
const OTHER_KEK = Buffer.alloc(32, 10).toString('base64');
const KEK_BYTES = Buffer.from(KEK, 'base64');
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

const stores: Store[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

async function memoryStore(): Promise<Store> {
  const store = openStore({ kind: 'sqlite', path: ':memory:' });
  stores.push(store);
  await store.migrate();
  return store;
}

const jwtConfig = (env: Record<string, string> = {}): JwtConfig =>
  parseConfig({ GATEHOUSE_KEY_ENCRYPTION_KEY: KEK, ...env }).jwt;

function setUp(jwt: JwtConfig, store: Store, clock = testClock()) {
  return openKeyRing({ jwt, store, clock }).then((ring) => ({ ring, clock, codec: codecOf(jwt, ring) }));
}
const codecOf = (jwt: JwtConfig, keys: KeyRing) =>
  createJwtCodec({ algorithm: jwt.algorithm, keys, leeway: 0 });

const claims = (now: number): JwtClaims => ({
  token_type: 'access',
  exp: now + 300,
  iat: now,
  jti: 'j',
  user_id: 1,
});
const plaintextProblem = (kid: string) =>
  `signing key ${kid}: stored unencrypted, but GATEHOUSE_KEY_ENCRYPTION_KEY is set: a key written in the ` +
  'clear into the database is not trusted; if it is yours (kept before the key-encryption key was set), ' +
  'encrypt it: gatehouse keys seal';
const header = (token: string) => JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString());

// RFC 7518 §3.2: HS512 needs a 64-byte key; the generated one serves any HMAC algorithm (stored as `HMAC`).
test('a generated HMAC secret is long enough for HS512, with or without a key-encryption key', () => {
  for (const jwt of [jwtConfig(), parseConfig({}).jwt]) {
    const key = newSigningKey(jwt, new Date());
    const opened = openStoredKey(key, jwt.keyEncryptionKey);
    expect(opened.ok && opened.secret.length).toBeGreaterThanOrEqual(MIN_SIGNING_KEY_BYTES.HS512);
  }
});

describe.each(['EdDSA', 'ES256', 'RS256', 'HS256', 'HS512'] as const)('%s', (algorithm) => {
  test('signs with a kid and verifies its own tokens; another key of the same kind is refused', async () => {
    const jwt = jwtConfig({ GATEHOUSE_ALGORITHM: algorithm });
    const { ring, clock, codec } = await setUp(jwt, await memoryStore());
    const now = seconds(clock());
    const token = codec.sign(claims(now), now);
    const kid = ring.signer(now).kid as string;
    expect(header(token)).toEqual({ alg: algorithm, kid, typ: 'JWT' });
    expect(codec.verify(token, now)).toEqual({ ok: true, claims: claims(now) });

    // A second installation's key, given this one's kid: the signature does not verify.
    const other = await setUp(jwt, await memoryStore());
    const forged = other.codec.sign(claims(now), now);
    const [, payload, signature] = forged.split('.');
    const relabelled = `${token.split('.')[0]}.${payload}.${signature}`;
    expect(codec.verify(relabelled, now)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(codec.verify(forged, now)).toEqual({ ok: false, reason: 'unknown_key' });
  });
});

describe('asymmetric keys', () => {
  test('ES256 signs r||s (64 bytes, JOSE), not DER; the JWKS key verifies it', async () => {
    const jwt = jwtConfig({ GATEHOUSE_ALGORITHM: 'ES256' });
    const { ring, clock, codec } = await setUp(jwt, await memoryStore());
    const now = seconds(clock());
    const token = codec.sign(claims(now), now);
    const [head, body, signature] = token.split('.') as [string, string, string];
    expect(Buffer.from(signature, 'base64url')).toHaveLength(64);
    const [jwk] = await ring.publicKeys();
    expect(jwk).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: expect.any(String),
      y: expect.any(String),
      kid: header(token).kid,
      alg: 'ES256',
      use: 'sig',
    });
    const publicKey = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    const input = Buffer.from(`${head}.${body}`);
    const bytes = Buffer.from(signature, 'base64url');
    expect(verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, bytes)).toBe(true);
  });

  test('RS256 keys are 2048 bits; EdDSA keys Ed25519; the kid is the RFC 7638 thumbprint', async () => {
    for (const [algorithm, expected] of [
      ['RS256', { kty: 'RSA', n: expect.any(String), e: 'AQAB' }],
      ['EdDSA', { kty: 'OKP', crv: 'Ed25519', x: expect.any(String) }],
    ] as const) {
      const { ring } = await setUp(jwtConfig({ GATEHOUSE_ALGORITHM: algorithm }), await memoryStore());
      const [jwk] = await ring.publicKeys();
      expect(jwk).toEqual({
        ...expected,
        kid: expect.stringMatching(/^[\w-]{43}$/),
        alg: algorithm,
        use: 'sig',
      });
      const publicKey = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
      if (algorithm === 'RS256') expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
      // RFC 7638 §3.1's own example computes the same way: SHA-256 of the required members, sorted.
      const members =
        algorithm === 'RS256'
          ? { e: jwk?.e, kty: 'RSA', n: jwk?.n }
          : { crv: 'Ed25519', kty: 'OKP', x: jwk?.x };
      const digest = createHash('sha256').update(JSON.stringify(members));
      expect(jwk?.kid).toBe(digest.digest('base64url'));
    }
  });

  test('a token without a kid is refused (every asymmetric token Gatehouse signs has one)', async () => {
    const jwt = jwtConfig({ GATEHOUSE_ALGORITHM: 'EdDSA' });
    const { clock, codec } = await setUp(jwt, await memoryStore());
    const now = seconds(clock());
    const [, body, signature] = codec.sign(claims(now), now).split('.');
    const noKid = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' })).toString('base64url');
    expect(codec.verify(`${noKid}.${body}.${signature}`, now)).toEqual({ ok: false, reason: 'unknown_key' });
  });
});

describe('encryption at rest', () => {
  test('the stored private half is sealed: neither the PEM, the JWK nor the secret appear', async () => {
    for (const algorithm of ['EdDSA', 'ES256', 'RS256', 'HS256'] as const) {
      const store = await memoryStore();
      await setUp(jwtConfig({ GATEHOUSE_ALGORITHM: algorithm }), store);
      const [stored] = await store.listSigningKeys();
      expect(stored?.privateKey).toMatch(/^aes-256-gcm:[\w-]{11}:[\w-]{16}:[\w-]+:[\w-]{22}$/);
      expect(stored?.privateKey).not.toMatch(/PRIVATE KEY|"d"|plaintext/);
      expect(stored?.publicJwk === null).toBe(algorithm === 'HS256');
    }
  });

  test('a wrong key-encryption key stops the start with a clear error; the right one opens', async () => {
    const store = await memoryStore();
    await setUp(jwtConfig({ GATEHOUSE_ALGORITHM: 'EdDSA' }), store);
    const [stored] = await store.listSigningKeys();
    const wrong = jwtConfig({ GATEHOUSE_ALGORITHM: 'EdDSA', GATEHOUSE_KEY_ENCRYPTION_KEY: OTHER_KEK });
    const error = await openKeyRing({ jwt: wrong, store }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(
        new RegExp(
          `^GATEHOUSE_KEY_ENCRYPTION_KEY: is not the key signing key ${stored?.kid} was encrypted with ` +
            '\\(key-encryption key id [\\w-]{11}; this one is [\\w-]{11}\\): set the key it was encrypted with$',
        ),
      ),
    ]);
    // Nothing was added or changed by the failed start.
    expect(await store.listSigningKeys()).toEqual([stored]);
    await expect(
      openKeyRing({ jwt: jwtConfig({ GATEHOUSE_ALGORITHM: 'EdDSA' }), store }),
    ).resolves.toBeDefined();
  });

  test('HMAC: without a key-encryption key the secret is kept in the clear; once one is set, only gatehouse keys seal seals it', async () => {
    const store = await memoryStore();
    const plain = parseConfig({}).jwt;
    const first = await setUp(plain, store);
    const now = seconds(first.clock());
    const token = first.codec.sign(claims(now), now);
    const [stored] = await store.listSigningKeys();
    expect(stored?.privateKey).toMatch(/^plaintext:/);

    // A start with a key-encryption key refuses the key in the clear, and changes nothing.
    const refused = await openKeyRing({ jwt: jwtConfig(), store }).catch((caught: unknown) => caught);
    expect((refused as ConfigError).problems).toEqual([plaintextProblem(stored?.kid as string)]);
    expect(await store.listSigningKeys()).toEqual([stored]);

    // `gatehouse keys seal`.
    expect(await sealSigningKeys(await store.listSigningKeys(), KEK_BYTES, store)).toEqual([stored?.kid]);
    const sealed = await setUp(jwtConfig(), store, first.clock);
    const [resealed] = await store.listSigningKeys();
    expect(resealed?.kid).toBe(stored?.kid);
    expect(resealed?.privateKey).toMatch(/^aes-256-gcm:/);
    expect(sealed.codec.verify(token, now).ok).toBe(true);

    // Now the key-encryption key cannot be dropped again.
    const error = await openKeyRing({ jwt: plain, store }).catch((caught: unknown) => caught);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(
        /^GATEHOUSE_KEY_ENCRYPTION_KEY: unset, but signing key [\w-]+ in the database is encrypted/,
      ),
    ]);
  });

  test.each(['HS256', 'EdDSA'] as const)(
    '%s: a key planted in the clear by someone who can write the database is refused while a key-encryption key is set',
    async (algorithm) => {
      const store = await memoryStore();
      const jwt = jwtConfig({ GATEHOUSE_ALGORITHM: algorithm });
      const { clock } = await setUp(jwt, store);
      // The attacker's own key, written as Gatehouse keeps keys without a KEK, dated so that it would sign.
      const made = newSigningKey(jwt, new Date(clock().getTime() - 3600_000));
      const opened = openStoredKey(made, KEK_BYTES);
      const secret = opened.ok ? opened.secret.toString('base64url') : '';
      const planted = { ...made, privateKey: `plaintext:${secret}` };
      await store.addSigningKey(planted);
      const error = await openKeyRing({ jwt, store, clock }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([plaintextProblem(planted.kid)]);
      // Not sealed on the way: the row stays as written, for the operator to look at.
      const row = (await store.listSigningKeys()).find((record) => record.kid === planted.kid);
      expect(row?.privateKey).toBe(planted.privateKey);
    },
  );

  test('a sealed key copied into another row does not open there', async () => {
    const store = await memoryStore();
    const jwt = jwtConfig();
    await setUp(jwt, store);
    const [stored] = await store.listSigningKeys();
    const copy = newSigningKey(jwt, new Date());
    await store.addSigningKey({ ...copy, privateKey: stored?.privateKey as string });
    const error = await openKeyRing({ jwt, store }).catch((caught: unknown) => caught);
    expect((error as ConfigError).problems).toEqual([
      `signing key ${copy.kid}: its stored private key does not decrypt: it is damaged or was changed`,
    ]);
  });
});

describe('the secret generated before keys had their own table', () => {
  test('migration 0002 makes it the first key: its kid-less tokens stay valid, and it signs with a kid', async () => {
    const db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }),
    });
    const migrator = new Migrator({ db, provider: migrationProvider('sqlite') });
    expect((await migrator.migrateTo('0001_initial')).error).toBeUndefined();
    const legacy = 'legacy-secret-generated-by-0001-0123456789abcdef';
    await db
      .insertInto('secrets')
      .values({ name: 'jwt_signing_key', value: legacy, created: '2025-01-01T00:00:00.000Z' })
      .execute();
    const store = createKyselyStore(db);
    stores.push(store);
    expect(await store.migrate()).toEqual([
      '0002_signing_keys',
      '0003_session_methods',
      '0004_one_time_tokens',
      '0005_email',
      '0006_session_browser',
      '0007_factors',
      '0008_roles',
    ]);
    expect(await db.selectFrom('secrets').selectAll().execute()).toEqual([]);
    const [moved] = await store.listSigningKeys();
    expect(moved).toMatchObject({
      algorithm: 'HMAC',
      status: 'active',
      createdAt: new Date('2025-01-01T00:00:00.000Z'),
    });

    // 0002 moved it as it was kept, in the clear: a first start with a key-encryption key asks for
    // `gatehouse keys seal`.
    const refused = await openKeyRing({ jwt: jwtConfig(), store }).catch((caught: unknown) => caught);
    expect((refused as ConfigError).problems).toEqual([plaintextProblem(moved?.kid as string)]);
    expect(await sealSigningKeys(await store.listSigningKeys(), KEK_BYTES, store)).toEqual([moved?.kid]);
    const { ring, clock, codec } = await setUp(jwtConfig(), store);
    const now = seconds(clock());
    // A token as 0001-era Gatehouse signed it: simplejwt's header, no kid.
    const head = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
    const body = Buffer.from(JSON.stringify(claims(now))).toString('base64url');
    const mac = createHmac('sha256', legacy).update(`${head}.${body}`).digest('base64url');
    expect(codec.verify(`${head}.${body}.${mac}`, now)).toEqual({ ok: true, claims: claims(now) });
    expect(header(codec.sign(claims(now), now))).toEqual({ alg: 'HS256', kid: moved?.kid, typ: 'JWT' });
    expect(ring.signer(now).kid).toBe(moved?.kid);
  });
});

describe('rotation across instances', () => {
  test('a key added elsewhere is verified at once (unknown kid), signs after ACTIVATION_DELAY, stops when retired', async () => {
    const jwt = jwtConfig({ GATEHOUSE_ALGORITHM: 'EdDSA' });
    const store = await memoryStore();
    const clock = testClock();
    const a = await setUp(jwt, store, clock);
    const b = await setUp(jwt, store, clock);
    const now = () => seconds(clock());
    const first = a.ring.signer(now()).kid as string;
    expect(b.ring.signer(now()).kid).toBe(first);
    const oldToken = a.codec.sign(claims(now()), now());

    // `gatehouse keys rotate`.
    const added = newSigningKey(jwt, clock());
    await store.addSigningKey(added);
    clock.advance(REFRESH_COOLDOWN);
    expect((await a.ring.publicKeys()).map((key) => key.kid)).toEqual([first]); // not stale yet
    expect(await a.ring.refresh()).toBe(true);
    expect((await a.ring.publicKeys()).map((key) => key.kid)).toEqual([added.kid, first]);
    // Published, not signing yet.
    expect(a.ring.signer(now()).kid).toBe(first);
    clock.advance(ACTIVATION_DELAY);
    const newToken = a.codec.sign(claims(now()), now());
    expect(header(newToken).kid).toBe(added.kid);

    // Instance b has not reloaded: the unknown kid makes it.
    expect(b.codec.verify(newToken, now())).toEqual({ ok: false, reason: 'unknown_key' });
    expect(await b.codec.refreshKeys()).toBe(true);
    expect(b.codec.verify(newToken, now()).ok).toBe(true);
    expect(b.codec.verify(oldToken, now()).ok).toBe(true);

    // `gatehouse keys retire <first>`: refused once each instance reloads.
    expect(await store.retireSigningKey(first, 'EdDSA', clock())).toBe('retired');
    clock.advance(REFRESH_COOLDOWN);
    await b.ring.refresh();
    expect(b.codec.verify(oldToken, now())).toEqual({ ok: false, reason: 'unknown_key' });
    expect(await b.codec.refreshKeys()).toBe(false);
    expect(b.codec.verify(newToken, now()).ok).toBe(true);
  });

  test('reloads: on unknown kids at most every REFRESH_COOLDOWN; by itself every RELOAD_INTERVAL', async () => {
    const jwt = jwtConfig({ GATEHOUSE_ALGORITHM: 'EdDSA' });
    const store = await memoryStore();
    const list = vi.spyOn(store, 'listSigningKeys');
    const { ring, clock } = await setUp(jwt, store);
    list.mockClear();
    const now = () => seconds(clock());

    // A flood of made-up kids costs one query per cooldown.
    const refreshes = await Promise.all(Array.from({ length: 50 }, () => ring.refresh()));
    expect(refreshes.every((changed) => !changed)).toBe(true);
    expect(list).toHaveBeenCalledTimes(0);
    clock.advance(REFRESH_COOLDOWN);
    await Promise.all([ring.refresh(), ring.refresh(), ring.refresh()]);
    expect(list).toHaveBeenCalledTimes(1);

    // Verifying after RELOAD_INTERVAL starts a reload in the background; the request does not wait.
    ring.find('x', now());
    expect(list).toHaveBeenCalledTimes(1);
    clock.advance(RELOAD_INTERVAL);
    expect(ring.find('x', now())).toBeUndefined();
    expect(list).toHaveBeenCalledTimes(2);
    ring.find('x', now());
    await ring.refresh();
    expect(list).toHaveBeenCalledTimes(2);
  });

  test('a reload that fails keeps the keys and reports the error', async () => {
    const jwt = jwtConfig({ GATEHOUSE_ALGORITHM: 'EdDSA' });
    const store = await memoryStore();
    const clock = testClock();
    const onError = vi.fn();
    const ring = await openKeyRing({ jwt, store, clock, onError });
    const kid = ring.signer(seconds(clock())).kid;
    vi.spyOn(store, 'listSigningKeys').mockRejectedValue(new Error('database down'));
    clock.advance(REFRESH_COOLDOWN);
    expect(await ring.refresh()).toBe(false);
    expect(onError).toHaveBeenCalledWith(new Error('database down'));
    expect(ring.find(kid, seconds(clock()))).toBeDefined();
  });

  test('instances starting together on an empty database share one first key', async () => {
    const jwt = jwtConfig({ GATEHOUSE_ALGORITHM: 'ES256' });
    const store = await memoryStore();
    const rings = await Promise.all(Array.from({ length: 5 }, () => openKeyRing({ jwt, store })));
    const kids = new Set(rings.map((ring) => ring.signer(seconds(new Date())).kid));
    expect(kids.size).toBe(1);
    expect(await store.listSigningKeys()).toHaveLength(1);
  });
});

describe('pickSigner', () => {
  const key = (name: string, createdAt: number) => ({ name, createdAt });
  test('the newest key published for ACTIVATION_DELAY; before that, the oldest', () => {
    const now = 10_000;
    const old = key('old', now - 1000);
    const fresh = key('fresh', now - ACTIVATION_DELAY + 1);
    const ready = key('ready', now - ACTIVATION_DELAY);
    expect(pickSigner([fresh, old], now)).toBe(old);
    expect(pickSigner([fresh, ready, old], now)).toBe(ready);
    expect(pickSigner([fresh], now)).toBe(fresh);
    expect(pickSigner([key('newer', now), fresh], now)?.name).toBe('fresh');
    expect(pickSigner([], now)).toBeUndefined();
  });
});
