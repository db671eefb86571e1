/**
 * Attacks on the JWTs, over HTTP: forged, re-signed, re-encoded, confused and oversized tokens presented to
 * GET /api/profile/ (an access token in the Authorization header), POST /api/token/refresh/ (a refresh token)
 * and POST /api/token/verify/ (either). Every forged token starts from a real token's payload, so the only
 * thing wrong with it is the attack; the control test shows that forging with the right header and key
 * reproduces the real token byte for byte. (The codec's own unit cases are in auth/jwt.test.ts.)
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { JwtClaims } from '../auth/jwt.js';
import {
  createTestContext,
  decodeHeader,
  decodePayload,
  TEST_SIGNING_KEY,
  type TestContext,
} from '../testing/test-app.js';

// ---------------------------------------------------------------------------------------------------------
// Expected answers, as simplejwt words them (http/errors.ts)

const INVALID = 'Token is invalid or expired';
/** A refused token at the token endpoints (refresh, verify, blacklist). */
const endpointRefusal = (detail: string) => ({ detail, code: 'token_not_valid' });
/** A refused access token on a protected route (JWTAuthentication). */
const accessRefusal = (message: string) => ({
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
});
const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' };
const DUPLICATE_HEADER = { detail: 'Multiple Authorization headers are not allowed.' };
const BAD_HEADER = {
  detail: 'Authorization header must contain two space-delimited values',
  code: 'bad_authorization_header',
};
const BLACKLISTED_AT_VERIFY = { non_field_errors: ['Token is blacklisted'] };
const CHALLENGE = 'Bearer realm="api"';

// ---------------------------------------------------------------------------------------------------------
// Forging by hand

const ATTACKER_KEY = 'attacker-controlled-hmac-key-0123456789';
const HS256 = { alg: 'HS256', typ: 'JWT' };

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const hmac = (digest: string, key: string, input: string) =>
  createHmac(digest, key).update(input).digest('base64url');

interface ForgeOptions {
  digest?: string;
  key?: string;
}

/** header.payload.HMAC with any digest and key; a string header or payload is taken as an encoded segment. */
function forge(
  header: unknown,
  payload: unknown,
  { digest = 'sha256', key = TEST_SIGNING_KEY }: ForgeOptions = {},
) {
  const input = `${typeof header === 'string' ? header : encode(header)}.${typeof payload === 'string' ? payload : encode(payload)}`;
  return `${input}.${hmac(digest, key, input)}`;
}

const segments = (token: string) => token.split('.') as [string, string, string];
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The same bytes, another base64url spelling: the last character of a segment whose length is not a multiple
 * of 4 carries unused low bits; setting them changes the text but not what Buffer decodes.
 */
function nonCanonical(segment: string): string {
  const unused = segment.length % 4 === 2 ? 4 : segment.length % 4 === 3 ? 2 : 0;
  if (unused === 0) throw new Error(`segment of length ${segment.length} has no spare bits`);
  const last = BASE64URL.indexOf(segment.at(-1) as string);
  const variant = BASE64URL[last | ((1 << unused) - 1)] as string;
  const result = segment.slice(0, -1) + variant;
  if (result === segment) throw new Error('segment already has its spare bits set');
  expect(Buffer.from(result, 'base64url')).toEqual(Buffer.from(segment, 'base64url'));
  return result;
}

/** With the `=` padding base64url drops. */
const padded = (segment: string) => segment + '='.repeat((4 - (segment.length % 4)) % 4 || 1);

// ---------------------------------------------------------------------------------------------------------
// The app under attack

let ctx: TestContext;
let pair: { refresh: string; access: string };

// Its length keeps both tokens' payloads off a multiple of 3 bytes, so their base64url has spare bits
// for the non-canonical re-encodings below (asserted by the control test).
const USERNAME = 'target1';

async function setUp(env: Record<string, string> = {}) {
  ctx = await createTestContext(env);
  await ctx.createUser({ username: USERNAME, email: 'target@example.com' });
  await ctx.createUser({ username: 'root', isSuperuser: true, isStaff: true });
  pair = await ctx.login(USERNAME);
}
afterEach(() => ctx.close());

const post = (url: string, payload: unknown) =>
  ctx.app.inject({ method: 'POST', url, payload: payload as object });
const profile = (token: string) =>
  ctx.app.inject({ url: '/api/profile/', headers: { authorization: `Bearer ${token}` } });
const refresh = (token: string) => post('/api/token/refresh/', { refresh: token });
const verify = (token: string) => post('/api/token/verify/', { token });
const nowSeconds = () => Math.floor(ctx.clock().getTime() / 1000);

/**
 * `make` turns a real token's payload into an attack token. The one built from the access token's payload is
 * presented to /api/profile/ and /api/token/verify/, the one built from the refresh token's payload to
 * /api/token/refresh/ and /api/token/verify/: all four must be refused as invalid.
 */
