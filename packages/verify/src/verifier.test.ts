import {
  createHash,
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import { beforeEach, describe, expect, test } from 'vitest';
import { createVerifier, readBearer, type Algorithm, type VerifierOptions } from './index.js';

const T0 = 1_750_000_000_000;
const NOW = T0 / 1000;

interface TestKey {
  alg: Algorithm;
  kid: string;
  privateKey: KeyObject;
  jwk: Record<string, unknown>;
}

function newKey(alg: Algorithm, kid?: string): TestKey {
  const { privateKey, publicKey } =
    alg === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const exported = publicKey.export({ format: 'jwk' });
  const id = kid ?? createHash('sha256').update(JSON.stringify(exported)).digest('base64url').slice(0, 16);
  return { alg, kid: id, privateKey, jwk: { ...exported, kid: id, alg, use: 'sig' } };
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function signWith(key: TestKey, claims: object, header: object = { alg: key.alg, kid: key.kid, typ: 'JWT' }) {
  const input = `${encode(header)}.${encode(claims)}`;
  const digest = key.alg === 'EdDSA' ? null : 'sha256';
  const signer =
    key.alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' as const } : key.privateKey;
  return `${input}.${sign(digest, Buffer.from(input), signer).toString('base64url')}`;
}

const claims = (overrides: object = {}) => ({
  token_type: 'access',
  exp: NOW + 300,
  iat: NOW,
  jti: 'b1946ac92492d2347c6235b4d2611184',
  user_id: 7,
  username: 'alice',
  sid: '0b9d2f5e-3c1a-4c59-9a3e-4f1f0c2d8e7a',
  ...overrides,
});

/** A JWKS endpoint in memory: what it serves can change; it counts its requests. */
function jwksServer(keys: TestKey[]) {
  const server = {
    keys,
    status: 200,
    body: undefined as string | undefined,
    requests: 0,
    fetch: (async (url: string | URL | Request) => {
      server.requests++;
      expect(String(url)).toBe('https://auth.example/.well-known/jwks.json');
      const body = server.body ?? JSON.stringify({ keys: server.keys.map((key) => key.jwk) });
      return new Response(body, { status: server.status, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch,
  };
  return server;
}

let now = T0;
const clock = () => now;
const advance = (seconds: number) => {
  now += seconds * 1000;
};
beforeEach(() => {
  now = T0;
});

function verifierFor(server: ReturnType<typeof jwksServer>, options: Partial<VerifierOptions> = {}) {
  return createVerifier({
    jwksUrl: 'https://auth.example/.well-known/jwks.json',
    algorithms: ['EdDSA'],
    fetch: server.fetch,
    clock,
    ...options,
  });
}

describe.each(['EdDSA', 'ES256', 'RS256'] as const)('%s', (alg) => {
  test('a Gatehouse access token verifies to its typed claims', async () => {
    const key = newKey(alg);
    const verifier = verifierFor(jwksServer([key]), { algorithms: [alg] });
    const result = await verifier.verify(signWith(key, claims()));
    expect(result).toEqual({ ok: true, claims: claims() });
    if (result.ok) {
      const userId: number = result.claims.user_id;
      expect(userId).toBe(7);
    }
  });

  test('a token of another key of the same kind, under the real kid: invalid_signature', async () => {
    const key = newKey(alg);
    const other = { ...newKey(alg), kid: key.kid };
    const verifier = verifierFor(jwksServer([key]), { algorithms: [alg] });
    expect(await verifier.verify(signWith(other, claims()))).toMatchObject({
      ok: false,
      code: 'invalid_signature',
    });
  });
});

describe('failure codes', () => {
  let key: TestKey;
  let server: ReturnType<typeof jwksServer>;
  beforeEach(() => {
    key = newKey('EdDSA');
    server = jwksServer([key]);
  });
  const verify = (token: string | undefined, options: Partial<VerifierOptions> = {}) =>
    verifierFor(server, options).verify(token);
  const code = async (token: string | undefined, options: Partial<VerifierOptions> = {}) => {
    const result = await verify(token, options);
    return result.ok ? 'ok' : result.code;
  };

  test('missing_token', async () => {
    expect(await code(undefined)).toBe('missing_token');
    expect(await code('')).toBe('missing_token');
    expect(await verifierFor(server).verify(null)).toEqual({
      ok: false,
      code: 'missing_token',
      message: 'No bearer token.',
    });
  });

  test('malformed: not three base64url segments, not JSON objects, oversized, crit, typ', async () => {
    const real = signWith(key, claims());
    const [head, body, signature] = real.split('.') as [string, string, string];
    for (const token of [
      'garbage',
      `${head}.${body}`,
      `${real}.x`,
      `${head}.${body}.${signature}=`,
      `${head}.${body}.`,
      `${encode([1])}.${body}.${signature}`,
      `!!.${body}.${signature}`,
      signWith(key, claims({ pad: 'x'.repeat(9000) })),
      signWith(key, claims(), { alg: 'EdDSA', kid: key.kid, crit: ['exp'] }),
      signWith(key, claims(), { alg: 'EdDSA', kid: key.kid, typ: 'JWS' }),
      signWith(key, claims(), { alg: 'EdDSA', kid: key.kid, typ: 7 }),
    ]) {
      expect(await code(token), token.slice(0, 40)).toBe('malformed');
    }
    // Signed, but claims that are not an access token's shape.
    for (const changes of [
      { exp: 'soon' },
      { iat: undefined },
      { user_id: '7' },
      { user_id: 1.5 },
      { sid: undefined },
      { jti: '' },
      { username: 3 },
    ]) {
      expect(await code(signWith(key, claims(changes))), JSON.stringify(changes)).toBe('malformed');
    }
    expect(await code(signWith(key, [1] as unknown as object))).toBe('malformed');
  });

  test('unsupported_algorithm: none, HMAC (with the public key as the secret), another asymmetric one', async () => {
    const body = encode(claims());
    const none = `${encode({ alg: 'none', kid: key.kid })}.${body}`;
    expect(await code(`${none}.AAAA`)).toBe('unsupported_algorithm');
    expect(await code(`${none}.`)).toBe('malformed');
    for (const secret of [
      JSON.stringify(key.jwk),
      createPublicKey(key.privateKey).export({ type: 'spki', format: 'pem' }),
    ]) {
      const input = `${encode({ alg: 'HS256', kid: key.kid, typ: 'JWT' })}.${body}`;
      const token = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
      expect(await code(token)).toBe('unsupported_algorithm');
    }
    const es = newKey('ES256');
    expect(await code(signWith(es, claims()))).toBe('unsupported_algorithm');
    // Nothing was fetched for any of them.
    expect(server.requests).toBe(0);
  });

  test('unknown_key: no kid, a kid not published, a published key of another algorithm', async () => {
    expect(await code(signWith(key, claims(), { alg: 'EdDSA', typ: 'JWT' }))).toBe('unknown_key');
    expect(await code(signWith(key, claims(), { alg: 'EdDSA', kid: 7 }))).toBe('unknown_key');
    const stranger = newKey('EdDSA', 'stranger');
    expect(await code(signWith(stranger, claims()))).toBe('unknown_key');
    // A JWKS that also publishes an ES256 key: an EdDSA token naming it is not verified with it.
    const es = newKey('ES256', 'es');
    server.keys = [key, es];
    const mixed = verifierFor(server, { algorithms: ['EdDSA', 'ES256'] });
    const lying = signWith(key, claims(), { alg: 'EdDSA', kid: 'es', typ: 'JWT' });
    expect(await mixed.verify(lying)).toMatchObject({ code: 'unknown_key' });
    expect(await mixed.verify(signWith(es, claims()))).toMatchObject({ ok: true });
  });

  test('jwk, jku and x5u headers select nothing and fetch nothing', async () => {
    const own = newKey('EdDSA', 'own');
    const verifier = verifierFor(server);
    for (const header of [
      { alg: 'EdDSA', kid: 'own', jwk: own.jwk },
      { alg: 'EdDSA', kid: key.kid, jwk: own.jwk },
      { alg: 'EdDSA', kid: 'own', jku: 'https://attacker.example/jwks.json' },
      { alg: 'EdDSA', kid: key.kid, x5u: 'https://attacker.example/cert.pem' },
    ]) {
      const result = await verifier.verify(signWith(own, claims(), header));
      expect(['unknown_key', 'invalid_signature']).toContain(!result.ok && result.code);
    }
    // The JWKS only, once (the unknown kid is within the cooldown of that fetch); nothing else.
    expect(server.requests).toBe(1);
  });

  test('invalid_signature: a changed payload, a flipped or re-encoded signature', async () => {
    const real = signWith(key, claims());
    const [head, , signature] = real.split('.') as [string, string, string];
    expect(await code(`${head}.${encode(claims({ user_id: 1 }))}.${signature}`)).toBe('invalid_signature');
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    expect(await code(`${head}.${real.split('.')[1]}.${flipped}`)).toBe('invalid_signature');
    // 64 bytes in 86 characters: the last one has 4 spare bits; another spelling is refused.
    const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = signature.slice(0, -1) + last[last.indexOf(signature.at(-1) as string) | 15];
    if (respelled !== signature)
      expect(await code(`${head}.${real.split('.')[1]}.${respelled}`)).toBe('invalid_signature');
    expect(await code(real)).toBe('ok');
  });

  test('expired and not_yet_valid, with leeway', async () => {
    expect(await code(signWith(key, claims({ exp: NOW })))).toBe('expired');
    expect(await code(signWith(key, claims({ exp: NOW - 5 })), { leeway: 10 })).toBe('ok');
    expect(await code(signWith(key, claims({ iat: NOW + 30 })))).toBe('not_yet_valid');
    expect(await code(signWith(key, claims({ nbf: NOW + 30 })))).toBe('not_yet_valid');
    expect(await code(signWith(key, claims({ iat: NOW + 30 })), { leeway: 30 })).toBe('ok');
  });

  test('wrong_type: a refresh token, or none', async () => {
    expect(await code(signWith(key, claims({ token_type: 'refresh' })))).toBe('wrong_type');
    expect(await code(signWith(key, claims({ token_type: undefined })))).toBe('wrong_type');
  });

  test('typ: at+jwt (RFC 9068) or JWT (tokens signed before) is an access token; rt+jwt is not', async () => {
    const typed = (typ: string) => signWith(key, claims(), { alg: 'EdDSA', kid: key.kid, typ });
    for (const typ of ['at+jwt', 'AT+JWT', 'application/at+jwt', 'JWT'])
      expect(await code(typed(typ)), typ).toBe('ok');
    expect(await code(signWith(key, claims(), { alg: 'EdDSA', kid: key.kid }))).toBe('ok');
    // A refresh token's header, whatever its claims say.
    expect(await code(typed('rt+jwt'))).toBe('wrong_type');
    // Asked for, at+jwt only: a token without it is not known to be an access token.
    expect(await code(typed('at+jwt'), { typ: 'at+jwt' })).toBe('ok');
    for (const typ of ['JWT', 'rt+jwt'])
      expect(await code(typed(typ), { typ: 'at+jwt' }), typ).toBe('wrong_type');
    expect(await code(signWith(key, claims(), { alg: 'EdDSA', kid: key.kid }), { typ: 'at+jwt' })).toBe(
      'wrong_type',
    );
  });

  test('wrong_audience and wrong_issuer', async () => {
    const api = { audience: 'api' };
    expect(await code(signWith(key, claims({ aud: 'api' })), api)).toBe('ok');
    expect(await code(signWith(key, claims({ aud: ['web', 'api'] })), api)).toBe('ok');
    expect(await code(signWith(key, claims({ aud: 'web' })), api)).toBe('wrong_audience');
    expect(await code(signWith(key, claims()), api)).toBe('wrong_audience');
    // Expecting none, a token addressed to some audience is not for this service.
    expect(await code(signWith(key, claims({ aud: 'api' })))).toBe('wrong_audience');
    const issuer = { issuer: 'https://auth.example' };
    expect(await code(signWith(key, claims({ iss: 'https://auth.example' })), issuer)).toBe('ok');
    expect(await code(signWith(key, claims({ iss: 'https://evil.example' })), issuer)).toBe('wrong_issuer');
    expect(await code(signWith(key, claims()), issuer)).toBe('wrong_issuer');
  });

  test('jwks_unavailable: a network error, a status, a body that is not a JWKS', async () => {
    const token = signWith(key, claims());
    const failing = {
      ...server,
      fetch: (async () => Promise.reject(new TypeError('fetch failed'))) as typeof fetch,
    };
    expect(await verifierFor(failing as typeof server).verify(token)).toEqual({
      ok: false,
      code: 'jwks_unavailable',
      message: 'The signing keys could not be fetched.',
    });
    for (const [status, body] of [
      [503, undefined],
      [200, 'not json'],
      [200, '{"keys":{}}'],
      [200, 'null'],
    ] as const) {
      server.status = status;
      server.body = body;
      expect(await code(token), `${status} ${body}`).toBe('jwks_unavailable');
      advance(2);
    }
  });

  test('the options are checked: algorithms must be listed, asymmetric ones only', () => {
    for (const algorithms of [[], ['HS256'], ['none'], ['EdDSA', 'RS512'], undefined]) {
      expect(() => verifierFor(server, { algorithms: algorithms as Algorithm[] })).toThrow(TypeError);
    }
  });
});

describe('the JWKS cache', () => {
  test('fetched once for many tokens, concurrent ones included; again after cacheMaxAge', async () => {
    const key = newKey('EdDSA');
    const server = jwksServer([key]);
    const verifier = verifierFor(server, { cacheMaxAge: 60 });
    const token = signWith(key, claims());
    const results = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)));
    expect(results.every((result) => result.ok)).toBe(true);
    expect(server.requests).toBe(1);
    advance(59);
    expect((await verifier.verify(signWith(key, claims({ exp: NOW + 400 })))).ok).toBe(true);
    expect(server.requests).toBe(1);
    advance(1);
    expect((await verifier.verify(signWith(key, claims({ exp: NOW + 400 })))).ok).toBe(true);
    expect(server.requests).toBe(2);
  });

  test('rotation: a new kid fetches the JWKS again at once; made-up kids at most once per cooldown', async () => {
    const first = newKey('EdDSA');
    const server = jwksServer([first]);
    const verifier = verifierFor(server, { cooldown: 30 });
    expect((await verifier.verify(signWith(first, claims()))).ok).toBe(true);
    expect(server.requests).toBe(1);

    // Gatehouse rotated (and published the key before signing with it).
    advance(31);
    const second = newKey('EdDSA');
    server.keys = [second, first];
    expect((await verifier.verify(signWith(second, claims({ exp: NOW + 400 })))).ok).toBe(true);
    expect(server.requests).toBe(2);

    // Made-up kids: the first one fetches (the cooldown has not started), the others wait for it.
    advance(31);
    const made = Array.from({ length: 10 }, (_, i) =>
      signWith(newKey('EdDSA', `made-up-${i}`), claims({ exp: NOW + 400 })),
    );
    const results = await Promise.all(made.map((token) => verifier.verify(token)));
    expect(results.map((result) => !result.ok && result.code)).toEqual(Array(10).fill('unknown_key'));
    expect(server.requests).toBe(3);
    for (const token of made) await verifier.verify(token);
    expect(server.requests).toBe(3);
    advance(30);
    await verifier.verify(made[0] as string);
    expect(server.requests).toBe(4);
  });

  test('a retired key stops verifying once the cached JWKS expires', async () => {
    const [old, current] = [newKey('EdDSA'), newKey('EdDSA')];
    const server = jwksServer([current, old]);
    const verifier = verifierFor(server, { cacheMaxAge: 300 });
    const token = signWith(old, claims({ exp: NOW + 3600 }));
    expect((await verifier.verify(token)).ok).toBe(true);
    server.keys = [current];
    advance(299);
    expect((await verifier.verify(token)).ok).toBe(true);
    advance(1);
    expect(await verifier.verify(token)).toMatchObject({ ok: false, code: 'unknown_key' });
  });

  test('the JWKS unreachable: the cached keys serve one more cacheMaxAge, then jwks_unavailable', async () => {
    const key = newKey('EdDSA');
    const server = jwksServer([key]);
    const verifier = verifierFor(server, { cacheMaxAge: 100 });
    const token = signWith(key, claims({ exp: NOW + 3600 }));
    expect((await verifier.verify(token)).ok).toBe(true);
    server.status = 500;
    advance(150);
    expect((await verifier.verify(token)).ok).toBe(true);
    // Failed fetches are retried at most once a second.
    const before = server.requests;
    await Promise.all([verifier.verify(token), verifier.verify(token)]);
    expect(server.requests).toBe(before);
    advance(50);
    expect(await verifier.verify(token)).toMatchObject({ ok: false, code: 'jwks_unavailable' });
    server.status = 200;
    advance(1);
    expect((await verifier.verify(token)).ok).toBe(true);
  });

  test('keys the JWKS should not have are ignored: private members, use other than sig, no kid', async () => {
    const key = newKey('EdDSA');
    const withPrivate = { ...key.privateKey.export({ format: 'jwk' }), kid: 'private', alg: 'EdDSA' };
    const server = jwksServer([]);
    server.body = JSON.stringify({
      keys: [
        withPrivate,
        { ...key.jwk, kid: 'enc', use: 'enc' },
        { ...key.jwk, kid: undefined },
        'junk',
        null,
      ],
    });
    const verifier = verifierFor(server);
    for (const kid of ['private', 'enc']) {
      expect(await verifier.verify(signWith(key, claims(), { alg: 'EdDSA', kid }))).toMatchObject({
        code: 'unknown_key',
      });
    }
  });
});

describe('fetching the JWKS safely', () => {
  const options = (jwksUrl: string) => ({ jwksUrl, algorithms: ['EdDSA'] as Algorithm[] });

  test('https, or http on loopback only (127.0.0.0/8, ::1, localhost): anything else is refused at once', () => {
    for (const url of [
      'https://auth.example/.well-known/jwks.json',
      'http://127.0.0.1:8000/.well-known/jwks.json',
      'http://127.45.6.7/jwks.json',
      'http://[::1]:8000/jwks.json',
      'http://localhost:8000/jwks.json',
      'http://LOCALHOST/jwks.json',
    ]) {
      expect(() => createVerifier(options(url)), url).not.toThrow();
    }
    for (const url of [
      'http://auth.example/.well-known/jwks.json',
      'http://10.0.0.1/jwks.json',
      'http://localhost.attacker.example/jwks.json',
      'http://127.0.0.1.nip.io/jwks.json',
      'http://[::ffff:7f00:1]/jwks.json',
      'ftp://auth.example/jwks.json',
      'file:///etc/jwks.json',
      'not a url',
    ]) {
      expect(() => createVerifier(options(url)), url).toThrow(TypeError);
    }
  });

  test('redirects are not followed: the JWKS is fetched from jwksUrl only', async () => {
    const key = newKey('EdDSA');
    const server = jwksServer([key]);
    const inits: (RequestInit | undefined)[] = [];
    const seen = (async (url: string | URL | Request, init?: RequestInit) => {
      inits.push(init);
      return server.fetch(url, init);
    }) as typeof fetch;
    expect(await verifierFor(server, { fetch: seen }).verify(signWith(key, claims()))).toMatchObject({
      ok: true,
    });
    expect(inits[0]?.redirect).toBe('error');
    // A fetch that follows them anyway (a custom one): a redirected answer is not taken, nor a 3xx.
    for (const answer of [
      Object.defineProperty(new Response(JSON.stringify({ keys: [key.jwk] })), 'redirected', { value: true }),
      new Response(null, { status: 302, headers: { location: 'https://attacker.example/jwks.json' } }),
    ]) {
      const redirected = (async () => answer) as typeof fetch;
      const result = await verifierFor(server, { fetch: redirected }).verify(signWith(key, claims()));
      expect(result).toMatchObject({ ok: false, code: 'jwks_unavailable' });
    }
  });

  test('a body over 256 KiB is refused, and read no further than that', async () => {
    const key = newKey('EdDSA');
    const server = jwksServer([key]);
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    let pulled = 0;
    const endless = (async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            pulled += chunk.byteLength;
            // An answer that never ends, but for this test's own bound.
            if (pulled > 16 * 1024 * 1024) controller.close();
            else controller.enqueue(chunk);
          },
        }),
        { status: 200 },
      )) as typeof fetch;
    const result = await verifierFor(server, { fetch: endless }).verify(signWith(key, claims()));
    expect(result).toMatchObject({ ok: false, code: 'jwks_unavailable' });
    expect(pulled).toBeLessThanOrEqual(256 * 1024 + 2 * chunk.byteLength);
    // A declared length over the cap is refused before reading.
    pulled = 0;
    const declared = (async () =>
      new Response(JSON.stringify({ keys: [key.jwk] }), {
        headers: { 'content-length': String(300 * 1024) },
      })) as typeof fetch;
    advance(2);
    expect(await verifierFor(server, { fetch: declared }).verify(signWith(key, claims()))).toMatchObject({
      ok: false,
      code: 'jwks_unavailable',
    });
    // Just under the cap, in many chunks, with multi-byte characters split across them: read whole.
    const json = JSON.stringify({ keys: [key.jwk], note: 'é'.repeat(1000) });
    const bytes = new TextEncoder().encode(json);
    const chunked = (async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.slice(i, i + 7));
            controller.close();
          },
        }),
      )) as typeof fetch;
    expect(await verifierFor(server, { fetch: chunked }).verify(signWith(key, claims()))).toMatchObject({
      ok: true,
    });
  });
});

describe('readBearer', () => {
  test.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc', 'abc'],
    ['  BEARER\tabc  ', 'abc'],
    [['Bearer first', 'Bearer second'], 'first'],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    ['Basic dXNlcjpwYXNz', undefined],
    ['abc.def.ghi', undefined],
    ['', undefined],
    [undefined, undefined],
    [null, undefined],
  ])('%j → %j', (header, token) => {
    expect(readBearer(header)).toBe(token);
  });
});
