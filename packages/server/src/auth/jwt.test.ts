import { createHmac } from 'node:crypto';
import { TOKEN_MAX_LENGTH } from '@gatehouse/contract';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { HmacAlgorithm } from '../config.js';
import { createJwtCodec, type JwtCodecOptions } from './jwt.js';

const KEY = 'jwt-test-signing-key-0123456789abcdef';
const OTHER_KEY = 'another-signing-key-0123456789abcdef';
const NOW = 1_700_000_000;
const HS256_HEADER = { alg: 'HS256', typ: 'JWT' };
const CLAIMS = { user_id: 7, token_type: 'access', jti: 'abc', exp: NOW + 300 };

const codec = (options: Partial<JwtCodecOptions> = {}) =>
  createJwtCodec({ algorithm: 'HS256', key: KEY, leeway: 0, ...options });

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const mac = (digest: string, key: string, input: string) =>
  createHmac(digest, key).update(input).digest('base64url');

/** A token built by hand: any header, any payload (raw segments when strings), HMAC with any digest and key. */
function forge(header: unknown, payload: unknown, { digest = 'sha256', key = KEY } = {}): string {
  const head = typeof header === 'string' ? header : encode(header);
  const body = typeof payload === 'string' ? payload : encode(payload);
  const input = `${head}.${body}`;
  return `${input}.${mac(digest, key, input)}`;
}

const segments = (token: string) => token.split('.') as [string, string, string];
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('sign and verify', () => {
  test('a signed token verifies to its claims', () => {
    const token = codec().sign(CLAIMS);
    expect(codec().verify(token, NOW)).toStrictEqual({ ok: true, claims: CLAIMS });
  });

  test('the token is header.payload.HMAC-SHA256, built exactly as by hand', () => {
    const token = codec().sign(CLAIMS);
    expect(token).toBe(forge(HS256_HEADER, CLAIMS));
    const [header] = segments(token);
    expect(Buffer.from(header, 'base64url').toString('utf8')).toBe('{"alg":"HS256","typ":"JWT"}');
  });

  test.each([
    ['HS384', 'sha384'],
    ['HS512', 'sha512'],
  ] as const)('%s codecs sign with %s and verify their own tokens', (algorithm: HmacAlgorithm, digest) => {
    const hs = codec({ algorithm });
    const token = hs.sign(CLAIMS);
    expect(token).toBe(forge({ alg: algorithm, typ: 'JWT' }, CLAIMS, { digest }));
    expect(hs.verify(token, NOW)).toStrictEqual({ ok: true, claims: CLAIMS });
    expect(codec().verify(token, NOW)).toStrictEqual({ ok: false, reason: 'unsupported_header' });
  });

  test('a token signed with another key has a bad signature', () => {
    const token = codec({ key: OTHER_KEY }).sign(CLAIMS);
    expect(codec().verify(token, NOW)).toStrictEqual({ ok: false, reason: 'bad_signature' });
  });

  test('a changed payload has a bad signature', () => {
    const [header, , signature] = segments(codec().sign(CLAIMS));
    const token = `${header}.${encode({ ...CLAIMS, user_id: 1 })}.${signature}`;
    expect(codec().verify(token, NOW)).toStrictEqual({ ok: false, reason: 'bad_signature' });
  });

  test('the typ header is optional and case-insensitive, but must say JWT', () => {
    expect(codec().verify(forge({ alg: 'HS256' }, CLAIMS), NOW)).toStrictEqual({ ok: true, claims: CLAIMS });
    expect(codec().verify(forge({ alg: 'HS256', typ: 'jwt' }, CLAIMS), NOW)).toStrictEqual({
      ok: true,
      claims: CLAIMS,
    });
    for (const typ of ['at+jwt', 'JWS', 1, null]) {
      expect(codec().verify(forge({ alg: 'HS256', typ }, CLAIMS), NOW)).toStrictEqual({
        ok: false,
        reason: 'unsupported_header',
      });
    }
  });
});