async function expectRefused(make: (payload: JwtClaims, real: string) => string, label = '') {
  const access = make(decodePayload(pair.access), pair.access);
  const refreshToken = make(decodePayload(pair.refresh), pair.refresh);
  const byProfile = await profile(access);
  expect(byProfile.statusCode, `${label} profile`).toBe(401);
  expect(byProfile.json(), `${label} profile`).toEqual(accessRefusal(INVALID));
  expect(byProfile.headers['www-authenticate']).toBe(CHALLENGE);
  const byRefresh = await refresh(refreshToken);
  expect(byRefresh.statusCode, `${label} refresh`).toBe(401);
  expect(byRefresh.json(), `${label} refresh`).toEqual(endpointRefusal(INVALID));
  for (const token of [access, refreshToken]) {
    const byVerify = await verify(token);
    expect(byVerify.statusCode, `${label} verify`).toBe(401);
    expect(byVerify.json(), `${label} verify`).toEqual(endpointRefusal(INVALID));
  }
}

/** The real tokens still work afterwards: nothing above was refused for an unrelated reason. */
async function expectRealTokensWork() {
  expect((await profile(pair.access)).statusCode).toBe(200);
  expect((await verify(pair.access)).statusCode).toBe(200);
  expect((await verify(pair.refresh)).statusCode).toBe(200);
}

