import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { openKeyRing } from '../auth/key-ring.js';
import { createPasswordHasher } from '../auth/passwords.js';
import { newSigningKey } from '../auth/signing-keys.js';
import { parseConfig, type Config } from '../config.js';
import { openStore } from '../store/open-store.js';
import { startMailServer, type TestMailServer } from '../testing/mail-server.js';
import { diagnose, duration, formatFinding, keyWeakness, type DoctorFacts, type Finding } from './doctor.js';
import { HELP, runCli } from './run.js';

const NOW = new Date('2025-06-01T12:00:00Z');
const STRONG_KEY =
  'c0b5e1f2d3a4968778695a4b3c2d1e0f1f2e3d4c5b6a79880f1e2d3c4b5a6978' +
  '8a9b0c1d2e3f4051627384950a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d';
const FIX_KEY = 'set 64 random bytes: openssl rand -hex 64';
const KEK = Buffer.alloc(32, 1).toString('base64');
const OTHER_KEK = Buffer.alloc(32, 2).toString('hex');

function config(env: Record<string, string> = {}): Config {
  return parseConfig({ DATABASE_URL: 'sqlite:/srv/gatehouse/db.sqlite3', ...env });
}

function facts(overrides: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    now: NOW,
    databasePath: '/srv/gatehouse/db.sqlite3',
    database: 'ready',
    storedSigningKey: true,
    newestTimestamp: undefined,
    ...overrides,
  };
}

/** The finding of one check. */
function finding(check: string, cfg: Config, f: DoctorFacts = facts()): Finding {
  const found = diagnose(cfg, f).find((item) => item.check === check);
  if (!found) throw new Error(`no check ${check}`);
  return found;
}

function line(check: string, cfg: Config, f?: DoctorFacts): string {
  return formatFinding(finding(check, cfg, f));
}

const PRODUCTION = { NODE_ENV: 'production' };

