import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, DEFAULT_WEB_ROOT, parseConfig, redactDatabaseUrl, type Config } from './config.js';

const KEY_32 = 'k'.repeat(32);
const KEY_64 = 'k'.repeat(64);
const KEK = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 250));
const KEK_BASE64 = KEK.toString('base64');

/** The problems parseConfig reports for `env`; fails the test when it does not throw a ConfigError. */
function problemsOf(env: Record<string, string>): readonly string[] {
  let thrown: unknown;
  try {
    parseConfig(env);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  return (thrown as ConfigError).problems;
}

describe('defaults', () => {
  test('an empty environment gives the documented defaults', () => {
    expect(parseConfig({})).toStrictEqual({
      host: '127.0.0.1',
      port: 8000,
      database: { kind: 'sqlite', path: path.join('data', 'gatehouse.sqlite3') },
      corsAllowedOrigins: [],
      production: false,
      logLevel: 'info',
      bodyLimit: 16384,
      passwordMinLength: 8,
      mfaRequired: 'none',
      rateLimits: true,
      rateLimitWindows: {
        register: { count: 10, seconds: 3600 },
        refresh: { count: 300, seconds: 60 },
        password: { count: 10, seconds: 900 },
      },
      loginFreeFailures: { perAccount: 5, perIp: 50 },
      trustedProxies: [],
      webRoot: DEFAULT_WEB_ROOT,
      webSourceMaps: true,
      sessions: {
        rotationGracePeriod: 5,
        absoluteLifetime: 2592000,
        idleTimeout: 86400,
        reauthenticationWindow: 900,
        maxPerUser: 100,
      },
      jwt: {
        accessTokenLifetime: 300,
        refreshTokenLifetime: 86400,
        rotateRefreshTokens: true,
        blacklistAfterRotation: true,
        updateLastLogin: true,
        algorithm: 'HS256',
        signingKey: undefined,
        audience: undefined,
        issuer: undefined,
        leeway: 0,
        authHeaderTypes: ['Bearer'],
        userIdClaim: 'user_id',
        tokenTypeClaim: 'token_type',
        jtiClaim: 'jti',
        tokenPermissions: false,
      },
      passwordHash: { memoryCost: 19456, timeCost: 2, parallelism: 1 },
      mail: {
        publicUrl: 'http://127.0.0.1:8000',
        smtpUrl: undefined,
        from: 'Gatehouse <no-reply@localhost>',
        siteName: 'Gatehouse',
        outboxDir: path.resolve('data', 'outbox'),
        templatesDir: undefined,
        emailVerification: 'optional',
        notices: ['password_changed', 'password_reset', 'email_changed', 'refresh_reuse', 'mfa_changed'],
        verificationTtl: 86400,
        passwordResetTtl: 3600,
        emailChangeTtl: 86400,
        limitPerAddress: [
          { count: 1, seconds: 60 },
          { count: 5, seconds: 3600 },
        ],
        limitPerIp: [
          { count: 10, seconds: 60 },
          { count: 50, seconds: 3600 },
        ],
      },
      webauthn: { rpId: 'localhost', rpName: 'Gatehouse', origins: ['http://localhost:8000'] },
    } satisfies Config);
  });

  test('source maps of the web app: served outside production, in production only when asked for', () => {
    expect(parseConfig({ NODE_ENV: 'production' }).webSourceMaps).toBe(false);
    expect(parseConfig({ NODE_ENV: 'production', GATEHOUSE_WEB_SOURCE_MAPS: 'true' }).webSourceMaps).toBe(
      true,
    );
    expect(parseConfig({ GATEHOUSE_WEB_SOURCE_MAPS: 'false' }).webSourceMaps).toBe(false);
  });

  test('rate limits and login failures can be raised (an office behind one address) or lowered', () => {
    const config = parseConfig({
      GATEHOUSE_RATE_LIMIT_REGISTER: '100/h',
      GATEHOUSE_RATE_LIMIT_PASSWORD: '20/15m',
      GATEHOUSE_LOGIN_FAILURES_PER_IP: '500',
    });
    expect(config.rateLimitWindows).toEqual({
      register: { count: 100, seconds: 3600 },
      refresh: { count: 300, seconds: 60 },
      password: { count: 20, seconds: 900 },
    });
    expect(config.loginFreeFailures).toEqual({ perAccount: 5, perIp: 500 });
    expect(() => parseConfig({ GATEHOUSE_RATE_LIMIT_REFRESH: '1/m,2/h' })).toThrow(
      /GATEHOUSE_RATE_LIMIT_REFRESH/,
    );
    expect(() => parseConfig({ GATEHOUSE_LOGIN_FAILURES_PER_ACCOUNT: '0' })).toThrow(/PER_ACCOUNT/);
  });

  test('GATEHOUSE_MAX_SESSIONS_PER_USER: live sessions per user, 1 or more', () => {
    expect(parseConfig({ GATEHOUSE_MAX_SESSIONS_PER_USER: '5' }).sessions.maxPerUser).toBe(5);
    expect(parseConfig({ GATEHOUSE_MAX_SESSIONS_PER_USER: '1' }).sessions.maxPerUser).toBe(1);
    for (const bad of ['0', '-3', 'many', '2.5']) {
      expect(problemsOf({ GATEHOUSE_MAX_SESSIONS_PER_USER: bad })).toEqual([
        expect.stringMatching(/^GATEHOUSE_MAX_SESSIONS_PER_USER/),
      ]);
    }
  });

  test('mail: the public URL, SMTP, the sender, notices and send limits', () => {
    const config = parseConfig({
      GATEHOUSE_PUBLIC_URL: 'https://auth.example.com/',
      GATEHOUSE_SMTP_URL: 'smtp://user:secret@mail.example.com:587',
      GATEHOUSE_SITE_NAME: 'Example',
      GATEHOUSE_SECURITY_NOTICES: 'password_reset,refresh_reuse',
      GATEHOUSE_MAIL_LIMIT_PER_ADDRESS: '2/m, 3/12h',
      GATEHOUSE_EMAIL_VERIFICATION: 'mandatory',
    }).mail;
    expect(config.publicUrl).toBe('https://auth.example.com');
    expect(config.smtpUrl).toBe('smtp://user:secret@mail.example.com:587');
    expect(config.from).toBe('Example <no-reply@auth.example.com>');
    expect(config.notices).toEqual(['password_reset', 'refresh_reuse']);
    expect(config.limitPerAddress).toEqual([
      { count: 2, seconds: 60 },
      { count: 3, seconds: 12 * 3600 },
    ]);
    expect(config.emailVerification).toBe('mandatory');
    expect(parseConfig({ GATEHOUSE_SECURITY_NOTICES: 'none' }).mail.notices).toEqual([]);
    expect(parseConfig({ GATEHOUSE_MAIL_LIMIT_PER_IP: 'off' }).mail.limitPerIp).toEqual([]);
  });

  test('mail: bad values are reported, and an SMTP password is never echoed', () => {
    let error: unknown;
    try {
      parseConfig({
        GATEHOUSE_PUBLIC_URL: 'https://auth.example.com/login',
        GATEHOUSE_SMTP_URL: 'http://user:hunter2hunter2@mail.example.com',
        GATEHOUSE_MAIL_FROM: 'not an address',
        GATEHOUSE_SECURITY_NOTICES: 'password_changed,lunch',
        GATEHOUSE_MAIL_LIMIT_PER_ADDRESS: 'often',
        GATEHOUSE_EMAIL_VERIFICATION: 'sometimes',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of [
      'PUBLIC_URL',
      'SMTP_URL',
      'MAIL_FROM',
      'SECURITY_NOTICES',
      'MAIL_LIMIT_PER_ADDRESS',
      'EMAIL_VERIFICATION',
    ]) {
      expect(problems).toContain(`GATEHOUSE_${name}`);
    }
    expect(problems).not.toContain('hunter2');
  });

  test('passkeys: the RP ID and origins default to the public URL, and can be set', () => {
    expect(
      parseConfig({ GATEHOUSE_PUBLIC_URL: 'https://auth.example.com', GATEHOUSE_SITE_NAME: 'Example' })
        .webauthn,
    ).toStrictEqual({ rpId: 'auth.example.com', rpName: 'Example', origins: ['https://auth.example.com'] });
    expect(
      parseConfig({
        GATEHOUSE_PUBLIC_URL: 'https://auth.example.com',
        GATEHOUSE_WEBAUTHN_RP_ID: 'Example.com',
        GATEHOUSE_WEBAUTHN_ORIGINS: 'https://auth.example.com, https://app.example.com:8443',
      }).webauthn,
    ).toStrictEqual({
      rpId: 'example.com',
      rpName: 'Gatehouse',
      origins: ['https://auth.example.com', 'https://app.example.com:8443'],
    });
    expect(parseConfig({ GATEHOUSE_PUBLIC_URL: 'http://localhost:5173' }).webauthn.origins).toEqual([
      'http://localhost:5173',
    ]);
    // A public URL passkeys cannot use is still a public URL: the server starts, without passkeys.
    for (const publicUrl of ['http://gatehouse.test', 'http://intranet:8000', 'https://auth']) {
      expect(parseConfig({ GATEHOUSE_PUBLIC_URL: publicUrl }).webauthn.origins, publicUrl).toEqual([
        publicUrl,
      ]);
    }
  });

  test('passkeys: a bad RP ID or origin is refused, with every problem', () => {
    expect(
      problemsOf({
        GATEHOUSE_WEBAUTHN_RP_ID: 'example.com',
        GATEHOUSE_WEBAUTHN_ORIGINS:
          'https://auth.example.com/login,http://app.example.com,https://evil.com,https://notexample.com,ftp://example.com',
      }),
    ).toEqual([
      expect.stringMatching(
        /^GATEHOUSE_WEBAUTHN_ORIGINS: "https:\/\/auth.example.com\/login" is not an origin/,
      ),
      expect.stringMatching(/"http:\/\/app.example.com" must be https \(http only on localhost\)/),
      expect.stringMatching(/"https:\/\/evil.com" is not on the RP ID "example.com"/),
      expect.stringMatching(/"https:\/\/notexample.com" is not on the RP ID/),
      expect.stringMatching(/"ftp:\/\/example.com" must be https/),
    ]);
    for (const rpId of ['192.0.2.1', 'com', 'exa mple.com', '-bad.example.com']) {
      expect(
        problemsOf({ GATEHOUSE_WEBAUTHN_RP_ID: rpId, GATEHOUSE_WEBAUTHN_ORIGINS: 'https://example.com' })[0],
      ).toMatch(/^GATEHOUSE_WEBAUTHN_RP_ID: the passkeys' RP ID .* must be a domain name/);
    }
  });

  test('GATEHOUSE_MFA_REQUIRED: none by default, or who must have a second factor', () => {
    expect(parseConfig({}).mfaRequired).toBe('none');
    for (const value of ['none', 'superusers', 'staff', 'all'] as const) {
      expect(parseConfig({ GATEHOUSE_MFA_REQUIRED: value }).mfaRequired).toBe(value);
    }
    expect(problemsOf({ GATEHOUSE_MFA_REQUIRED: 'admins' })).toEqual([
      'GATEHOUSE_MFA_REQUIRED="admins": expected one of none, superusers, staff, all',
    ]);
  });

  test('blank values count as unset', () => {
    const config = parseConfig({
      PORT: '',
      GATEHOUSE_SIGNING_KEY: '   ',
      GATEHOUSE_ACCESS_TOKEN_LIFETIME: ' ',
      DATABASE_URL: '',
    });
    expect(config.port).toBe(8000);
    expect(config.jwt.signingKey).toBeUndefined();
    expect(config.jwt.accessTokenLifetime).toBe(300);
    expect(config.database).toEqual({ kind: 'sqlite', path: path.join('data', 'gatehouse.sqlite3') });
  });

  test('the web app: apps/web/dist by default, a path resolved from the working directory, or none when empty', () => {
    expect(DEFAULT_WEB_ROOT).toBe(path.resolve(import.meta.dirname, '../../../apps/web/dist'));
    expect(parseConfig({ GATEHOUSE_WEB_ROOT: 'public' }).webRoot).toBe(path.resolve('public'));
    expect(parseConfig({ GATEHOUSE_WEB_ROOT: '/srv/web' }).webRoot).toBe('/srv/web');
    expect(parseConfig({ GATEHOUSE_WEB_ROOT: '' }).webRoot).toBeUndefined();
    expect(parseConfig({ GATEHOUSE_WEB_ROOT: ' ' }).webRoot).toBeUndefined();
  });

  test('the configuration and its nested objects are frozen', () => {
    const config = parseConfig({ GATEHOUSE_CORS_ALLOWED_ORIGINS: 'https://app.example' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.jwt)).toBe(true);
    expect(Object.isFrozen(config.jwt.authHeaderTypes)).toBe(true);
    expect(Object.isFrozen(config.passwordHash)).toBe(true);
    expect(Object.isFrozen(config.corsAllowedOrigins)).toBe(true);
    expect(Object.isFrozen(config.database)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.jwt as { accessTokenLifetime: number }).accessTokenLifetime = 1;
    }).toThrow(TypeError);
    expect(config.port).toBe(8000);
    expect(config.jwt.accessTokenLifetime).toBe(300);
  });

  test('settings are read from the given environment only', () => {
    const config = parseConfig({
      HOST: '0.0.0.0',
      PORT: '9000',
      NODE_ENV: 'production',
      GATEHOUSE_LOG_LEVEL: 'debug',
      GATEHOUSE_BODY_LIMIT: '2048',
      GATEHOUSE_AUDIENCE: 'api',
      GATEHOUSE_ISSUER: 'https://auth.example',
      GATEHOUSE_LEEWAY: '30',
      GATEHOUSE_ALGORITHM: 'HS512',
      GATEHOUSE_SIGNING_KEY: KEY_64,
      GATEHOUSE_AUTH_HEADER_TYPES: 'Bearer, JWT',
      GATEHOUSE_USER_ID_CLAIM: 'uid',
      GATEHOUSE_ARGON2_MEMORY_COST: '65536',
      GATEHOUSE_ARGON2_TIME_COST: '3',
      GATEHOUSE_ARGON2_PARALLELISM: '4',
    });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
      production: true,
      logLevel: 'debug',
      bodyLimit: 2048,
      passwordHash: { memoryCost: 65536, timeCost: 3, parallelism: 4 },
    });
    expect(config.jwt).toMatchObject({
      audience: 'api',
      issuer: 'https://auth.example',
      leeway: 30,
      algorithm: 'HS512',
      signingKey: KEY_64,
      authHeaderTypes: ['Bearer', 'JWT'],
      userIdClaim: 'uid',
    });
  });
});