describe('forging', () => {
  beforeEach(() => setUp());

  test('control: forging with HS256 and the real key reproduces the real tokens, which are accepted', async () => {
    for (const real of [pair.access, pair.refresh]) {
      expect(forge(decodeHeader(real), decodePayload(real))).toBe(real);
      // Both payload segments have spare bits, so the non-canonical re-encodings below are possible.
      expect(segments(real)[1].length % 4).not.toBe(0);
    }
    const response = await profile(pair.access);
    expect(response.statusCode).toBe(200);
    expect(response.json().user.username).toBe(USERNAME);
    await expectRealTokensWork();
  });

  test('alg "none" in every casing, with an empty, stripped or real-key signature', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE', 'NoNe', 'nonE']) {
      for (const header of [{ alg, typ: 'JWT' }, { alg }]) {
        const head = encode(header);
        await expectRefused((payload) => `${head}.${encode(payload)}.`, `${alg} empty signature`);
        await expectRefused((payload) => `${head}.${encode(payload)}`, `${alg} stripped signature`);
        await expectRefused((payload) => forge(header, payload), `${alg} signed with the real key`);
      }
    }
    await expectRealTokensWork();
  });

  test('alg missing, null, empty, lower-case or an array containing HS256', async () => {
    for (const alg of [undefined, null, '', 'hs256', 'HS256 ', ['HS256'], { HS256: true }]) {
      await expectRefused((payload) => forge({ alg, typ: 'JWT' }, payload), `alg ${JSON.stringify(alg)}`);
    }
  });

  test('HS384 and HS512 tokens signed with the real key (the algorithm is pinned, not chosen by the token)', async () => {
    for (const [alg, digest] of [
      ['HS384', 'sha384'],
      ['HS512', 'sha512'],
    ] as const) {
      await expectRefused((payload) => forge({ alg, typ: 'JWT' }, payload, { digest }), alg);
      // The header says HS256 but the MAC is HS384/512, and the reverse.
      await expectRefused((payload) => forge(HS256, payload, { digest }), `HS256 header, ${digest} MAC`);
    }
    // RS256/ES256 with an HMAC over the "public key" (key confusion): there is no public key to confuse.
    for (const alg of ['RS256', 'ES256', 'PS256', 'EdDSA']) {
      await expectRefused((payload) => forge({ alg, typ: 'JWT' }, payload), alg);
    }
  });

  test('any one flipped signature character is refused, the last one included', async () => {
    const [head, body, signature] = segments(pair.access);
    for (let index = 0; index < signature.length; index++) {
      const original = signature[index] as string;
      const flipped = original === 'A' ? 'B' : 'A';
      const token = `${head}.${body}.${signature.slice(0, index)}${flipped}${signature.slice(index + 1)}`;
      const response = await profile(token);
      expect(response.statusCode, `index ${index}`).toBe(401);
      expect(response.json()).toEqual(accessRefusal(INVALID));
    }
    await expectRefused((_payload, real) => {
      const [h, p, s] = segments(real);
      return `${h}.${p}.${s.slice(0, 20)}${s[20] === 'x' ? 'y' : 'x'}${s.slice(21)}`;
    }, 'flipped at refresh and verify');
    await expectRealTokensWork();
  });

  test('a stripped, truncated, extended or duplicated signature', async () => {
    const variants: [string, (real: string) => string][] = [
      ['empty', (real) => `${segments(real)[0]}.${segments(real)[1]}.`],
      ['stripped', (real) => `${segments(real)[0]}.${segments(real)[1]}`],
      ['truncated', (real) => real.slice(0, -1)],
      ['half', (real) => real.slice(0, -22)],
      ['extended', (real) => `${real}A`],
      ['fourth segment', (real) => `${real}.${segments(real)[2]}`],
      ['trailing dot', (real) => `${real}.`],
      [
        'non-canonical',
        (real) => `${segments(real)[0]}.${segments(real)[1]}.${nonCanonical(segments(real)[2])}`,
      ],
      ['padded', (real) => `${segments(real)[0]}.${segments(real)[1]}.${padded(segments(real)[2])}`],
    ];
    for (const [label, variant] of variants) await expectRefused((_payload, real) => variant(real), label);
    await expectRealTokensWork();
  });

  test('an embedded jwk header with the attacker’s own key, the token signed with it', async () => {
    const jwk = { kty: 'oct', k: Buffer.from(ATTACKER_KEY).toString('base64url'), alg: 'HS256' };
    await expectRefused((payload) => forge({ ...HS256, jwk }, payload, { key: ATTACKER_KEY }), 'jwk');
    // An empty key in the header, the token signed with the empty key.
    await expectRefused(
      (payload) => forge({ ...HS256, jwk: { kty: 'oct', k: '' } }, payload, { key: '' }),
      'empty jwk',
    );
  });

  test('jku and x5u headers pointing at an attacker server: refused, and the server is never contacted', async () => {
    const requests: string[] = [];
    const jwks = {
      keys: [{ kty: 'oct', kid: 'attacker', k: Buffer.from(ATTACKER_KEY).toString('base64url') }],
    };
    const server = createServer((request: IncomingMessage, response) => {
      requests.push(`${request.method} ${request.url}`);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      // The server works: a request to it is counted (then the count is reset).
      expect((await fetch(`${base}/probe`)).status).toBe(200);
      expect(requests).toEqual(['GET /probe']);
      requests.length = 0;

      for (const header of [
        { ...HS256, jku: `${base}/jwks.json`, kid: 'attacker' },
        { ...HS256, x5u: `${base}/cert.pem` },
        { alg: 'RS256', typ: 'JWT', jku: `${base}/jwks.json` },
        { ...HS256, jku: `${base}/jwks.json`, x5u: `${base}/cert.pem`, x5c: ['MIIB'], kid: 'attacker' },
      ]) {
        await expectRefused(
          (payload) => forge(header, payload, { key: ATTACKER_KEY }),
          JSON.stringify(header),
        );
      }
      // Time for any fetch the verification might have started in the background.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(requests).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('kid injection with a token signed by the empty string or by "null"', async () => {
    for (const kid of [
      '../../../../dev/null',
      "' OR 1=1 --",
      '/etc/passwd',
      '',
      'null',
      '0',
      '|id',
      null,
      0,
    ]) {
      for (const key of ['', 'null']) {
        await expectRefused(
          (payload) => forge({ ...HS256, kid }, payload, { key }),
          `kid ${JSON.stringify(kid)} key "${key}"`,
        );
      }
    }
    await expectRealTokensWork();
  });

  test('an unknown crit header is refused, even when the token is signed with the real key', async () => {
    for (const header of [
      { ...HS256, crit: ['exp'], exp: 1 },
      { ...HS256, crit: ['b64'], b64: false },
      { ...HS256, crit: ['http://attacker.example/ext'] },
      { ...HS256, crit: [] },
      { ...HS256, crit: null },
    ]) {
      await expectRefused((payload) => forge(header, payload), JSON.stringify(header));
    }
  });

  test('a header or payload that is not a JSON object, or not JSON, even signed with the real key', async () => {
    for (const header of [
      '',
      'bnVsbA' /* null */,
      'WyJIUzI1NiJd' /* ["HS256"] */,
      encode('HS256'),
      'e30' /* {} */,
    ]) {
      await expectRefused((payload) => forge(header, payload), `header ${header}`);
    }
    for (const body of [
      '',
      encode(null),
      encode([1]),
      encode('x'),
      encode(12),
      Buffer.from('{"exp":').toString('base64url'),
    ]) {
      await expectRefused(() => forge(HS256, body), `payload ${body}`);
    }
  });
});