describe('typ', () => {
  const typed = () => codec({ types: ['JWT', 'at+jwt', 'rt+jwt'] });
  const header = (token: string) => JSON.parse(Buffer.from(segments(token)[0], 'base64url').toString());

  test("signs with the typ it is given; verifies the codec's types; accept narrows them to a use", () => {
    const token = typed().sign(CLAIMS, NOW, 'at+jwt');
    expect(header(token)).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    expect(typed().verify(token, NOW)).toStrictEqual({ ok: true, claims: CLAIMS });
    expect(typed().verify(token, NOW, ['at+jwt', 'JWT'])).toStrictEqual({ ok: true, claims: CLAIMS });
    expect(typed().verify(token, NOW, ['rt+jwt', 'JWT'])).toStrictEqual({ ok: false, reason: 'wrong_typ' });
    // A typ no use of this codec has is not a kind of token it issues at all.
    expect(typed().verify(forge({ alg: 'HS256', typ: 'id+jwt' }, CLAIMS), NOW)).toStrictEqual({
      ok: false,
      reason: 'unsupported_header',
    });
  });

  test('only an otherwise valid token is of the wrong type: a forged or expired one says so', () => {
    const expired = typed().sign({ ...CLAIMS, exp: NOW }, NOW, 'at+jwt');
    expect(typed().verify(expired, NOW, ['rt+jwt'])).toStrictEqual({ ok: false, reason: 'expired' });
    const other = codec({ key: OTHER_KEY, types: ['at+jwt'] }).sign(CLAIMS, NOW, 'at+jwt');
    expect(typed().verify(other, NOW, ['rt+jwt'])).toStrictEqual({ ok: false, reason: 'bad_signature' });
  });
});

describe('algorithm confusion', () => {
  test.each(['none', 'None', 'NONE', 'nOnE'])('alg %s is refused however the signature looks', (alg) => {
    const unsigned = `${encode({ alg, typ: 'JWT' })}.${encode(CLAIMS)}`;
    expect(codec().verify(`${unsigned}.`, NOW)).toStrictEqual({ ok: false, reason: 'malformed' });
    expect(codec().verify(unsigned, NOW)).toStrictEqual({ ok: false, reason: 'malformed' });
    // Even with a valid HMAC of the configured key, `none` is not the configured algorithm.
    expect(codec().verify(forge({ alg, typ: 'JWT' }, CLAIMS), NOW)).toStrictEqual({
      ok: false,
      reason: 'unsupported_header',
    });
  });

  test.each([
    ['HS384', 'sha384'],
    ['HS512', 'sha512'],
  ])('a token signed with %s and the same key is refused by an HS256 codec', (alg, digest) => {
    const token = forge({ alg, typ: 'JWT' }, CLAIMS, { digest });
    expect(codec().verify(token, NOW)).toStrictEqual({ ok: false, reason: 'unsupported_header' });
    // Claiming HS256 while signing with the longer digest does not help either.
    const lying = forge(HS256_HEADER, CLAIMS, { digest });
    expect(codec().verify(lying, NOW)).toStrictEqual({ ok: false, reason: 'bad_signature' });
  });

  test.each(['hs256', 'RS256', 'ES256', ''])('alg %j is refused', (alg) => {
    expect(codec().verify(forge({ alg, typ: 'JWT' }, CLAIMS), NOW)).toStrictEqual({
      ok: false,
      reason: 'unsupported_header',
    });
  });

  test('a header without alg is refused', () => {
    expect(codec().verify(forge({ typ: 'JWT' }, CLAIMS), NOW)).toStrictEqual({
      ok: false,
      reason: 'unsupported_header',
    });
  });
});