describe('durations', () => {
  test.each([
    ['300', 300],
    ['1', 1],
    ['45s', 45],
    ['5m', 300],
    ['12h', 43200],
    ['1d', 86400],
    ['5 m', 300],
    [' 90 ', 90],
    ['3650d', 315_360_000],
  ])('GATEHOUSE_ACCESS_TOKEN_LIFETIME=%j is %i seconds', (raw, seconds) => {
    expect(parseConfig({ GATEHOUSE_ACCESS_TOKEN_LIFETIME: raw }).jwt.accessTokenLifetime).toBe(seconds);
    expect(parseConfig({ GATEHOUSE_REFRESH_TOKEN_LIFETIME: raw }).jwt.refreshTokenLifetime).toBe(seconds);
  });

  test.each(['soon', '5w', '-5', '1.5h', '5mm', 'm', '1d2h'])('%j is not a duration', (raw) => {
    expect(problemsOf({ GATEHOUSE_ACCESS_TOKEN_LIFETIME: raw })).toEqual([
      `GATEHOUSE_ACCESS_TOKEN_LIFETIME=${JSON.stringify(raw)}: expected seconds (300) or a duration (5m, 12h, 1d)`,
    ]);
  });

  test.each(['0', '0d', '3651d'])('%j is out of range', (raw) => {
    expect(problemsOf({ GATEHOUSE_REFRESH_TOKEN_LIFETIME: raw })).toEqual([
      `GATEHOUSE_REFRESH_TOKEN_LIFETIME=${JSON.stringify(raw)}: must be between 1 second and 10 years`,
    ]);
  });
});