describe('claims signed with the real key', () => {
  beforeEach(() => setUp());

  /** Real claims with `changes` applied, signed with the real key (JSON drops a claim set to undefined). */
  const resign = (payload: JwtClaims, changes: JwtClaims) => ctx.mint({ ...payload, ...changes });

  test('control: the real claims re-signed are accepted', async () => {
    expect((await profile(resign(decodePayload(pair.access), {}))).statusCode).toBe(200);
    expect((await verify(resign(decodePayload(pair.refresh), {}))).statusCode).toBe(200);
  });

  test('missing, non-numeric or infinite exp', async () => {
    for (const exp of [undefined, null, '9999999999', [9999999999], true, {}]) {
      await expectRefused((payload) => resign(payload, { exp }), `exp ${JSON.stringify(exp)}`);
    }
    // 1e400 parses to Infinity: not a NumericDate.
    await expectRefused((payload) => {
      const text = JSON.stringify({ ...payload, exp: 0 }).replace('"exp":0', '"exp":1e400');
      return forge(HS256, Buffer.from(text).toString('base64url'));
    }, 'exp 1e400');
  });

  test('expired: exp one second ago and exactly now; one second ahead is valid', async () => {
    const now = nowSeconds();
    await expectRefused((payload) => resign(payload, { exp: now - 1 }), 'exp now-1');
    await expectRefused((payload) => resign(payload, { exp: now }), 'exp now');
    expect((await profile(resign(decodePayload(pair.access), { exp: now + 1 }))).statusCode).toBe(200);
    // The clock moving past the real token's exp expires it.
    ctx.clock.advance(301);
    const response = await profile(pair.access);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(accessRefusal(INVALID));
  });

  test('nbf and iat in the future are refused; now is valid', async () => {
    const now = nowSeconds();
    for (const claim of ['nbf', 'iat']) {
      await expectRefused((payload) => resign(payload, { [claim]: now + 1 }), `${claim} now+1`);
      await expectRefused((payload) => resign(payload, { [claim]: now + 10 * 365 * 86400 }), `${claim} +10y`);
      await expectRefused((payload) => resign(payload, { [claim]: String(now) }), `${claim} string`);
      await expectRefused((payload) => resign(payload, { [claim]: null }), `${claim} null`);
      expect((await profile(resign(decodePayload(pair.access), { [claim]: now }))).statusCode).toBe(200);
    }
  });

  test('a token addressed to an audience is refused by a server that expects none', async () => {
    for (const aud of ['api', ['api'], '', null]) {
      await expectRefused((payload) => resign(payload, { aud }), `aud ${JSON.stringify(aud)}`);
    }
  });

  test('refresh ↔ access confusion, both ways', async () => {
    const wrongType = endpointRefusal('Token has wrong type');
    for (const url of [
      '/api/token/refresh/',
      '/api/token/blacklist/',
      '/api/auth/refresh/',
      '/api/auth/logout/',
      '/token/refresh/',
    ]) {
      const response = await post(url, { refresh: pair.access });
      expect(response.statusCode, url).toBe(401);
      expect(response.json(), url).toEqual(wrongType);
    }
    for (const url of ['/api/profile/', '/api/users/me/', '/api/users/me/sessions/']) {
      const response = await ctx.app.inject({ url, headers: { authorization: `Bearer ${pair.refresh}` } });
      expect(response.statusCode, url).toBe(401);
      expect(response.json(), url).toEqual(accessRefusal('Token has wrong type'));
    }
    // Another token_type, another case of it, or none at all.
    const access = decodePayload(pair.access);
    const refreshClaims = decodePayload(pair.refresh);
    for (const tokenType of ['Access', 'ACCESS', 'access ', ['access'], 'id', 'refresh']) {
      const response = await profile(resign(access, { token_type: tokenType }));
      expect(response.json(), JSON.stringify(tokenType)).toEqual(accessRefusal('Token has wrong type'));
    }
    for (const tokenType of ['Refresh', ['refresh'], 'access']) {
      const response = await refresh(resign(refreshClaims, { token_type: tokenType }));
      expect(response.json(), JSON.stringify(tokenType)).toEqual(wrongType);
    }
    expect((await profile(resign(access, { token_type: undefined }))).json()).toEqual(
      accessRefusal('Token has no type'),
    );
    expect((await refresh(resign(refreshClaims, { token_type: undefined }))).json()).toEqual(
      endpointRefusal('Token has no type'),
    );
    // Verify takes any type, as simplejwt's UntypedToken.
    expect((await verify(pair.refresh)).json()).toEqual({});
    expect((await verify(pair.access)).json()).toEqual({});
    // The refresh token, whose type was checked above, was never spent by these attempts.
    expect((await refresh(pair.refresh)).statusCode).toBe(200);
  });

  test('typ says what a token is for (RFC 8725 §3.11): at+jwt an access token, rt+jwt a refresh token', async () => {
    const withTyp = (payload: JwtClaims, typ: string) => forge({ alg: 'HS256', typ }, payload);
    const access = decodePayload(pair.access);
    const refreshClaims = decodePayload(pair.refresh);
    expect(forge({ alg: 'HS256', typ: 'at+jwt' }, access)).toBe(pair.access);
    expect(forge({ alg: 'HS256', typ: 'rt+jwt' }, refreshClaims)).toBe(pair.refresh);
    // The header says one use and the claims the other: refused, whichever it is presented as.
    expect((await profile(withTyp(access, 'rt+jwt'))).json()).toEqual(accessRefusal('Token has wrong type'));
    expect((await refresh(withTyp(refreshClaims, 'at+jwt'))).json()).toEqual(
      endpointRefusal('Token has wrong type'),
    );
    // A media type is case-insensitive and may carry its application/ prefix (RFC 7515 §4.1.9).
    for (const typ of ['AT+JWT', 'application/at+jwt']) {
      expect((await profile(withTyp(access, typ))).statusCode, typ).toBe(200);
    }
    for (const typ of ['at+jwt+x', 'access', 'rt+jwt ']) {
      expect((await profile(withTyp(access, typ))).json(), typ).toEqual(accessRefusal(INVALID));
    }
    // Tokens signed before (typ JWT, or no typ: simplejwt's) keep working, for what their token_type says.
    expect((await profile(forge(HS256, access))).statusCode).toBe(200);
    expect((await profile(forge({ alg: 'HS256' }, access))).statusCode).toBe(200);
    expect((await refresh(forge(HS256, refreshClaims))).statusCode).toBe(200);
  });

  test('a token naming another user, another session, no session or no user', async () => {
    const access = decodePayload(pair.access);
    const noUser = { detail: 'Token contained no recognizable user identification', code: 'token_not_valid' };
    const expectations: [JwtClaims, unknown][] = [
      // The superuser's id with this user's session: that session is not one of theirs, so it counts as ended.
      [{ user_id: 2 }, accessRefusal('Token is blacklisted')],
      [{ user_id: 999 }, { detail: 'User not found', code: 'user_not_found' }],
      // Stricter than simplejwt (whose ORM lookup would take "1"): only an integer names a user.
      [{ user_id: '1' }, noUser],
      [{ user_id: 1.5 }, noUser],
      [{ user_id: undefined }, noUser],
      [{ sid: undefined }, accessRefusal(INVALID)],
      [{ sid: '' }, accessRefusal(INVALID)],
      [{ sid: '00000000-0000-0000-0000-000000000000' }, accessRefusal('Token is blacklisted')],
      [{ sid: "' OR 1=1 --" }, accessRefusal('Token is blacklisted')],
      [{ jti: undefined }, accessRefusal('Token has no id')],
      [{ jti: '' }, accessRefusal('Token has no id')],
    ];
    for (const [changes, body] of expectations) {
      const response = await profile(resign(access, changes));
      expect(response.statusCode, JSON.stringify(changes)).toBe(401);
      expect(response.json(), JSON.stringify(changes)).toEqual(body);
    }
  });
});