describe('diagnose', () => {
  test('the defaults, outside production, pass every check', () => {
    expect(diagnose(config(), facts()).map(formatFinding)).toEqual([
      'OK    database: sqlite /srv/gatehouse/db.sqlite3',
      'OK    signing key: generated and stored in /srv/gatehouse/db.sqlite3 (table signing_keys)',
      'OK    CORS: no origin listed (same origin only)',
      'OK    HTTPS: HOST=127.0.0.1, reachable from this machine only ' +
        '(a reverse proxy here needs GATEHOUSE_TRUSTED_PROXIES=127.0.0.1 for client IPs and HTTPS)',
      'OK    trusted proxies: none: X-Forwarded-For is ignored',
      'OK    refresh rotation: on; a spent refresh token presented again ends its session',
      'OK    access token lifetime: 5m',
      'OK    refresh token lifetime: 1d',
      'OK    session idle timeout: 1d (absolute lifetime 30d)',
      'OK    rotation grace period: 5s',
      'OK    leeway: 0s',
      'OK    rate limits: on',
      "OK    argon2: argon2id m=19456 KiB, t=2, p=1 (OWASP's floor); each login costs 19 MiB of memory",
      'OK    password length: at least 8 characters (NIST SP 800-63B-4 asks 15 for a password used alone, ' +
        '8 with a second factor)',
      'OK    clock: nothing recorded yet to compare with',
      'OK    public URL: links in mails start with http://127.0.0.1:8000',
      `OK    mail: no GATEHOUSE_SMTP_URL: mail is written as .eml files to ${path.resolve('data', 'outbox')}`,
    ]);
  });

  describe('database', () => {
    test('each state of the database file', () => {
      expect(line('database', config(), facts({ database: 'missing' }))).toBe(
        'WARN  database: /srv/gatehouse/db.sqlite3 does not exist (the server creates it on first start)' +
          ' — check DATABASE_URL if it should already hold data',
      );
      expect(line('database', config(), facts({ database: 'no-schema' }))).toBe(
        'WARN  database: /srv/gatehouse/db.sqlite3 has no Gatehouse tables' +
          ' — check DATABASE_URL, or run: gatehouse migrate',
      );
      const memory = facts({ database: 'memory', databasePath: ':memory:' });
      expect(finding('database', config(), memory).level).toBe('OK');
      expect(line('database', config(PRODUCTION), memory)).toBe(
        'WARN  database: in memory: every account and session is lost when the server stops' +
          ' — set DATABASE_URL=sqlite:<path>',
      );
    });
  });

  describe('signing key', () => {
    test.each([
      [
        'your-256-bit-secret-your-256-bit-secret',
        'contains a well-known example value ("your-256-bit-secret")',
      ],
      [
        'Your_512_Bit_Secret-and-then-some-more-1',
        'contains a well-known example value ("your-512-bit-secret")',
      ],
      ['changeme-changeme-changeme-changeme!', 'contains a well-known example value ("changeme")'],
      ['keyboard cat keyboard cat keyboard cat', 'contains a well-known example value ("keyboard cat")'],
      ['my-super-secret-jwt-key-for-production', 'contains a well-known example value ("secret")'],
      [
        'django-insecure-8#k2@x!q7v0m^zt4w1(hfn3$y6r-5pajc9gbdlse',
        'is a Django development key (django-insecure-…), usually committed with the code',
      ],
      ['x'.repeat(64), 'is one character repeated'],
      ['abc123'.repeat(6), 'is a 6-character pattern repeated'],
      ['0123456789ab'.repeat(3) + '0123', 'is a 12-character pattern repeated'],
      ['thequickbrownfoxjumpsoverthelazydog', 'is only lower-case letters: a word or phrase'],
      ['aabbaabbaabbaaabbbababab1212121221', 'uses only 4 different characters'],
    ])('%j: FAIL', (key, weakness) => {
      expect(keyWeakness(key)).toBe(weakness);
      expect(line('signing key', config({ GATEHOUSE_SIGNING_KEY: key }))).toBe(
        `FAIL  signing key: GATEHOUSE_SIGNING_KEY ${weakness} — ${FIX_KEY}`,
      );
    });

    test.each([
      STRONG_KEY,
      'rY7vQ2pL9xW4mZ8kT1nB6cF3hJ5dS0aG', // 32 random alphanumerics
      'J8pXk2Qv9mZr4Tn7Lw1Yc6Hd3Bf0Sg5Ka8Ue2Ri9Oq4Pz7Mx1Nj6Vb3Ct0Ly5Dh8Gw2Ek9Fs4Ia7',
      'thequickbrownfoxjumpsoverthelazydogagain', // 40 lower-case letters: long enough
    ])('%j: OK', (key) => {
      expect(keyWeakness(key)).toBeUndefined();
      expect(line('signing key', config({ GATEHOUSE_SIGNING_KEY: key }), facts())).toBe(
        `OK    signing key: GATEHOUSE_SIGNING_KEY set (${key.length} bytes)`,
      );
      // Set from the environment, it is not in the database: production has nothing to add.
      expect(finding('signing key', config({ ...PRODUCTION, GATEHOUSE_SIGNING_KEY: key })).level).toBe('OK');
    });

    test('unset: generated per database, which production is told to avoid', () => {
      expect(line('signing key', config(), facts({ storedSigningKey: false }))).toBe(
        'OK    signing key: not generated yet: 64 random bytes are stored in /srv/gatehouse/db.sqlite3 on first start',
      );
      expect(line('signing key', config(PRODUCTION))).toBe(
        'WARN  signing key: generated and stored in /srv/gatehouse/db.sqlite3 (table signing_keys), ' +
          'next to the data: a copy or dump of the database leaks it' +
          ' — set GATEHOUSE_KEY_ENCRYPTION_KEY (openssl rand -base64 32, from a secret manager) to keep it encrypted, ' +
          'or GATEHOUSE_SIGNING_KEY (openssl rand -hex 64; existing tokens stop working)',
      );
      expect(finding('signing key', config(PRODUCTION), facts({ storedSigningKey: false })).level).toBe(
        'WARN',
      );
      expect(line('signing key', config(), facts({ database: 'memory', databasePath: ':memory:' }))).toBe(
        'OK    signing key: generated at each start (in-memory database)',
      );
    });

    test('with a key-encryption key: stored encrypted, which production accepts', () => {
      const env = { ...PRODUCTION, GATEHOUSE_KEY_ENCRYPTION_KEY: KEK };
      expect(line('signing key', config(env))).toBe(
        'OK    signing key: generated and stored in /srv/gatehouse/db.sqlite3 ' +
          '(table signing_keys, encrypted with GATEHOUSE_KEY_ENCRYPTION_KEY)',
      );
      expect(
        line(
          'signing key',
          config({ ...env, GATEHOUSE_ALGORITHM: 'EdDSA' }),
          facts({ storedSigningKey: false }),
        ),
      ).toBe(
        'OK    signing key: not generated yet: an EdDSA key pair is stored in /srv/gatehouse/db.sqlite3 ' +
          'on first start, encrypted with GATEHOUSE_KEY_ENCRYPTION_KEY',
      );
    });

    test('stored keys that the key-encryption key does not open: FAIL', () => {
      const eddsa = config({ GATEHOUSE_ALGORITHM: 'EdDSA', GATEHOUSE_KEY_ENCRYPTION_KEY: KEK });
      const stored = newSigningKey(eddsa.jwt, NOW);
      const signingKeys = [{ kid: stored.kid, algorithm: stored.algorithm, privateKey: stored.privateKey }];
      expect(finding('signing key', eddsa, facts({ signingKeys })).level).toBe('OK');
      const other = config({ GATEHOUSE_ALGORITHM: 'EdDSA', GATEHOUSE_KEY_ENCRYPTION_KEY: OTHER_KEK });
      expect(line('signing key', other, facts({ signingKeys }))).toMatch(
        new RegExp(
          `^FAIL  signing key: GATEHOUSE_KEY_ENCRYPTION_KEY: is not the key signing key ${stored.kid} was ` +
            'encrypted with .*: the server refuses to start — set GATEHOUSE_KEY_ENCRYPTION_KEY to the key the ' +
            'signing keys were encrypted with$',
        ),
      );
      // Keys of another algorithm are not used, and not checked.
      expect(
        finding('signing key', config({ GATEHOUSE_KEY_ENCRYPTION_KEY: OTHER_KEK }), facts({ signingKeys }))
          .level,
      ).toBe('OK');
    });
  });

  test('a key kept in the clear while a key-encryption key is set: FAIL, run gatehouse keys seal', () => {
    const stored = newSigningKey(config().jwt, NOW);
    const signingKeys = [{ kid: stored.kid, algorithm: stored.algorithm, privateKey: stored.privateKey }];
    expect(finding('signing key', config(), facts({ signingKeys })).level).toBe('OK');
    expect(line('signing key', config({ GATEHOUSE_KEY_ENCRYPTION_KEY: KEK }), facts({ signingKeys }))).toBe(
      `FAIL  signing key: signing key ${stored.kid}: stored unencrypted, but GATEHOUSE_KEY_ENCRYPTION_KEY is ` +
        'set: a key written in the clear into the database is not trusted; if it is yours (kept before the ' +
        'key-encryption key was set), encrypt it: gatehouse keys seal: the server refuses to start — check ' +
        'that the key is yours (gatehouse keys list), then run: gatehouse keys seal',
    );
  });

  describe('OIDC providers', () => {
    const corp = (issuer: string, env: Record<string, string> = {}) =>
      config({
        GATEHOUSE_OIDC_PROVIDERS: 'corp',
        GATEHOUSE_OIDC_CORP_ISSUER: issuer,
        GATEHOUSE_OIDC_CORP_CLIENT_ID: 'id',
        GATEHOUSE_OIDC_CORP_CLIENT_SECRET: 'secret',
        ...env,
      });

    test('each provider says the redirect URI to register', () => {
      expect(line('OIDC provider corp', corp('https://idp.example.com'))).toBe(
        'OK    OIDC provider corp: register the redirect URI ' +
          'http://127.0.0.1:8000/api/auth/oidc/corp/callback at https://idp.example.com',
      );
    });

    test('in production, a loopback http issuer WARNs and an http redirect URI FAILs', () => {
      expect(
        line(
          'OIDC provider corp',
          corp('http://127.0.0.1:9000', { ...PRODUCTION, GATEHOUSE_PUBLIC_URL: 'https://auth.example.com' }),
        ),
      ).toMatch(/^WARN {2}OIDC provider corp: http:\/\/127\.0\.0\.1:9000 is a loopback address over http/);
      expect(line('OIDC provider corp', corp('https://idp.example.com', PRODUCTION))).toMatch(
        /^FAIL {2}OIDC provider corp: the redirect URI http:\/\/127\.0\.0\.1:8000\/api\/auth\/oidc\/corp\/callback is plain http/,
      );
    });

    test('an http issuer elsewhere than loopback FAILs (parseConfig refuses it; a config made otherwise is checked)', () => {
      const made = corp('https://idp.example.com');
      const forged = {
        ...made,
        oidc: { providers: made.oidc.providers.map((p) => ({ ...p, issuer: 'http://idp.example.com' })) },
      } as Config;
      expect(line('OIDC provider corp', forged)).toMatch(
        /^FAIL {2}OIDC provider corp: http:\/\/idp\.example\.com over plain http/,
      );
    });
  });

  describe('CORS', () => {
    const origins = (list: string, env: Record<string, string> = PRODUCTION) =>
      config({ ...env, GATEHOUSE_CORS_ALLOWED_ORIGINS: list });

    test('https origins, and http ones outside production, are OK', () => {
      expect(line('CORS', origins('https://app.example.com,https://admin.example.com'))).toBe(
        'OK    CORS: only https://app.example.com, https://admin.example.com',
      );
      expect(finding('CORS', origins('http://localhost:3000,http://app.test', {})).level).toBe('OK');
    });

    test('in production an http origin on another host FAILs, a localhost one WARNs', () => {
      expect(line('CORS', origins('https://app.example.com,http://app.example.com'))).toBe(
        'FAIL  CORS: http://app.example.com allowed in production: anyone on the network path can inject a page there' +
          ' — use https:// origins in GATEHOUSE_CORS_ALLOWED_ORIGINS',
      );
      expect(line('CORS', origins('http://localhost:3000,http://127.0.0.1:5173'))).toBe(
        'WARN  CORS: http://localhost:3000, http://127.0.0.1:5173 allowed in production: a development origin' +
          ' — remove it from GATEHOUSE_CORS_ALLOWED_ORIGINS',
      );
      expect(finding('CORS', origins('http://localhost:3000,http://10.0.0.5:3000')).level).toBe('FAIL');
    });

    test('"null" (refused by parseConfig, checked all the same) FAILs everywhere', () => {
      const open: Config = { ...config(), corsAllowedOrigins: ['https://app.example.com', 'null'] };
      expect(line('CORS', open)).toBe(
        'FAIL  CORS: null allowed: any page (a sandboxed iframe, a local file) can call the API' +
          ' — list only the exact https:// origins of your front ends in GATEHOUSE_CORS_ALLOWED_ORIGINS',
      );
    });
  });

  describe('HTTPS', () => {
    test('production on a public address without a trusted proxy WARNs', () => {
      expect(line('HTTPS', config({ ...PRODUCTION, HOST: '0.0.0.0' }))).toBe(
        'WARN  HTTPS: HOST=0.0.0.0 with no trusted proxy: likely exposed over plain HTTP, passwords and tokens in clear' +
          ' — terminate TLS in a reverse proxy and set GATEHOUSE_TRUSTED_PROXIES',
      );
      expect(finding('HTTPS', config({ ...PRODUCTION, HOST: '::' })).level).toBe('WARN');
    });

    test('production behind a TLS-terminating proxy that is not trusted (an https public URL) FAILs', () => {
      const https = { ...PRODUCTION, GATEHOUSE_PUBLIC_URL: 'https://auth.example.com' };
      const untrusted =
        'GATEHOUSE_PUBLIC_URL is https://auth.example.com but Gatehouse serves plain HTTP, so a proxy in front ' +
        'terminates TLS, and GATEHOUSE_TRUSTED_PROXIES is empty: its X-Forwarded-Proto and X-Forwarded-For are ' +
        'ignored, so the refresh cookie is not Secure, HSTS is never sent, and every client has the ' +
        "proxy's address: one IP for the login throttle and rate limits, where a few clients' failures " +
        "block everyone's logins — set GATEHOUSE_TRUSTED_PROXIES to the proxy's address (127.0.0.1 when it " +
        'runs on this machine) and have it send X-Forwarded-For and X-Forwarded-Proto';
      for (const host of ['127.0.0.1', '0.0.0.0', '::']) {
        expect(line('HTTPS', config({ ...https, HOST: host }))).toBe(`FAIL  HTTPS: ${untrusted}`);
      }
      // Outside production (a staging server behind TLS) the same is a warning.
      expect(line('HTTPS', config({ GATEHOUSE_PUBLIC_URL: 'https://staging.example.com' }))).toMatch(
        /^WARN {2}HTTPS: GATEHOUSE_PUBLIC_URL is https:\/\/staging\.example\.com but Gatehouse serves plain HTTP/,
      );
      // Trusted, the proxy's forwarding headers are believed.
      expect(line('HTTPS', config({ ...https, GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1' }))).toBe(
        'OK    HTTPS: behind a trusted proxy: HSTS is sent when it forwards X-Forwarded-Proto: https',
      );
    });

    test('a loopback HOST, a trusted proxy, or not production is OK', () => {
      for (const host of ['127.0.0.1', 'localhost', '::1']) {
        expect(finding('HTTPS', config({ ...PRODUCTION, HOST: host })).level).toBe('OK');
      }
      expect(
        line('HTTPS', config({ ...PRODUCTION, HOST: '0.0.0.0', GATEHOUSE_TRUSTED_PROXIES: '10.0.0.2' })),
      ).toBe('OK    HTTPS: behind a trusted proxy: HSTS is sent when it forwards X-Forwarded-Proto: https');
      expect(line('HTTPS', config({ HOST: '0.0.0.0' }))).toBe(
        'OK    HTTPS: HOST=0.0.0.0 serves plain HTTP (not production)',
      );
    });
  });

  describe('trusted proxies', () => {
    test.each(['0.0.0.0/0', '::/0', '10.0.0.0/8', '192.168.1.1,4.0.0.0/6'])('%s WARNs', (proxies) => {
      expect(finding('trusted proxies', config({ GATEHOUSE_TRUSTED_PROXIES: proxies })).level).toBe('WARN');
    });

    test('the line names the broad range', () => {
      expect(line('trusted proxies', config({ GATEHOUSE_TRUSTED_PROXIES: '10.0.0.2,10.0.0.0/8' }))).toBe(
        'WARN  trusted proxies: 10.0.0.0/8 is very broad: any host in it can set X-Forwarded-For ' +
          'and choose the client IP the login throttle and rate limits see' +
          " — list only your proxies' addresses in GATEHOUSE_TRUSTED_PROXIES",
      );
    });

    test('addresses and narrow ranges are OK', () => {
      expect(
        line('trusted proxies', config({ GATEHOUSE_TRUSTED_PROXIES: '10.0.0.2,172.16.0.0/12,fd00::/9' })),
      ).toBe('OK    trusted proxies: 10.0.0.2, 172.16.0.0/12, fd00::/9');
    });
  });

  describe('refresh rotation', () => {
    test('rotation off WARNs', () => {
      expect(line('refresh rotation', config({ GATEHOUSE_ROTATE_REFRESH_TOKENS: 'false' }))).toBe(
        'WARN  refresh rotation: GATEHOUSE_ROTATE_REFRESH_TOKENS=false: a stolen refresh token works until it expires, unnoticed' +
          ' — set GATEHOUSE_ROTATE_REFRESH_TOKENS=true',
      );
    });

    test('blacklist off WARNs', () => {
      expect(line('refresh rotation', config({ GATEHOUSE_BLACKLIST_AFTER_ROTATION: 'false' }))).toBe(
        'WARN  refresh rotation: GATEHOUSE_BLACKLIST_AFTER_ROTATION=false: a rotated refresh token still works, ' +
          'so reuse is never detected — set GATEHOUSE_BLACKLIST_AFTER_ROTATION=true',
      );
    });
  });

  describe('lifetimes', () => {
    test.each([
      ['15m', 'OK'],
      ['901', 'WARN'],
      ['1h', 'WARN'],
      ['3601', 'FAIL'],
      ['1d', 'FAIL'],
    ])('access token lifetime %s: %s', (lifetime, level) => {
      expect(
        finding('access token lifetime', config({ GATEHOUSE_ACCESS_TOKEN_LIFETIME: lifetime })).level,
      ).toBe(level);
    });

    test('a long access token lifetime says what to set', () => {
      expect(line('access token lifetime', config({ GATEHOUSE_ACCESS_TOKEN_LIFETIME: '30m' }))).toBe(
        'WARN  access token lifetime: 30m: a leaked access token works that long unless its session is ended' +
          ' — set GATEHOUSE_ACCESS_TOKEN_LIFETIME=5m (at most 15m); clients refresh',
      );
      expect(line('access token lifetime', config({ GATEHOUSE_ACCESS_TOKEN_LIFETIME: '2h' }))).toMatch(
        /^FAIL {2}/,
      );
    });

    test('a refresh lifetime over 30 days WARNs unless sessions end sooner', () => {
      expect(line('refresh token lifetime', config({ GATEHOUSE_REFRESH_TOKEN_LIFETIME: '30d' }))).toBe(
        'OK    refresh token lifetime: 30d',
      );
      expect(line('refresh token lifetime', config({ GATEHOUSE_REFRESH_TOKEN_LIFETIME: '90d' }))).toBe(
        'OK    refresh token lifetime: 90d (sessions end after 30d)',
      );
      expect(
        line(
          'refresh token lifetime',
          config({ GATEHOUSE_REFRESH_TOKEN_LIFETIME: '31d', GATEHOUSE_SESSION_ABSOLUTE_LIFETIME: '365d' }),
        ),
      ).toBe(
        'WARN  refresh token lifetime: 31d, sessions up to 365d: a login lasts over 30 days without a password' +
          ' — set GATEHOUSE_REFRESH_TOKEN_LIFETIME or GATEHOUSE_SESSION_ABSOLUTE_LIFETIME to 30d or less',
      );
    });

    test('an idle timeout longer than the absolute lifetime WARNs', () => {
      expect(
        line(
          'session idle timeout',
          config({ GATEHOUSE_SESSION_IDLE_TIMEOUT: '7d', GATEHOUSE_SESSION_ABSOLUTE_LIFETIME: '1d' }),
        ),
      ).toBe(
        'WARN  session idle timeout: 7d, longer than the absolute lifetime 1d: it never applies' +
          ' — set GATEHOUSE_SESSION_IDLE_TIMEOUT below GATEHOUSE_SESSION_ABSOLUTE_LIFETIME',
      );
      expect(finding('session idle timeout', config({ GATEHOUSE_SESSION_IDLE_TIMEOUT: '30d' })).level).toBe(
        'OK',
      );
    });

    test('leeway over 60 s WARNs', () => {
      expect(line('leeway', config({ GATEHOUSE_LEEWAY: '60' }))).toBe('OK    leeway: 60s');
      expect(line('leeway', config({ GATEHOUSE_LEEWAY: '61' }))).toBe(
        'WARN  leeway: 61s: expired tokens are accepted that long after their expiry' +
          ' — keep clocks in sync (NTP) and set GATEHOUSE_LEEWAY to 60 or less',
      );
    });

    test('a rotation grace period over 10 s WARNs', () => {
      expect(line('rotation grace period', config({ GATEHOUSE_ROTATION_GRACE_PERIOD: '10' }))).toBe(
        'OK    rotation grace period: 10s',
      );
      expect(line('rotation grace period', config({ GATEHOUSE_ROTATION_GRACE_PERIOD: '11' }))).toBe(
        'WARN  rotation grace period: 11s: a stolen refresh token replayed within it is not detected as reuse' +
          ' — set GATEHOUSE_ROTATION_GRACE_PERIOD to 10 or less (0 is safest)',
      );
    });
  });

  test('rate limits off WARN in production only', () => {
    expect(line('rate limits', config({ GATEHOUSE_RATE_LIMITS: 'false' }))).toBe(
      'OK    rate limits: off (not production)',
    );
    expect(line('rate limits', config({ ...PRODUCTION, GATEHOUSE_RATE_LIMITS: 'false' }))).toBe(
      'WARN  rate limits: GATEHOUSE_RATE_LIMITS=false in production: ' +
        'registration, refresh and password endpoints are unlimited — set GATEHOUSE_RATE_LIMITS=true',
    );
  });

  test('argon2: OK at or above the floor with its cost, FAIL below (a Config parseConfig would refuse)', () => {
    expect(
      line('argon2', config({ GATEHOUSE_ARGON2_MEMORY_COST: '65536', GATEHOUSE_ARGON2_TIME_COST: '3' })),
    ).toBe(
      "OK    argon2: argon2id m=65536 KiB, t=3, p=1 (above OWASP's floor); each login costs 64 MiB of memory",
    );
    const weak: Config = { ...config(), passwordHash: { memoryCost: 4096, timeCost: 1, parallelism: 1 } };
    expect(line('argon2', weak)).toBe(
      "FAIL  argon2: argon2id m=4096 KiB, t=1, p=1, below OWASP's floor" +
        ' — raise GATEHOUSE_ARGON2_MEMORY_COST / _TIME_COST to at least 19456 / 2',
    );
  });

  test('password length: what NIST SP 800-63B-4 asks beside the minimum; under 15 WARNs in production', () => {
    const nist = '(NIST SP 800-63B-4 asks 15 for a password used alone, 8 with a second factor)';
    expect(line('password length', config(PRODUCTION))).toBe(
      `WARN  password length: at least 8 characters ${nist}: in production, a password alone ` +
        'should be at least 15 characters long' +
        ' — set GATEHOUSE_PASSWORD_MIN_LENGTH=15 (existing passwords keep working; new ones must be that long)',
    );
    expect(
      finding('password length', config({ ...PRODUCTION, GATEHOUSE_PASSWORD_MIN_LENGTH: '14' })).level,
    ).toBe('WARN');
    for (const length of ['15', '64']) {
      expect(line('password length', config({ ...PRODUCTION, GATEHOUSE_PASSWORD_MIN_LENGTH: length }))).toBe(
        `OK    password length: at least ${length} characters ${nist}`,
      );
    }
    expect(line('password length', config({ GATEHOUSE_PASSWORD_MIN_LENGTH: '12' }))).toBe(
      `OK    password length: at least 12 characters ${nist}`,
    );
  });

  test('clock: a database record more than 60 s in the future WARNs', () => {
    const at = (seconds: number) => facts({ newestTimestamp: new Date(NOW.getTime() + seconds * 1000) });
    expect(line('clock', config(), at(-3600))).toBe('OK    clock: no database record is in the future');
    expect(line('clock', config(), at(60))).toBe('OK    clock: no database record is in the future');
    expect(line('clock', config(), at(7200))).toBe(
      "WARN  clock: the database has a record from 2025-06-01T14:00:00.000Z, 2h ahead of this machine's clock: " +
        'the clock went backwards or the database came from a machine whose clock is ahead — sync the clock with NTP',
    );
  });

  test('demo superuser: FAIL in production while admin still has its demo password; no line without it', () => {
    const demo = facts({ demoSuperuser: true });
    expect(line('demo superuser', config(PRODUCTION), demo)).toBe(
      'FAIL  demo superuser: admin still has the demo password (adminpass123): anyone can sign in as a superuser' +
        ' — set a new password (or deactivate or delete admin)',
    );
    expect(line('demo superuser', config(), demo)).toBe(
      'OK    demo superuser: admin has the demo password adminpass123 (not production)',
    );
    expect(diagnose(config(PRODUCTION), facts()).some((item) => item.check === 'demo superuser')).toBe(false);
  });

  test('Django tokens: when GATEHOUSE_DJANGO_SECRET_KEY can be unset; no line without it', () => {
    const key = { GATEHOUSE_DJANGO_SECRET_KEY: 'django-insecure-old-key' };
    const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
    expect(diagnose(config(), facts()).some((item) => item.check === 'Django tokens')).toBe(false);
    expect(line('Django tokens', config(key), facts())).toBe(
      'WARN  Django tokens: GATEHOUSE_DJANGO_SECRET_KEY is set but no user was imported from Django' +
        ' — run gatehouse import django, or unset GATEHOUSE_DJANGO_SECRET_KEY',
    );
    // The newest imported refresh token expires after the last import + the old lifetime (1d).
    const imported = facts({ django: { lastImport: at(-3600), newestToken: at(2 * 86400) } });
    expect(line('Django tokens', config(key), imported)).toBe(
      'OK    Django tokens: old Django tokens may be valid until 2025-06-03T12:00:00.000Z (the newest imported ' +
        'refresh token, or the last import + GATEHOUSE_DJANGO_REFRESH_TOKEN_LIFETIME=1d); ' +
        'GATEHOUSE_DJANGO_SECRET_KEY can be unset after that',
    );
    // No token imported: the last import + the lifetime the old site gave its refresh tokens.
    const noTokens = facts({ django: { lastImport: at(-3600), newestToken: undefined } });
    expect(
      line('Django tokens', config({ ...key, GATEHOUSE_DJANGO_REFRESH_TOKEN_LIFETIME: '7d' }), noTokens),
    ).toMatch(/^OK {4}Django tokens: old Django tokens may be valid until 2025-06-08T11:00:00.000Z/);
    const past = facts({ django: { lastImport: at(-2 * 86400), newestToken: at(-60) } });
    expect(line('Django tokens', config(key), past)).toBe(
      'WARN  Django tokens: no token of the old Django deployment can be valid since 2025-06-01T11:59:00.000Z' +
        " — unset GATEHOUSE_DJANGO_SECRET_KEY (the old site's key need not be kept any longer)",
    );
  });

  test('duration() uses the largest unit that divides exactly', () => {
    expect([0, 45, 90, 300, 5400, 7200, 86400, 90 * 86400].map(duration)).toEqual([
      '0s',
      '45s',
      '90s',
      '5m',
      '90m',
      '2h',
      '1d',
      '90d',
    ]);
  });
});

describe('mail and links', () => {
  const production = (env: Record<string, string> = {}) => config({ ...PRODUCTION, ...env });

  test('the public URL must be https in production', () => {
    expect(line('public URL', production())).toBe(
      'FAIL  public URL: http://127.0.0.1:8000 in production: the links in mails (password resets among them) ' +
        'open over plain HTTP — set GATEHOUSE_PUBLIC_URL to the https:// origin users reach, e.g. https://auth.example.com',
    );
    expect(line('public URL', production({ GATEHOUSE_PUBLIC_URL: 'https://auth.example.com/' }))).toBe(
      'OK    public URL: links in mails start with https://auth.example.com',
    );
    expect(line('public URL', config({ GATEHOUSE_PUBLIC_URL: 'http://localhost:5173' }))).toBe(
      'OK    public URL: links in mails start with http://localhost:5173',
    );
  });

  test('no SMTP server: fine on a laptop, a warning in production', () => {
    const outbox = { GATEHOUSE_MAIL_OUTBOX_DIR: '/srv/gatehouse/outbox' };
    expect(line('mail', config(outbox))).toBe(
      'OK    mail: no GATEHOUSE_SMTP_URL: mail is written as .eml files to /srv/gatehouse/outbox',
    );
    expect(line('mail', production(outbox))).toBe(
      'WARN  mail: no GATEHOUSE_SMTP_URL: mail is written as .eml files to /srv/gatehouse/outbox, and nobody ' +
        'receives it (verification, password reset) — set GATEHOUSE_SMTP_URL=smtp://user:password@host:587 (or smtps://…:465)',
    );
  });

  test('an SMTP server that does not answer FAILs; smtp:// to another host in production WARNs', () => {
    const url = { GATEHOUSE_SMTP_URL: 'smtp://user:pw@mail.example.com' };
    expect(line('mail', config(url), facts({ smtp: { ok: false, problem: 'ECONNECTION: refused' } }))).toBe(
      'FAIL  mail: smtp mail.example.com:587: ECONNECTION: refused; mail waits in the queue (gatehouse mail status)' +
        ' — check GATEHOUSE_SMTP_URL: host, port, user:password, smtp:// (STARTTLS) or smtps:// (TLS)',
    );
    expect(line('mail', config(url), facts({ smtp: { ok: true } }))).toBe(
      'OK    mail: smtp mail.example.com:587 answers and accepts the connection',
    );
    expect(line('mail', production(url), facts({ smtp: { ok: true } }))).toMatch(
      /^WARN {2}mail: smtp mail\.example\.com:587 answers and accepts the connection, but smtp:\/\/ uses TLS only if the server offers it/,
    );
    for (const safe of ['smtps://user:pw@mail.example.com', 'smtp://mail.example.com:587?requireTLS=true']) {
      expect(
        finding('mail', production({ GATEHOUSE_SMTP_URL: safe }), facts({ smtp: { ok: true } })).level,
      ).toBe('OK');
    }
  });
});

describe('gatehouse doctor', () => {
  let dir: string;
  let dbPath: string;
  let smtp: TestMailServer;
  /**
   * What production needs besides: an https public URL, the TLS-terminating proxy that implies trusted,
   * passwords of 15 characters, and an SMTP server that answers.
   */
  const productionReady = () => ({
    GATEHOUSE_PUBLIC_URL: 'https://auth.example.com',
    GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1',
    GATEHOUSE_PASSWORD_MIN_LENGTH: '15',
    GATEHOUSE_SMTP_URL: smtp.url,
  });

  beforeAll(async () => {
    smtp = await startMailServer({ auth: { user: 'relay', pass: 'relay-password' } });
  });
  afterAll(async () => {
    await smtp.close();
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-doctor-'));
    dbPath = path.join(dir, 'db.sqlite3');
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function cli(argv: string[], env: Record<string, string> = {}) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const code = await runCli(argv, {
      env: { DATABASE_URL: `sqlite:${dbPath}`, ...env },
      stdin: Readable.from([]),
      stdout,
      stderr,
    });
    await new Promise((resolve) => setImmediate(resolve));
    return { code, stdout: out, stderr: err };
  }

  const lines = (stdout: string) => stdout.trimEnd().split('\n');

  test('help lists doctor', async () => {
    expect(HELP).toContain(
      '\n  doctor                      Check the configuration for unsafe settings; exits 1 on a failure.\n',
    );
    expect((await cli(['help'])).stdout).toContain('  doctor  ');
  });

  test('a safe configuration exits 0, one line per check and the summary', async () => {
    expect((await cli(['migrate'])).code).toBe(0);
    const run = await cli(['doctor'], { GATEHOUSE_SIGNING_KEY: STRONG_KEY });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual([
      `OK    database: sqlite ${dbPath}`,
      'OK    signing key: GATEHOUSE_SIGNING_KEY set (128 bytes)',
      ...diagnose(config(), facts()).slice(2).map(formatFinding),
      'doctor: 0 failures, 0 warnings',
    ]);
    expect(run.stdout).not.toContain('FAIL');
  });

  test('a well-known signing key exits 1 with its FAIL line', async () => {
    const run = await cli(['doctor'], {
      GATEHOUSE_SIGNING_KEY: 'your-256-bit-secret-your-256-bit-secret',
    });
    expect(run.code).toBe(1);
    expect(lines(run.stdout)).toContain(
      'FAIL  signing key: GATEHOUSE_SIGNING_KEY contains a well-known example value ("your-256-bit-secret")' +
        ` — ${FIX_KEY}`,
    );
    // The database does not exist yet: a WARN, and doctor does not create it.
    expect(lines(run.stdout).at(-1)).toBe('doctor: 1 failure, 1 warning');
    expect(fs.existsSync(dbPath)).toBe(false);
  });

  test('an access token lifetime of 2h exits 1', async () => {
    expect((await cli(['migrate'])).code).toBe(0);
    const run = await cli(['doctor'], { GATEHOUSE_ACCESS_TOKEN_LIFETIME: '2h' });
    expect(run.code).toBe(1);
    expect(lines(run.stdout)).toContain(
      'FAIL  access token lifetime: 2h: a leaked access token works that long unless its session is ended' +
        ' — set GATEHOUSE_ACCESS_TOKEN_LIFETIME=5m (at most 15m); clients refresh',
    );
    expect(lines(run.stdout).at(-1)).toBe('doctor: 1 failure, 0 warnings');
  });

  test('HS512 with a 32-byte key is an invalid configuration (RFC 7518: at least the hash size)', async () => {
    const run = await cli(['doctor'], {
      GATEHOUSE_ALGORITHM: 'HS512',
      GATEHOUSE_SIGNING_KEY: 'rY7vQ2pL9xW4mZ8kT1nB6cF3hJ5dS0aG',
    });
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'gatehouse: Invalid configuration:\n' +
        '  - GATEHOUSE_SIGNING_KEY: must be at least 64 bytes with GATEHOUSE_ALGORITHM=HS512 (got 32)\n',
    });
  });

  test('an invalid configuration exits 2 and lists every problem', async () => {
    const run = await cli(['doctor'], { GATEHOUSE_SIGNING_KEY: 'short', GATEHOUSE_LEEWAY: 'soon' });
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'gatehouse: Invalid configuration:\n' +
        '  - GATEHOUSE_SIGNING_KEY: must be at least 32 bytes (got 5)\n' +
        '  - GATEHOUSE_LEEWAY="soon": expected a whole number\n',
    });
  });

  test('production with the generated key stored in the database: WARN, exit 0', async () => {
    const store = openStore({ kind: 'sqlite', path: dbPath });
    await store.migrate();
    await openKeyRing({ jwt: config().jwt, store });
    await store.close();

    const run = await cli(['doctor'], { ...productionReady(), NODE_ENV: 'production' });
    expect(run.code).toBe(0);
    // The same behind a proxy nobody trusts: the cookie not Secure, no HSTS, one client IP for all.
    const untrusted = await cli(['doctor'], {
      ...productionReady(),
      NODE_ENV: 'production',
      GATEHOUSE_TRUSTED_PROXIES: '',
    });
    expect(untrusted.code).toBe(1);
    expect(lines(untrusted.stdout)).toContain(
      formatFinding(
        finding('HTTPS', config({ ...PRODUCTION, GATEHOUSE_PUBLIC_URL: 'https://auth.example.com' })),
      ),
    );
    expect(lines(run.stdout)).toContain(
      `WARN  signing key: generated and stored in ${dbPath} (table signing_keys), ` +
        'next to the data: a copy or dump of the database leaks it' +
        ' — set GATEHOUSE_KEY_ENCRYPTION_KEY (openssl rand -base64 32, from a secret manager) to keep it encrypted, ' +
        'or GATEHOUSE_SIGNING_KEY (openssl rand -hex 64; existing tokens stop working)',
    );
    expect(lines(run.stdout).at(-1)).toBe('doctor: 0 failures, 1 warning');
  });

  test('keys stored under another key-encryption key: FAIL, exit 1', async () => {
    const eddsa = { GATEHOUSE_ALGORITHM: 'EdDSA', GATEHOUSE_KEY_ENCRYPTION_KEY: KEK };
    const store = openStore({ kind: 'sqlite', path: dbPath });
    await store.migrate();
    await openKeyRing({ jwt: config(eddsa).jwt, store });
    await store.close();

    expect((await cli(['doctor'], eddsa)).code).toBe(0);
    const run = await cli(['doctor'], { ...eddsa, GATEHOUSE_KEY_ENCRYPTION_KEY: OTHER_KEK });
    expect(run.code).toBe(1);
    expect(
      lines(run.stdout)[1]?.startsWith('FAIL  signing key: GATEHOUSE_KEY_ENCRYPTION_KEY: is not the key'),
    ).toBe(true);
    expect(lines(run.stdout).at(-1)).toBe('doctor: 1 failure, 0 warnings');
  });

  test('production with the demo superuser and its demo password: FAIL, exit 1, until the password changes', async () => {
    const production = { ...productionReady(), NODE_ENV: 'production', GATEHOUSE_SIGNING_KEY: STRONG_KEY };
    expect((await cli(['migrate'])).code).toBe(0);
    expect((await cli(['demo'])).code).toBe(0);
    const run = await cli(['doctor'], production);
    expect(run.code).toBe(1);
    expect(lines(run.stdout)).toContain(
      'FAIL  demo superuser: admin still has the demo password (adminpass123): anyone can sign in as a superuser' +
        ' — set a new password (or deactivate or delete admin)',
    );
    expect(lines(run.stdout).at(-1)).toBe('doctor: 1 failure, 0 warnings');
    // Outside production the demo accounts are expected.
    expect((await cli(['doctor'], { GATEHOUSE_SIGNING_KEY: STRONG_KEY })).code).toBe(0);

    const store = openStore({ kind: 'sqlite', path: dbPath });
    const admin = (await store.listUsers()).find((user) => user.username === 'admin');
    if (!admin) throw new Error('no admin');
    const hasher = createPasswordHasher(config().passwordHash);
    await store.updatePasswordHash(admin.id, await hasher.hash('tangerine-kayak-42'), new Date());
    await store.close();
    const changed = await cli(['doctor'], production);
    expect(changed.code).toBe(0);
    expect(changed.stdout).not.toContain('demo superuser');
  });

  test('the SMTP server: a connection test that reports what went wrong, and never hangs', async () => {
    const ok = await cli(['doctor'], { GATEHOUSE_SMTP_URL: smtp.url });
    expect(lines(ok.stdout)).toContain(
      `OK    mail: smtp 127.0.0.1:${smtp.port} answers and accepts the connection`,
    );
    expect(ok.code).toBe(0);

    const wrong = await cli(['doctor'], { GATEHOUSE_SMTP_URL: smtp.url.replace('relay-password', 'guess') });
    expect(wrong.code).toBe(1);
    expect(lines(wrong.stdout).find((line) => line.includes('mail:'))).toMatch(
      new RegExp(`^FAIL  mail: smtp 127\\.0\\.0\\.1:${smtp.port}: EAUTH: .*535.*; mail waits in the queue`),
    );
    expect(wrong.stdout).not.toContain('guess');

    // Accepts the connection and says nothing: the check gives up after its timeout.
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const started = Date.now();
    try {
      const hung = await cli(['doctor'], { GATEHOUSE_SMTP_URL: `smtp://127.0.0.1:${port}` });
      expect(hung.code).toBe(1);
      expect(lines(hung.stdout).find((line) => line.includes('mail:'))).toMatch(
        new RegExp(`^FAIL  mail: smtp 127\\.0\\.0\\.1:${port}: ETIMEDOUT: `),
      );
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      silent.close();
    }
  }, 15_000);

  test('doctor reads an unmigrated database without migrating it', async () => {
    fs.writeFileSync(dbPath, '');
    const run = await cli(['doctor']);
    expect(run.code).toBe(0);
    expect(lines(run.stdout)[0]).toBe(
      `WARN  database: ${dbPath} has no Gatehouse tables — check DATABASE_URL, or run: gatehouse migrate`,
    );
    expect(fs.statSync(dbPath).size).toBe(0);
  });

  test('a user changed in the future (a clock that went backwards) WARNs', async () => {
    const store = openStore({ kind: 'sqlite', path: dbPath });
    await store.migrate();
    const future = new Date(Date.now() + 3 * 3600 * 1000);
    await store.createUser(
      { username: 'ahead', usernameKey: 'ahead', email: null, passwordHash: 'x' },
      future,
    );
    await store.close();

    const run = await cli(['doctor']);
    expect(run.code).toBe(0);
    const clock = lines(run.stdout).find((text) => text.includes('clock: '));
    expect(clock).toMatch(
      new RegExp(
        `^WARN {2}clock: the database has a record from ${future.toISOString().replace(/\./g, '\\.')}, ` +
          "(10[0-9]{3}s|3h) ahead of this machine's clock: the clock went backwards",
      ),
    );
    expect(lines(run.stdout).at(-1)).toBe('doctor: 0 failures, 1 warning');
  });
});