describe('booleans', () => {
  test.each(['1', 'true', 'TRUE', 'yes', 'On'])('%j is true', (raw) => {
    const { jwt } = parseConfig({
      GATEHOUSE_ROTATE_REFRESH_TOKENS: raw,
      GATEHOUSE_BLACKLIST_AFTER_ROTATION: raw,
      GATEHOUSE_UPDATE_LAST_LOGIN: raw,
    });
    expect([jwt.rotateRefreshTokens, jwt.blacklistAfterRotation, jwt.updateLastLogin]).toEqual([
      true,
      true,
      true,
    ]);
  });

  test.each(['0', 'false', 'False', 'no', 'OFF'])('%j is false', (raw) => {
    const { jwt } = parseConfig({
      GATEHOUSE_ROTATE_REFRESH_TOKENS: raw,
      GATEHOUSE_BLACKLIST_AFTER_ROTATION: raw,
      GATEHOUSE_UPDATE_LAST_LOGIN: raw,
    });
    expect([jwt.rotateRefreshTokens, jwt.blacklistAfterRotation, jwt.updateLastLogin]).toEqual([
      false,
      false,
      false,
    ]);
  });

  test('GATEHOUSE_TOKEN_PERMISSIONS: off by default, on when set', () => {
    expect(parseConfig({}).jwt.tokenPermissions).toBe(false);
    expect(parseConfig({ GATEHOUSE_TOKEN_PERMISSIONS: 'true' }).jwt.tokenPermissions).toBe(true);
    expect(problemsOf({ GATEHOUSE_TOKEN_PERMISSIONS: 'all' })).toEqual([
      'GATEHOUSE_TOKEN_PERMISSIONS="all": expected true or false',
    ]);
  });

  test('anything else is refused', () => {
    expect(
      problemsOf({ GATEHOUSE_ROTATE_REFRESH_TOKENS: 'maybe', GATEHOUSE_UPDATE_LAST_LOGIN: '2' }),
    ).toEqual([
      'GATEHOUSE_ROTATE_REFRESH_TOKENS="maybe": expected true or false',
      'GATEHOUSE_UPDATE_LAST_LOGIN="2": expected true or false',
    ]);
  });
});