describe('leeway', () => {
  beforeEach(() => setUp({ GATEHOUSE_LEEWAY: '30' }));

  test('nbf, iat and exp are tolerated within the leeway and refused beyond it', async () => {
    const now = nowSeconds();
    const access = decodePayload(pair.access);
    for (const claims of [{ nbf: now + 30 }, { iat: now + 30 }, { exp: now - 29 }]) {
      expect((await profile(ctx.mint({ ...access, ...claims }))).statusCode, JSON.stringify(claims)).toBe(
        200,
      );
    }
    for (const claims of [{ nbf: now + 31 }, { iat: now + 31 }, { exp: now - 30 }]) {
      await expectRefused((payload) => ctx.mint({ ...payload, ...claims }), JSON.stringify(claims));
    }
  });
});

describe('audience and issuer', () => {
  beforeEach(() => setUp({ GATEHOUSE_AUDIENCE: 'api', GATEHOUSE_ISSUER: 'https://auth.example' }));

  test('issued tokens carry them and are accepted; an array audience containing ours is too', async () => {
    expect(decodePayload(pair.access)).toMatchObject({ aud: 'api', iss: 'https://auth.example' });
    await expectRealTokensWork();
    expect(
      (await profile(ctx.mint({ ...decodePayload(pair.access), aud: ['other', 'api'] }))).statusCode,
    ).toBe(200);
  });

  test('a wrong, missing or look-alike aud is refused', async () => {
    for (const aud of [
      undefined,
      'other',
      'API',
      'api ',
      ' api',
      'ap',
      'apix',
      ['other'],
      [],
      null,
      '',
      { api: true },
      ['API'],
    ]) {
      await expectRefused(
        (payload) => {
          const claims: JwtClaims = { ...payload, aud };
          if (aud === undefined) delete claims.aud;
          return ctx.mint(claims);
        },
        `aud ${JSON.stringify(aud)}`,
      );
    }
  });

  test('a wrong, missing or look-alike iss is refused', async () => {
    for (const iss of [
      undefined,
      'https://auth.example/',
      'http://auth.example',
      'https://AUTH.example',
      'https://auth.example.evil',
      ['https://auth.example'],
      null,
      '',
    ]) {
      await expectRefused(
        (payload) => {
          const claims: JwtClaims = { ...payload, iss };
          if (iss === undefined) delete claims.iss;
          return ctx.mint(claims);
        },
        `iss ${JSON.stringify(iss)}`,
      );
    }
  });

  test('tokens signed by a server configured without them (the same key) are refused', async () => {
    await expectRefused((payload) => {
      const { aud: _aud, iss: _iss, ...rest } = payload;
      return ctx.mint(rest);
    }, 'no aud, no iss');
  });
});