describe('signature tampering', () => {
  test('flipping any one character of the signature is refused', () => {
    const [header, payload, signature] = segments(codec().sign(CLAIMS));
    expect(signature).toHaveLength(43);
    for (let i = 0; i < signature.length; i++) {
      const original = signature[i] ?? '';
      const replacement = ALPHABET[(ALPHABET.indexOf(original) + 1) % ALPHABET.length] ?? '';
      const flipped = signature.slice(0, i) + replacement + signature.slice(i + 1);
      expect(codec().verify(`${header}.${payload}.${flipped}`, NOW)).toStrictEqual({
        ok: false,
        reason: 'bad_signature',
      });
    }
  });

  test('a signature re-encoded with other trailing bits is refused', () => {
    const [header, payload, signature] = segments(codec().sign(CLAIMS));
    // 32 bytes in 43 characters: the last character carries 4 bits of data and 2 unused ones.
    const last = ALPHABET.indexOf(signature.at(-1) ?? '');
    const variants = [1, 2, 3].map((bits) => signature.slice(0, -1) + ALPHABET[last ^ bits]);
    for (const variant of variants) {
      expect(variant).not.toBe(signature);
      expect(Buffer.from(variant, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
      expect(codec().verify(`${header}.${payload}.${variant}`, NOW)).toStrictEqual({
        ok: false,
        reason: 'bad_signature',
      });
    }
  });

  test('a truncated or extended signature is refused', () => {
    const token = codec().sign(CLAIMS);
    expect(codec().verify(token.slice(0, -1), NOW)).toStrictEqual({ ok: false, reason: 'bad_signature' });
    expect(codec().verify(`${token}A`, NOW)).toStrictEqual({ ok: false, reason: 'bad_signature' });
  });
});

describe('header parameters', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test.each([[['exp']], [[]], ['b64']])('crit %j is refused', (crit) => {
    const token = forge({ ...HS256_HEADER, crit, b64: true }, CLAIMS);
    expect(codec().verify(token, NOW)).toStrictEqual({ ok: false, reason: 'unsupported_header' });
  });

  test('jwk, jku, x5u and kid select no key and fetch nothing', () => {
    const fetch = vi.spyOn(globalThis, 'fetch').mockRejectedValue(new Error('no fetching'));
    const header = {
      ...HS256_HEADER,
      kid: 'attacker',
      jku: 'https://attacker.example/jwks.json',
      x5u: 'https://attacker.example/cert.pem',
      jwk: { kty: 'oct', k: Buffer.from(OTHER_KEY).toString('base64url') },
    };
    const forged = forge(header, CLAIMS, { key: OTHER_KEY });
    expect(codec().verify(forged, NOW)).toStrictEqual({ ok: false, reason: 'bad_signature' });
    // They are ignored, not trusted: signed with the configured key, the same header is fine.
    expect(codec().verify(forge(header, CLAIMS), NOW)).toStrictEqual({ ok: true, claims: CLAIMS });
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe('malformed tokens', () => {
  const malformed = { ok: false, reason: 'malformed' };

  test('a token longer than TOKEN_MAX_LENGTH is malformed, even if correctly signed', () => {
    const sized = (length: number) => {
      for (let pad = 0; pad < TOKEN_MAX_LENGTH; pad++) {
        const token = codec().sign({ ...CLAIMS, pad: 'x'.repeat(pad) });
        if (token.length === length) return token;
        if (token.length > length) break;
      }
      throw new Error(`no token of length ${length}`);
    };
    const longest = sized(TOKEN_MAX_LENGTH);
    expect(codec().verify(longest, NOW).ok).toBe(true);
    expect(codec().verify(sized(TOKEN_MAX_LENGTH + 1), NOW)).toStrictEqual(malformed);
    expect(codec().verify(`${longest}${'A'.repeat(100_000)}`, NOW)).toStrictEqual(malformed);
  });

  test('anything but three segments is malformed', () => {
    const token = codec().sign(CLAIMS);
    const [header, payload, signature] = segments(token);
    expect(codec().verify(`${header}.${payload}`, NOW)).toStrictEqual(malformed);
    expect(codec().verify(`${header}.${payload}.${signature}.${signature}`, NOW)).toStrictEqual(malformed);
    expect(codec().verify(`${token}.`, NOW)).toStrictEqual(malformed);
    expect(codec().verify(header, NOW)).toStrictEqual(malformed);
    expect(codec().verify('', NOW)).toStrictEqual(malformed);
    expect(codec().verify('..', NOW)).toStrictEqual(malformed);
  });

  test('characters outside base64url are malformed', () => {
    const [header, payload, signature] = segments(codec().sign(CLAIMS));
    const standardPayload = Buffer.from(JSON.stringify({ ...CLAIMS, x: '>>>???' })).toString('base64');
    expect(standardPayload).toMatch(/[+/]/);
    for (const token of [
      `${header}.${payload}.${signature}=`,
      `${header}=.${payload}.${signature}`,
      `${header}.${standardPayload}.${signature}`,
      `${header}.${payload.slice(0, 5)} ${payload.slice(5)}.${signature}`,
      `${header}.${payload}.${signature.slice(0, 10)}+${signature.slice(11)}`,
      `${header}.${payload}.${signature.slice(0, 10)}/${signature.slice(11)}`,
      `${header}.${payload}\n.${signature}`,
      `${header}.${payload}.`,
    ]) {
      expect(codec().verify(token, NOW)).toStrictEqual(malformed);
    }
  });

  test.each([
    ['a JSON array', encode([CLAIMS])],
    ['not JSON', Buffer.from('not json').toString('base64url')],
    ['JSON null', encode(null)],
    ['a JSON number', encode(42)],
    ['a JSON string', encode('claims')],
    ['truncated JSON', Buffer.from('{"exp":').toString('base64url')],
  ])('a correctly signed payload that is %s is malformed', (_, payload) => {
    expect(codec().verify(forge(HS256_HEADER, payload), NOW)).toStrictEqual(malformed);
  });

  test.each([
    ['a JSON array', encode(['HS256'])],
    ['not JSON', Buffer.from('HS256').toString('base64url')],
  ])('a header that is %s is malformed', (_, header) => {
    expect(codec().verify(forge(header, CLAIMS), NOW)).toStrictEqual(malformed);
  });

  test.each([
    ['missing', undefined],
    ['a string', String(NOW + 300)],
    ['null', null],
    ['a boolean', true],
  ])('exp %s is malformed', (_, exp) => {
    const token = codec().sign({ ...CLAIMS, exp });
    expect(codec().verify(token, NOW)).toStrictEqual(malformed);
  });
});

describe('time claims', () => {
  const verifyAt = (claims: Record<string, unknown>, leeway = 0) =>
    codec({ leeway }).verify(codec().sign(claims), NOW);
  const expired = { ok: false, reason: 'expired' };
  const notYet = { ok: false, reason: 'not_yet_valid' };

  test('exp in the past or exactly now is expired; one second ahead is valid', () => {
    expect(verifyAt({ exp: NOW - 3600 })).toStrictEqual(expired);
    expect(verifyAt({ exp: NOW - 1 })).toStrictEqual(expired);
    expect(verifyAt({ exp: NOW })).toStrictEqual(expired);
    expect(verifyAt({ exp: NOW + 1 })).toStrictEqual({ ok: true, claims: { exp: NOW + 1 } });
  });

  test('leeway extends exp by that many seconds', () => {
    expect(verifyAt({ exp: NOW - 29 }, 30)).toStrictEqual({ ok: true, claims: { exp: NOW - 29 } });
    expect(verifyAt({ exp: NOW - 30 }, 30)).toStrictEqual(expired);
  });

  test.each(['nbf', 'iat'])('%s in the future is not yet valid; now or earlier is fine', (claim) => {
    expect(verifyAt({ exp: NOW + 300, [claim]: NOW + 1 })).toStrictEqual(notYet);
    expect(verifyAt({ exp: NOW + 300, [claim]: NOW + 3600 })).toStrictEqual(notYet);
    expect(verifyAt({ exp: NOW + 300, [claim]: NOW })).toStrictEqual({
      ok: true,
      claims: { exp: NOW + 300, [claim]: NOW },
    });
    expect(verifyAt({ exp: NOW + 300, [claim]: NOW - 60 }).ok).toBe(true);
  });

  test.each(['nbf', 'iat'])('leeway tolerates %s up to that many seconds ahead', (claim) => {
    expect(verifyAt({ exp: NOW + 300, [claim]: NOW + 30 }, 30)).toStrictEqual({
      ok: true,
      claims: { exp: NOW + 300, [claim]: NOW + 30 },
    });
    expect(verifyAt({ exp: NOW + 300, [claim]: NOW + 31 }, 30)).toStrictEqual(notYet);
  });

  test.each(['nbf', 'iat'])('a non-numeric %s is refused', (claim) => {
    expect(verifyAt({ exp: NOW + 300, [claim]: String(NOW) })).toStrictEqual(notYet);
  });

  test('the time checked is the one passed in', () => {
    const token = codec().sign({ exp: NOW + 300, nbf: NOW });
    expect(codec().verify(token, NOW - 1)).toStrictEqual(notYet);
    expect(codec().verify(token, NOW + 299).ok).toBe(true);
    expect(codec().verify(token, NOW + 300)).toStrictEqual(expired);
  });
});

describe('audience and issuer', () => {
  const badAudience = { ok: false, reason: 'bad_audience' };
  const withAud = (aud: unknown) => codec().sign({ ...CLAIMS, aud });

  test('a token with an audience is refused when none is expected', () => {
    expect(codec().verify(withAud('api'), NOW)).toStrictEqual(badAudience);
    expect(codec().verify(withAud(['api']), NOW)).toStrictEqual(badAudience);
    expect(codec().verify(withAud(null), NOW)).toStrictEqual(badAudience);
  });

  test('a configured audience matches the string or a member of the array', () => {
    const api = codec({ audience: 'api' });
    expect(api.verify(withAud('api'), NOW)).toStrictEqual({ ok: true, claims: { ...CLAIMS, aud: 'api' } });
    expect(api.verify(withAud(['web', 'api']), NOW)).toStrictEqual({
      ok: true,
      claims: { ...CLAIMS, aud: ['web', 'api'] },
    });
  });

  test('a configured audience refuses a mismatch or a missing aud', () => {
    const api = codec({ audience: 'api' });
    expect(api.verify(withAud('web'), NOW)).toStrictEqual(badAudience);
    expect(api.verify(withAud(['web', 'API']), NOW)).toStrictEqual(badAudience);
    expect(api.verify(withAud([]), NOW)).toStrictEqual(badAudience);
    expect(api.verify(withAud('api-extra'), NOW)).toStrictEqual(badAudience);
    expect(api.verify(codec().sign(CLAIMS), NOW)).toStrictEqual(badAudience);
  });

  test('a configured issuer must match exactly', () => {
    const issued = codec({ issuer: 'https://auth.example' });
    const token = (iss: unknown) => codec().sign({ ...CLAIMS, iss });
    expect(issued.verify(token('https://auth.example'), NOW)).toStrictEqual({
      ok: true,
      claims: { ...CLAIMS, iss: 'https://auth.example' },
    });
    const badIssuer = { ok: false, reason: 'bad_issuer' };
    expect(issued.verify(token('https://evil.example'), NOW)).toStrictEqual(badIssuer);
    expect(issued.verify(token('https://auth.example/'), NOW)).toStrictEqual(badIssuer);
    expect(issued.verify(codec().sign(CLAIMS), NOW)).toStrictEqual(badIssuer);
  });

  test('without a configured issuer any iss is accepted', () => {
    const token = codec().sign({ ...CLAIMS, iss: 'anyone' });
    expect(codec().verify(token, NOW)).toStrictEqual({ ok: true, claims: { ...CLAIMS, iss: 'anyone' } });
  });
});