describe('signing key and algorithm', () => {
  test('a key of 32 bytes is accepted', () => {
    expect(parseConfig({ GATEHOUSE_SIGNING_KEY: KEY_32 }).jwt.signingKey).toBe(KEY_32);
  });

  test('a key shorter than 32 bytes is refused', () => {
    expect(problemsOf({ GATEHOUSE_SIGNING_KEY: 'k'.repeat(31) })).toEqual([
      'GATEHOUSE_SIGNING_KEY: must be at least 32 bytes (got 31)',
    ]);
  });

  test('the key length counts UTF-8 bytes, not characters', () => {
    const sixteenChars = 'é'.repeat(16);
    expect(parseConfig({ GATEHOUSE_SIGNING_KEY: sixteenChars }).jwt.signingKey).toBe(sixteenChars);
    expect(problemsOf({ GATEHOUSE_SIGNING_KEY: `${'é'.repeat(15)}a` })).toEqual([
      'GATEHOUSE_SIGNING_KEY: must be at least 32 bytes (got 31)',
    ]);
  });

  // RFC 7518 §3.2: a key at least as long as the hash output.
  test.each([
    ['HS384', 48],
    ['HS512', 64],
  ])('with %s the key must be at least %i bytes', (algorithm, bytes) => {
    const key = 'k'.repeat(bytes);
    expect(parseConfig({ GATEHOUSE_ALGORITHM: algorithm, GATEHOUSE_SIGNING_KEY: key }).jwt.signingKey).toBe(
      key,
    );
    for (const short of [KEY_32, key.slice(1)]) {
      expect(problemsOf({ GATEHOUSE_ALGORITHM: algorithm, GATEHOUSE_SIGNING_KEY: short })).toEqual([
        `GATEHOUSE_SIGNING_KEY: must be at least ${bytes} bytes with GATEHOUSE_ALGORITHM=${algorithm} ` +
          `(got ${short.length})`,
      ]);
    }
  });

  test.each(['HS256', 'HS384', 'HS512'])('algorithm %s is accepted', (algorithm) => {
    expect(parseConfig({ GATEHOUSE_ALGORITHM: algorithm }).jwt.algorithm).toBe(algorithm);
  });

  test.each(['EdDSA', 'ES256', 'RS256'])(
    'algorithm %s is accepted with a key-encryption key',
    (algorithm) => {
      const config = parseConfig({
        GATEHOUSE_ALGORITHM: algorithm,
        GATEHOUSE_KEY_ENCRYPTION_KEY: KEK_BASE64,
      });
      expect(config.jwt.algorithm).toBe(algorithm);
      expect(config.jwt.keyEncryptionKey).toEqual(KEK);
    },
  );

  test.each(['EdDSA', 'ES256', 'RS256'])(
    'algorithm %s without a key-encryption key is refused',
    (algorithm) => {
      expect(problemsOf({ GATEHOUSE_ALGORITHM: algorithm })).toEqual([
        `GATEHOUSE_KEY_ENCRYPTION_KEY: required with GATEHOUSE_ALGORITHM=${algorithm}: the private key is kept ` +
          'in the database, encrypted with it (generate one: openssl rand -base64 32, and keep it in your ' +
          'secret manager)',
      ]);
    },
  );

  test('an asymmetric algorithm with GATEHOUSE_SIGNING_KEY (an HMAC secret) is refused', () => {
    expect(
      problemsOf({
        GATEHOUSE_ALGORITHM: 'EdDSA',
        GATEHOUSE_SIGNING_KEY: KEY_32,
        GATEHOUSE_KEY_ENCRYPTION_KEY: KEK_BASE64,
      }),
    ).toEqual([
      'GATEHOUSE_SIGNING_KEY: is an HMAC secret, for HS256, HS384 or HS512 only; EdDSA keys are generated ' +
        'and kept in the database (gatehouse keys): unset it',
    ]);
  });

  test.each(['RS512', 'PS256', 'ES384', 'Ed25519', 'none', 'hs256', 'eddsa'])(
    'algorithm %s is refused',
    (algorithm) => {
      expect(problemsOf({ GATEHOUSE_ALGORITHM: algorithm })).toEqual([
        `GATEHOUSE_ALGORITHM: must be one of HS256, HS384, HS512, EdDSA, ES256, RS256 (got ${JSON.stringify(algorithm)})`,
      ]);
    },
  );

  test('the key-encryption key: 32 bytes in hex, base64 or base64url', () => {
    const kek = (raw: string) => parseConfig({ GATEHOUSE_KEY_ENCRYPTION_KEY: raw }).jwt.keyEncryptionKey;
    expect(kek(KEK.toString('hex'))).toEqual(KEK);
    expect(kek(KEK.toString('hex').toUpperCase())).toEqual(KEK);
    expect(kek(KEK_BASE64)).toEqual(KEK);
    expect(kek(KEK.toString('base64url'))).toEqual(KEK);
    expect(parseConfig({}).jwt.keyEncryptionKey).toBeUndefined();
  });

  test.each([
    ['16 bytes', Buffer.alloc(16, 1).toString('base64')],
    ['33 bytes', Buffer.alloc(33, 1).toString('base64')],
    ['63 hex digits', 'a'.repeat(63)],
    ['a passphrase', 'correct horse battery staple, correct horse'],
  ])('a key-encryption key of %s is refused, without echoing it', (_label, raw) => {
    const problems = problemsOf({ GATEHOUSE_KEY_ENCRYPTION_KEY: raw });
    expect(problems).toEqual([
      'GATEHOUSE_KEY_ENCRYPTION_KEY: must be 32 bytes, in base64 or hex (generate one: openssl rand -base64 32)',
    ]);
    expect(problems.join()).not.toContain(raw);
  });
});