describe('revoked and ended', () => {
  beforeEach(() => setUp());

  test('a blacklisted refresh token, re-encoded, is still refused', async () => {
    const logout = await post('/api/token/blacklist/', { refresh: pair.refresh });
    expect(logout.statusCode).toBe(200);
    expect(logout.json()).toEqual({});

    // The token itself: blacklisted.
    const again = await refresh(pair.refresh);
    expect(again.statusCode).toBe(401);
    expect(again.json()).toEqual(endpointRefusal('Token is blacklisted'));
    const verified = await verify(pair.refresh);
    expect(verified.statusCode).toBe(400);
    expect(verified.json()).toEqual(BLACKLISTED_AT_VERIFY);

    const [head, body, signature] = segments(pair.refresh);
    const standardBase64 = (segment: string) => segment.replaceAll('-', '+').replaceAll('_', '/');
    const variants: Record<string, string> = {
      'padded payload': `${head}.${padded(body)}.${signature}`,
      'padded signature': `${head}.${body}.${padded(signature)}`,
      'padded everywhere': `${padded(head)}.${padded(body)}.${padded(signature)}`,
      'non-canonical payload': `${head}.${nonCanonical(body)}.${signature}`,
      'non-canonical signature': `${head}.${body}.${nonCanonical(signature)}`,
      'standard base64 alphabet': [head, body, signature].map(standardBase64).join('.'),
      'leading space': ` ${pair.refresh}`,
      'trailing newline': `${pair.refresh}\n`,
      'whitespace inside': `${head}.${body.slice(0, 10)} ${body.slice(10)}.${signature}`,
      'percent-encoded': encodeURIComponent(pair.refresh).replaceAll('-', '%2D'),
      'Bearer prefix': `Bearer ${pair.refresh}`,
    };
    for (const [label, token] of Object.entries(variants)) {
      if (token === pair.refresh) continue;
      for (const url of [
        '/api/token/refresh/',
        '/api/token/blacklist/',
        '/api/auth/refresh/',
        '/token/refresh/',
      ]) {
        const response = await post(url, { refresh: token });
        expect(response.statusCode, `${label} at ${url}`).toBe(401);
        expect(response.json(), `${label} at ${url}`).toEqual(endpointRefusal(INVALID));
      }
      const byVerify = await verify(token);
      expect(byVerify.statusCode, `${label} at verify`).toBe(401);
      expect(byVerify.json(), `${label} at verify`).toEqual(endpointRefusal(INVALID));
    }
    // Still blacklisted after all that.
    expect((await refresh(pair.refresh)).json()).toEqual(endpointRefusal('Token is blacklisted'));
  });

  test('the access token of a session ended by logout is refused, re-encoded too', async () => {
    expect((await profile(pair.access)).statusCode).toBe(200);
    expect((await post('/api/token/blacklist/', { refresh: pair.refresh })).statusCode).toBe(200);
    const response = await profile(pair.access);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(accessRefusal('Token is blacklisted'));
    expect((await verify(pair.access)).json()).toEqual(BLACKLISTED_AT_VERIFY);
    const [head, body, signature] = segments(pair.access);
    for (const token of [
      `${head}.${nonCanonical(body)}.${signature}`,
      `${head}.${padded(body)}.${signature}`,
    ]) {
      const variant = await profile(token);
      expect(variant.statusCode).toBe(401);
      expect(variant.json()).toEqual(accessRefusal(INVALID));
    }
    // Re-signing the same claims needs the key; with it, the session check still refuses them.
    expect((await profile(ctx.mint(decodePayload(pair.access)))).json()).toEqual(
      accessRefusal('Token is blacklisted'),
    );
    // A fresh jti in the same ended session is refused just the same.
    const fresh = ctx.mint({ ...decodePayload(pair.access), jti: 'f'.repeat(32) });
    expect((await profile(fresh)).json()).toEqual(accessRefusal('Token is blacklisted'));
  });

  test('a replayed (rotated) refresh token is refused and ends the session', async () => {
    const rotated = await refresh(pair.refresh);
    expect(rotated.statusCode).toBe(200);
    const replay = await refresh(pair.refresh);
    expect(replay.statusCode).toBe(401);
    expect(replay.json()).toEqual(endpointRefusal('Token is blacklisted'));
    // The thief's replay ended the session: the legitimate successor and the access token die too.
    expect((await refresh(rotated.json().refresh)).statusCode).toBe(401);
    expect((await profile(rotated.json().access)).json()).toEqual(accessRefusal('Token is blacklisted'));
  });
});

describe('oversized tokens', () => {
  beforeEach(() => setUp());

  /** A real access token's claims with a `pad` claim making the token exactly `length` characters long. */
  const tokenOfLength = (length: number) => {
    const claims = decodePayload(pair.access);
    for (let pad = Math.max(0, Math.floor(((length - 400) * 3) / 4)); pad < length; pad++) {
      const token = ctx.mint({ ...claims, pad: 'x'.repeat(pad) });
      if (token.length === length) return token;
      if (token.length > length) break;
    }
    throw new Error(`no token of length ${length}`);
  };

  test('8192 characters are accepted; 8193 and 9 KB are refused, even correctly signed', async () => {
    expect((await profile(tokenOfLength(8192))).statusCode).toBe(200);
    const tooLong = [tokenOfLength(8193), tokenOfLength(9 * 1024)];
    for (const token of tooLong) {
      const response = await profile(token);
      expect(response.statusCode, `${token.length}`).toBe(401);
      expect(response.json()).toEqual(accessRefusal(INVALID));
      // The body fields are limited by the schema: 400, before any decoding.
      const byVerify = await verify(token);
      expect(byVerify.statusCode).toBe(400);
      expect(byVerify.json()).toEqual({ token: ['Ensure this field has no more than 8192 characters.'] });
      const byRefresh = await refresh(token);
      expect(byRefresh.statusCode).toBe(400);
      expect(byRefresh.json()).toEqual({ refresh: ['Ensure this field has no more than 8192 characters.'] });
    }
  });

  test('a 1 MB header segment, signed with the real key', async () => {
    const token = forge({ ...HS256, x: 'a'.repeat(1024 * 1024) }, decodePayload(pair.access));
    const response = await profile(token);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(accessRefusal(INVALID));
    const byVerify = await verify(token);
    expect(byVerify.statusCode).toBe(413);
    expect(byVerify.json()).toEqual({ detail: 'Request body is too large.' });
  });
});