describe('problems', () => {
  test('several bad settings give one ConfigError listing all of them', () => {
    const env = {
      GATEHOUSE_SIGNING_KEY: 'short',
      GATEHOUSE_ALGORITHM: 'RS512',
      GATEHOUSE_ACCESS_TOKEN_LIFETIME: 'soon',
      GATEHOUSE_LEEWAY: '3601',
      GATEHOUSE_AUTH_HEADER_TYPES: ' , ',
      GATEHOUSE_JTI_CLAIM: '1jti',
      GATEHOUSE_ARGON2_TIME_COST: '1',
      PORT: '70000',
      DATABASE_URL: 'mysql://db.example/gatehouse',
      GATEHOUSE_CORS_ALLOWED_ORIGINS: 'https://app.example/',
      GATEHOUSE_LOG_LEVEL: 'loud',
      GATEHOUSE_BODY_LIMIT: '10',
      GATEHOUSE_FOO: '1',
    };
    let error: unknown;
    try {
      parseConfig(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      'GATEHOUSE_SIGNING_KEY: must be at least 32 bytes (got 5)',
      'GATEHOUSE_ALGORITHM: must be one of HS256, HS384, HS512, EdDSA, ES256, RS256 (got "RS512")',
      'GATEHOUSE_ACCESS_TOKEN_LIFETIME="soon": expected seconds (300) or a duration (5m, 12h, 1d)',
      'GATEHOUSE_LEEWAY="3601": must be between 0 and 3600',
      'GATEHOUSE_JTI_CLAIM="1jti": not a valid claim name',
      'GATEHOUSE_AUTH_HEADER_TYPES: must name at least one type',
      'GATEHOUSE_ARGON2_TIME_COST="1": must be between 2 and 100',
      'PORT="70000": must be between 0 and 65535',
      'DATABASE_URL="mysql://db.example/gatehouse": expected sqlite:<path> or postgres://[user[:password]@]host[:port]/database',
      'GATEHOUSE_CORS_ALLOWED_ORIGINS="https://app.example/": not an origin (scheme://host[:port], no path or slash): https://app.example/',
      'GATEHOUSE_LOG_LEVEL="loud": expected one of fatal, error, warn, info, debug, trace, silent',
      'GATEHOUSE_BODY_LIMIT="10": must be between 1024 and 1048576',
      'GATEHOUSE_FOO: unknown setting (misspelt?)',
    ]);
    expect((error as ConfigError).name).toBe('ConfigError');
    expect((error as ConfigError).message).toBe(
      `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  });

  test.each(['GATEHOUSE_FOO', 'GATEHOUSE_ACCESS_TOKEN_LIFETIM', 'GATEHOUSE_signing_key', 'GATEHOUSE_'])(
    'unknown setting %s is refused as misspelt',
    (name) => {
      expect(problemsOf({ [name]: '1' })).toEqual([`${name}: unknown setting (misspelt?)`]);
    },
  );

  test('GATEHOUSE_SUPERUSER_* (read by the CLI) and unprefixed variables are allowed', () => {
    expect(() =>
      parseConfig({
        GATEHOUSE_SUPERUSER_PASSWORD: 'hunter2',
        GATEHOUSE_SUPERUSER_USERNAME: 'admin',
        GATEHOUSE_SUPERUSER_EMAIL: 'admin@example.com',
        FOO: 'bar',
        PATH: '/usr/bin',
      }),
    ).not.toThrow();
  });
});

describe('DATABASE_URL', () => {
  test.each([
    ['sqlite:relative/db.sqlite3', 'relative/db.sqlite3'],
    ['sqlite:db.sqlite3', 'db.sqlite3'],
    ['sqlite:/abs/db.sqlite3', '/abs/db.sqlite3'],
    ['sqlite:///relative/db.sqlite3', 'relative/db.sqlite3'],
    ['sqlite:////abs/db.sqlite3', '/abs/db.sqlite3'],
    ['sqlite://', ':memory:'],
    ['sqlite://:memory:', ':memory:'],
    ['sqlite::memory:', ':memory:'],
  ])('%s opens SQLite at %s', (url, file) => {
    expect(parseConfig({ DATABASE_URL: url }).database).toStrictEqual({ kind: 'sqlite', path: file });
  });

  test.each([
    'postgres://user:pw@db.example/gatehouse',
    'postgresql://db.example/gatehouse',
    'postgres://db.example:6432/gatehouse?sslmode=require&application_name=gh',
    'postgres:///gatehouse?host=/var/run/postgresql',
    'postgres://user:p%40ss%2Fword@[::1]:5432/gatehouse',
    'postgres://user:pw@/gatehouse',
    'postgres://user:50%off@db.example/gatehouse',
  ])('%s opens PostgreSQL with the URL as given and a pool of 10', (url) => {
    expect(parseConfig({ DATABASE_URL: url }).database).toStrictEqual({
      kind: 'postgres',
      url,
      poolSize: 10,
    });
  });

  test('GATEHOUSE_DATABASE_POOL_SIZE sets the pool size', () => {
    const config = parseConfig({
      DATABASE_URL: 'postgres://db.example/gatehouse',
      GATEHOUSE_DATABASE_POOL_SIZE: '25',
    });
    expect(config.database).toStrictEqual({
      kind: 'postgres',
      url: 'postgres://db.example/gatehouse',
      poolSize: 25,
    });
    expect(Object.isFrozen(config.database)).toBe(true);
    for (const size of ['1', '100']) {
      const { database } = parseConfig({
        DATABASE_URL: 'postgres://db.example/gatehouse',
        GATEHOUSE_DATABASE_POOL_SIZE: size,
      });
      expect(database.kind === 'postgres' && database.poolSize).toBe(Number(size));
    }
  });

  test('GATEHOUSE_DATABASE_POOL_SIZE is accepted, and ignored, with SQLite', () => {
    expect(parseConfig({ GATEHOUSE_DATABASE_POOL_SIZE: '5' }).database).toStrictEqual({
      kind: 'sqlite',
      path: path.join('data', 'gatehouse.sqlite3'),
    });
  });

  test.each(['0', '101', '-1', '2.5', 'ten'])('GATEHOUSE_DATABASE_POOL_SIZE=%j is refused', (size) => {
    expect(
      problemsOf({ DATABASE_URL: 'postgres://db.example/gatehouse', GATEHOUSE_DATABASE_POOL_SIZE: size }),
    ).toEqual([
      `GATEHOUSE_DATABASE_POOL_SIZE=${JSON.stringify(size)}: ${
        /^\d+$/.test(size) ? 'must be between 1 and 100' : 'expected a whole number'
      }`,
    ]);
  });

  test.each(['postgres:db.example/gatehouse', 'postgresql:/gatehouse', 'postgres//db.example/x'])(
    '%j is refused',
    (url) => {
      expect(problemsOf({ DATABASE_URL: url })).toEqual([
        `DATABASE_URL=${JSON.stringify(url)}: expected sqlite:<path> or postgres://[user[:password]@]host[:port]/database`,
      ]);
    },
  );

  test('an invalid PostgreSQL URL is refused without showing its password', () => {
    const problems = problemsOf({ DATABASE_URL: 'postgres://gatehouse:s3cr#t@db.example/gatehouse' });
    expect(problems).toEqual([
      'DATABASE_URL="postgres://gatehouse:***@db.example/gatehouse": not a valid URL (percent-encode special characters in the user name and password)',
    ]);
    expect(problems.join('\n')).not.toContain('s3cr');
  });

  test.each([
    ['postgres://user:pw@db.example/gatehouse', 'postgres://user:***@db.example/gatehouse'],
    ['postgresql://user:p@ss:w/rd@db.example:5432/x?a=b', 'postgresql://user:***@db.example:5432/x?a=b'],
    ['postgres://:pw@db.example/x', 'postgres://:***@db.example/x'],
    ['postgres://user@db.example/x', 'postgres://user@db.example/x'],
    ['postgres://db.example/x?sslmode=require', 'postgres://db.example/x?sslmode=require'],
    ['sqlite:data/db.sqlite3', 'sqlite:data/db.sqlite3'],
  ])('redactDatabaseUrl(%j) is %j', (url, redacted) => {
    expect(redactDatabaseUrl(url)).toBe(redacted);
  });

  test.each(['garbage', 'sqlite:', 'mysql://db.example/x', 'file:db.sqlite3', '/abs/db.sqlite3'])(
    '%j is refused',
    (url) => {
      expect(problemsOf({ DATABASE_URL: url })).toEqual([
        url === 'sqlite:'
          ? 'DATABASE_URL="sqlite:": expected sqlite:<path>'
          : `DATABASE_URL=${JSON.stringify(url)}: expected sqlite:<path> or postgres://[user[:password]@]host[:port]/database`,
      ]);
    },
  );
});