describe('odd Authorization headers', () => {
  beforeEach(() => setUp());

  const withAuthorization = (authorization: string | string[]) =>
    // light-my-request sends an array as repeated headers.
    ctx.app.inject({ url: '/api/profile/', headers: { authorization } as OutgoingHttpHeaders });

  test('scheme casing, separators and parts, as simplejwt reads them', async () => {
    const cases: [string, number, unknown][] = [
      [`bearer ${pair.access}`, 401, NOT_PROVIDED],
      [`BEARER ${pair.access}`, 401, NOT_PROVIDED],
      [`Token ${pair.access}`, 401, NOT_PROVIDED],
      [`JWT ${pair.access}`, 401, NOT_PROVIDED],
      [`Basic ${Buffer.from(`${USERNAME}:password1`).toString('base64')}`, 401, NOT_PROVIDED],
      [pair.access, 401, NOT_PROVIDED],
      ['', 401, NOT_PROVIDED],
      [`Bearer:${pair.access}`, 401, NOT_PROVIDED],
      [`Bearer,${pair.access}`, 401, NOT_PROVIDED],
      // simplejwt splits on any whitespace: extra spaces and tabs are accepted.
      [`Bearer  ${pair.access}`, 200, undefined],
      [`Bearer\t${pair.access}`, 200, undefined],
      [`  Bearer ${pair.access}  `, 200, undefined],
      ['Bearer', 401, BAD_HEADER],
      ['Bearer ', 401, BAD_HEADER],
      [`Bearer ${pair.access} ${pair.access}`, 401, BAD_HEADER],
      [`Bearer ${pair.access} extra`, 401, BAD_HEADER],
      [`Bearer ${pair.access.replaceAll('.', ' ')}`, 401, BAD_HEADER],
      [`Bearer "${pair.access}"`, 401, accessRefusal(INVALID)],
      [`Bearer ${pair.access},`, 401, accessRefusal(INVALID)],
      [`Bearer ${pair.access};`, 401, accessRefusal(INVALID)],
    ];
    for (const [authorization, status, body] of cases) {
      const response = await withAuthorization(authorization);
      expect(response.statusCode, JSON.stringify(authorization)).toBe(status);
      if (body !== undefined) expect(response.json(), JSON.stringify(authorization)).toEqual(body);
      else expect(response.json().user.username).toBe(USERNAME);
    }
  });

  test('two Authorization headers, in any order, are refused: a proxy may have read the other one', async () => {
    const root = await ctx.rows.userByUsernameKey('root');
    const forged = ctx.mint(
      { ...decodePayload(pair.access), user_id: root?.id, username: 'root' },
      ATTACKER_KEY,
    );
    for (const authorization of [
      [`Bearer ${forged}`, `Bearer ${pair.access}`],
      [`Bearer ${pair.access}`, `Bearer ${forged}`],
      [`Bearer ${pair.access}`, 'garbage'],
      ['garbage', `Bearer ${pair.access}`],
      [`Bearer ${pair.access}`, `Bearer ${pair.access}`],
      [`Bearer ${pair.access}`, ''],
    ]) {
      const response = await withAuthorization(authorization);
      expect(response.statusCode, JSON.stringify(authorization)).toBe(400);
      expect(response.json()).toEqual(DUPLICATE_HEADER);
    }
  });

  test('a 1 MB Authorization header of a real-looking token', async () => {
    const response = await withAuthorization(`Bearer ${pair.access}${'A'.repeat(1024 * 1024)}`);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual(accessRefusal(INVALID));
  });

  test('non-ASCII and control characters in the header', async () => {
    for (const authorization of [
      `Bearer ${pair.access}é`,
      `Bearer é${pair.access}`,
      `Bearer ${pair.access.slice(0, 10)}\u0000${pair.access.slice(10)}`,
      `Bearer ${pair.access.replace('.', '\u2024')}`,
      'Bearer 😀',
      `Ｂｅａｒｅｒ ${pair.access}`,
    ]) {
      const response = await withAuthorization(authorization);
      expect(response.statusCode, JSON.stringify(authorization)).toBe(401);
      expect([NOT_PROVIDED, BAD_HEADER, accessRefusal(INVALID)]).toContainEqual(response.json());
    }
    // U+00A0 is not a separator: simplejwt splits the header as bytes, on ASCII whitespace only.
    expect((await withAuthorization(`Bearer\u00a0${pair.access}`)).json()).toEqual(NOT_PROVIDED);
    expect((await withAuthorization(`Bearer ${pair.access}\u00a0`)).statusCode).toBe(401);
  });
});