describe('CORS origins', () => {
  test('a comma-separated list of origins is parsed', () => {
    expect(
      parseConfig({
        GATEHOUSE_CORS_ALLOWED_ORIGINS: 'https://app.example, http://localhost:3000,,http://127.0.0.1:8080 ',
      }).corsAllowedOrigins,
    ).toEqual(['https://app.example', 'http://localhost:3000', 'http://127.0.0.1:8080']);
  });

  test.each([
    'https://app.example/',
    'https://app.example/path',
    'https://app.example?x=1',
    'ftp://files.example',
    'app.example',
    'not a url',
  ])('%j is refused', (origin) => {
    expect(problemsOf({ GATEHOUSE_CORS_ALLOWED_ORIGINS: `https://ok.example,${origin}` })).toEqual([
      `GATEHOUSE_CORS_ALLOWED_ORIGINS=${JSON.stringify(`https://ok.example,${origin}`)}: not an origin (scheme://host[:port], no path or slash): ${origin}`,
    ]);
  });
});

describe('argon2', () => {
  test('the OWASP floor itself is accepted', () => {
    expect(
      parseConfig({ GATEHOUSE_ARGON2_MEMORY_COST: '19456', GATEHOUSE_ARGON2_TIME_COST: '2' }).passwordHash,
    ).toStrictEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
  });

  test('settings below the OWASP floor are refused', () => {
    expect(
      problemsOf({
        GATEHOUSE_ARGON2_MEMORY_COST: '19455',
        GATEHOUSE_ARGON2_TIME_COST: '1',
        GATEHOUSE_ARGON2_PARALLELISM: '0',
      }),
    ).toEqual([
      'GATEHOUSE_ARGON2_MEMORY_COST="19455": must be between 19456 and 4194304',
      'GATEHOUSE_ARGON2_TIME_COST="1": must be between 2 and 100',
      'GATEHOUSE_ARGON2_PARALLELISM="0": must be between 1 and 16',
    ]);
  });

  test('non-integers are refused', () => {
    expect(problemsOf({ GATEHOUSE_ARGON2_MEMORY_COST: '64MiB' })).toEqual([
      'GATEHOUSE_ARGON2_MEMORY_COST="64MiB": expected a whole number',
    ]);
  });
});