describe('authentication before validation', () => {
  beforeEach(() => setUp());

  const PROTECTED_WITH_BODIES: ['PATCH' | 'DELETE' | 'POST', string, object][] = [
    ['PATCH', '/api/profile/', { first_name: 5 }],
    ['PATCH', '/api/users/me/', { last_name: ['x'] }],
    ['DELETE', '/api/users/me/', {}],
    ['POST', '/api/users/me/password/', {}],
    ['PATCH', '/api/users/00000000-0000-0000-0000-000000000000/', { is_superuser: 'yes' }],
  ];

  test('control: with a valid body, a forged or missing token gets 401', async () => {
    const forged = ctx.mint(decodePayload(pair.access), ATTACKER_KEY);
    for (const [method, url] of PROTECTED_WITH_BODIES) {
      const payload =
        method === 'DELETE'
          ? { password: 'x' }
          : url.includes('password')
            ? { current_password: 'x', new_password: 'y' }
            : {};
      const anonymous = await ctx.app.inject({ method, url, payload });
      expect(anonymous.statusCode, `${method} ${url}`).toBe(401);
      expect(anonymous.json()).toEqual(NOT_PROVIDED);
      const withForged = await ctx.app.inject({
        method,
        url,
        payload,
        headers: { authorization: `Bearer ${forged}` },
      });
      expect(withForged.statusCode, `${method} ${url}`).toBe(401);
      expect(withForged.json()).toEqual(accessRefusal(INVALID));
    }
  });

  // As DRF (APIView.initial() authenticates before the view reads request.data): 401 before any field error.
  test('an anonymous caller with an invalid body gets 401, not the field errors', async () => {
    for (const [method, url, payload] of PROTECTED_WITH_BODIES) {
      const response = await ctx.app.inject({ method, url, payload });
      expect
        .soft(response.statusCode, `${method} ${url} ${JSON.stringify(payload)} → ${response.body}`)
        .toBe(401);
      expect.soft(response.json()).toEqual(NOT_PROVIDED);
    }
  });
});

describe('over a real socket', () => {
  beforeEach(() => setUp());

  /** Sends raw bytes to the listening app and returns the status code and body of the response. */
  async function rawRequest(bytes: Buffer): Promise<{ status: number; body: string }> {
    const address = ctx.app.server.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const socket = connect(address.port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('close', () => {
        const text = Buffer.concat(chunks).toString('latin1');
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
        resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
      });
      // Not end(): a half-closed connection lets the server drop its answer (Connection: close ends it).
      socket.write(bytes);
    });
  }
  const request = (...headerLines: (string | Buffer)[]) =>
    rawRequest(
      Buffer.concat([
        Buffer.from('GET /api/profile/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n'),
        ...headerLines.map((line) =>
          Buffer.concat([typeof line === 'string' ? Buffer.from(line) : line, Buffer.from('\r\n')]),
        ),
        Buffer.from('\r\n'),
      ]),
    );

  test('duplicate headers, raw non-ASCII bytes and a 1 MB header', async () => {
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const root = await ctx.rows.userByUsernameKey('root');
    const forged = ctx.mint(
      { ...decodePayload(pair.access), user_id: root?.id, username: 'root' },
      ATTACKER_KEY,
    );

    const control = await request(`Authorization: Bearer ${pair.access}`);
    expect(control.status).toBe(200);

    for (const [first, second] of [
      [forged, pair.access],
      [pair.access, forged],
    ]) {
      const duplicated = await request(`Authorization: Bearer ${first}`, `authorization: Bearer ${second}`);
      expect(duplicated.status).toBe(400);
      expect(JSON.parse(duplicated.body)).toEqual(DUPLICATE_HEADER);
    }

    for (const bytes of [
      Buffer.from([0xff, 0xfe, 0x80, 0xc3]),
      Buffer.from('é😀', 'utf8'),
      Buffer.concat([Buffer.from(pair.access), Buffer.from([0xc0, 0xae])]),
    ]) {
      const response = await request(Buffer.concat([Buffer.from('Authorization: Bearer '), bytes]));
      expect(response.status).toBe(401);
      expect(JSON.parse(response.body)).toEqual(accessRefusal(INVALID));
    }

    // Node refuses headers over its 16 KB limit itself: 431, never a 5xx, and the server goes on.
    const huge = await request(`Authorization: Bearer ${'A'.repeat(1024 * 1024)}`);
    expect(huge.status).toBe(431);
    expect((await request(`Authorization: Bearer ${pair.access}`)).status).toBe(200);
  });
});
