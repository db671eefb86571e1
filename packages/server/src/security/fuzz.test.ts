/**
 * Property-based fuzzing of every endpoint with fast-check, through app.inject: bodies (anything, nasty keys,
 * deep nesting, huge strings, injection strings, control characters, look-alikes, wrong types, raw bytes),
 * headers (Authorization, Content-Type, Origin and a few others), browser mode (the X-Gatehouse-Session
 * header, refresh cookies live, garbage or sent twice, Sec-Fetch-Site) and paths (suffixes, percent-encodings,
 * `..`, double slashes). For every response:
 *
 * - the status is below 500;
 * - the security headers are there, and an arbitrary Origin is never reflected;
 * - a JSON body parses, and an error body carries no stack trace, internal error name, source path or
 *   database message (unless the request itself contained that text, as echoes of it are fine);
 * - a protected route answers 2xx only to a genuine access token;
 * - a route that reads or sets the refresh cookie answers a cross-site browser-mode request with neither a
 *   2xx nor a Set-Cookie.
 *
 * Afterwards the app still answers GET /api/ and no prototype has been polluted.
 *
 * Runs: FUZZ_RUNS cases per endpoint group (2000 with CI=true, 200 otherwise), seeded with FUZZ_SEED (fixed by
 * default, so a run is reproducible; fast-check prints the seed and path of any failure). Login and
 * registration attempts that pass validation cost an argon2 hash (~25 ms): their generators send a
 * well-formed credential body in about one case out of six, everything else fails validation first.
 */
import type { AuditEntryResponse } from '@gatehouse/contract';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createJwtCodec } from '../auth/jwt.js';
import { createSessionIssuer, type SessionIssuer, type TokenPair } from '../core/session-issuer.js';
import type { User } from '../store/users/store.js';
import { createTestContext, decodePayload, TEST_SIGNING_KEY, type TestContext } from '../testing/test-app.js';
import { usernameKey } from '../users/canonical.js';
import { onCi } from '../testing/ci.js';

const CI = onCi();
const RUNS = Number(process.env.FUZZ_RUNS ?? (CI ? 2000 : 200));
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_622);
/** Generous: a CI run of every group takes well under a minute on two cores. */
const GROUP_TIMEOUT = 240_000;

// ---------------------------------------------------------------------------------------------------------
// The app and its two actors

let ctx: TestContext;
let issuer: SessionIssuer;
let passwordHash: string;
const prototypesBefore = new Map<object, string[]>();
const PROTOTYPES: [string, object][] = [
  ['Object', Object.prototype],
  ['Array', Array.prototype],
  ['Function', Function.prototype],
  ['String', String.prototype],
];

interface Actor {
  username: string;
  email: string;
  superuser: boolean;
  user?: User;
  pair?: TokenPair;
  sessionId?: string;
}
const victim: Actor = { username: 'victim', email: 'victim@example.com', superuser: false };
const admin: Actor = { username: 'root', email: 'root@example.com', superuser: true };
const PASSWORD = 'password1';
/** A third account, never an actor: its security events must never reach the others. */
const BYSTANDER = 'bystander';
const BYSTANDER_IP = '203.0.113.99';
const ADMIN_IP = '198.51.100.77';

/**
 * Puts an actor back as the fuzzing found it: existing (re-created if deleted), active, with its role and
 * password, and with an open session. Cheap: no hashing, tokens issued straight from the token service.
 */
async function ready(actor: Actor): Promise<{ user: User; pair: TokenPair; sessionId: string }> {
  const now = ctx.clock();
  let user = await ctx.rows.userByUsernameKey(usernameKey(actor.username));
  if (!user) {
    const created = await ctx.store.createUser(
      {
        username: actor.username,
        usernameKey: usernameKey(actor.username),
        email: actor.email,
        passwordHash,
        isSuperuser: actor.superuser,
        isStaff: actor.superuser,
      },
      now,
    );
    if (!created.ok) throw new Error(`cannot re-create ${actor.username}: ${created.conflicts.join()}`);
    user = created.user;
  }
  if (!user.isActive || user.isSuperuser !== actor.superuser || user.isStaff !== actor.superuser) {
    user =
      (await ctx.store.updateUser(
        user.id,
        { isActive: true, isSuperuser: actor.superuser, isStaff: actor.superuser },
        now,
      )) ?? user;
  }
  if ((await ctx.store.findPasswordHash(user.id)) !== passwordHash) {
    await ctx.store.updatePasswordHash(user.id, passwordHash, now);
  }
  if (
    actor.pair === undefined ||
    actor.sessionId === undefined ||
    actor.user?.id !== user.id ||
    !(await ctx.store.isSessionActive(actor.sessionId))
  ) {
    actor.pair = (
      await issuer.issue(user, { methods: ['pwd'], client: { userAgent: 'fuzz', ip: '127.0.0.1' } })
    ).tokens;
    actor.sessionId = decodePayload(actor.pair.access).sid as string;
  }
  actor.user = user;
  return { user, pair: actor.pair, sessionId: actor.sessionId as string };
}

beforeAll(async () => {
  for (const [, prototype] of PROTOTYPES)
    prototypesBefore.set(prototype, Object.getOwnPropertyNames(prototype));
  ctx = await createTestContext({ GATEHOUSE_RATE_LIMITS: 'false' });
  // Which route answered each request (added before the app is ready, as Fastify requires).
  ctx.app.addHook('onResponse', async (request) => {
    answeredBy = `${request.method} ${request.routeOptions.url}`;
  });
  const { jwt } = ctx.config;
  const codec = createJwtCodec({ algorithm: jwt.algorithm, key: TEST_SIGNING_KEY, leeway: jwt.leeway });
  issuer = createSessionIssuer({ jwt, codec, store: ctx.store, clock: ctx.clock });
  const user = await ctx.createUser({ username: victim.username, email: victim.email, password: PASSWORD });
  passwordHash = (await ctx.store.findPasswordHash(user.id)) as string;
  await ready(victim);
  await ready(admin);
  await seedEvents();
});
afterAll(() => ctx?.close());

/**
 * Security events for GET /api/users/me/events/ to show, or not: the victim's (one by the administrator, from
 * an address the victim must not see), the administrator's, and a bystander's, which nobody fuzzing may see.
 */
async function seedEvents(): Promise<void> {
  const bystander = await ctx.createUser({ username: BYSTANDER, email: 'bystander@example.com' });
  const rootUser = (await ready(admin)).user;
  const victimUser = (await ready(victim)).user;
  const at = ctx.clock();
  const entry = (actor: User, target: User, action: string, ip: string) =>
    ctx.rows.insertAudit({
      at,
      actorId: actor.id,
      actor: actor.username,
      action,
      targetId: target.id,
      target: target.username,
      detail: {},
      ip,
    });
  for (let i = 0; i < 30; i++) await entry(rootUser, bystander, 'deactivate', BYSTANDER_IP);
  await entry(bystander, bystander, 'account.password_change', BYSTANDER_IP);
  await entry(rootUser, victimUser, 'deactivate', ADMIN_IP);
  await entry(victimUser, victimUser, 'account.password_change', '127.0.0.1');
  await entry(rootUser, rootUser, 'account.password_change', ADMIN_IP);
}

// ---------------------------------------------------------------------------------------------------------
// Values

const SQL_INJECTION = [
  "' OR 1=1 --",
  "' OR '1'='1",
  "admin'--",
  "victim' --",
  "'; DROP TABLE users; --",
  '" OR ""="',
  "') UNION SELECT password_hash, 1 FROM users --",
  '1; SELECT sqlite_version()',
  "' AND randomblob(1000000000) --",
  '%',
  '_',
  '%%',
  '\\',
  "\\'",
  '`',
  '$where',
  '{"$gt":""}',
  'NULL',
  '*',
];
const CONTROL = [
  '\u0000',
  '\r\n',
  '\n',
  '\t',
  '\u0007',
  '\u0008',
  '\u001b[31m',
  '\u007f',
  '\u0085',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\u200b',
  '\u200d',
  '\u202e',
  '\ud800',
  '\udfff',
  '\uffff',
  '\ufffd',
];
const LOOKALIKES = [
  'victim',
  'VICTIM',
  ' victim ',
  'ｖｉｃｔｉｍ',
  'vісtіm', // Cyrillic і
  'victim\u200b',
  'vic\u0301tim',
  'victim@example.com',
  'VICTIM@EXAMPLE.COM',
  'victim@exаmple.com', // Cyrillic а
  'victim+x@example.com',
  'victim@example.com.',
  '"victim"@example.com',
  'victim@[127.0.0.1]',
  'root',
  'ｒｏｏｔ',
  'rооt', // Cyrillic о
  'İ',
  'ß',
  'ﬁ',
  'ǅ',
  'Ω',
  '𝐫𝐨𝐨𝐭',
];
const TEMPLATES_AND_PATHS = [
  '../../../../etc/passwd',
  '..%2f..%2f',
  '/dev/null',
  'C:\\Windows\\win.ini',
  '${jndi:ldap://127.0.0.1/x}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'undefined',
  'NaN',
  '-0',
  '1e400',
];
const NASTY = [...SQL_INJECTION, ...CONTROL, ...LOOKALIKES, ...TEMPLATES_AND_PATHS];

const nastyString = fc.constantFrom(...NASTY);
const hugeString = fc
  .tuple(
    fc.integer({ min: 300, max: 20_000 }),
    fc.constantFrom('a', 'é', '😀', '\u0000', '%', '"', '\\', ' '),
  )
  .map(([length, unit]) => unit.repeat(length));
const fuzzString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 40 }), weight: 4 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 30 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }), weight: 1 },
  { arbitrary: nastyString, weight: 4 },
  {
    arbitrary: fc
      .array(fc.oneof(nastyString, fc.string({ maxLength: 5 })), { minLength: 2, maxLength: 5 })
      .map((parts) => parts.join('')),
    weight: 2,
  },
  { arbitrary: hugeString, weight: 1 },
);

/** What a field that expects a string may get instead. */
const fuzzValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fuzzString, weight: 8 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.double(), weight: 1 },
  {
    arbitrary: fc.constantFrom(0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2, true, false, null, '', [], {}),
    weight: 2,
  },
  { arbitrary: fc.array(fuzzString, { maxLength: 3 }), weight: 1 },
  { arbitrary: fc.anything({ maxDepth: 3 }), weight: 1 },
);

/** JSON text for a value; `undefined` becomes nothing at all. */
const json = (value: unknown) => JSON.stringify(value) ?? '';

/** An object as JSON text from key/value pairs, so that keys can repeat and be `__proto__`. */
const objectText = (entries: [string, string][]) =>
  `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;

const POLLUTION =
  '{"polluted":"yes","is_superuser":true,"isSuperuser":true,"isStaff":true,"isActive":true,"user_id":2}';
const nastyKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  'toString',
  'hasOwnProperty',
  '',
);

/** Deeply nested JSON text, 200 levels and more. */
const deepText = fc
  .tuple(fc.integer({ min: 200, max: 5000 }), fc.constantFrom('array', 'object', 'proto', 'mixed'))
  .map(([depth, kind]) => {
    switch (kind) {
      case 'array':
        return '['.repeat(depth) + ']'.repeat(depth);
      case 'object':
        return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
      case 'proto':
        return '{"a":'.repeat(depth) + `{"__proto__":${POLLUTION}}` + '}'.repeat(depth);
      default:
        return '[{"a":'.repeat(depth) + 'null' + '}]'.repeat(depth);
    }
  });

interface Body {
  payload: string | Buffer;
  contentType?: string | undefined;
}

const JSON_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json;charset=latin1',
  'application/json; charset=utf-16',
  'application/json;;;=',
  'application/json, text/plain',
  ' application/json',
];
const OTHER_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'text/plain',
  'text/json',
  'application/vnd.api+json',
  'application/jsonx',
  'application/xml',
  'multipart/form-data; boundary=----x',
  'application/octet-stream',
  '*/*',
  '',
  ';',
  'application/json\u0000',
  'application/json\r\nx-injected: 1',
];
const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 6 },
  { arbitrary: fc.constantFrom(...JSON_TYPES), weight: 2 },
  { arbitrary: fc.constantFrom(...OTHER_TYPES), weight: 2 },
  { arbitrary: fc.string({ maxLength: 30 }), weight: 1 },
  { arbitrary: fc.constant(undefined), weight: 1 },
);

/**
 * Bodies for an endpoint whose fields are `fields`; `wellFormed` (rare, when given) is a body its schema
 * accepts, which is what reaches the handler and, for credentials, the password hash.
 */
function bodies(
  fields: readonly string[],
  wellFormed?: { arbitrary: fc.Arbitrary<Record<string, unknown>>; weight: number },
) {
  const field = fc.oneof(
    { arbitrary: fc.constantFrom(...fields), weight: 6 },
    { arbitrary: nastyKey, weight: 1 },
    { arbitrary: fc.string({ maxLength: 10 }), weight: 1 },
  );
  const asJson = (text: fc.Arbitrary<string>, weight: number) => ({
    arbitrary: fc.tuple(text, contentType).map(([payload, type]): Body => ({ payload, contentType: type })),
    weight,
  });
  const arms: { arbitrary: fc.Arbitrary<Body>; weight: number }[] = [
    // The expected fields with wrong, nasty or missing values.
    asJson(
      fc.array(fc.tuple(field, fuzzValue.map(json)), { maxLength: fields.length + 2 }).map(objectText),
      10,
    ),
    // Anything at all.
    asJson(
      fc
        .anything({ maxDepth: 4, withNullPrototype: true, withBoxedValues: true, withSparseArray: true })
        .map(json),
      2,
    ),
    // Prototype-pollution keys, alone or beside the real fields.
    asJson(
      fc
        .array(
          fc.tuple(
            fc.oneof(nastyKey, fc.constantFrom(...fields)),
            fc.oneof(fc.constant(POLLUTION), fc.constant(`{"prototype":${POLLUTION}}`), fuzzValue.map(json)),
          ),
          { minLength: 1, maxLength: 4 },
        )
        .map(objectText),
      2,
    ),
    // Deep nesting, as the body or as a field.
    asJson(deepText, 1),
    asJson(
      fc
        .tuple(fc.constantFrom(...fields), deepText)
        .map(([name, text]) => `{${JSON.stringify(name)}:${text}}`),
      1,
    ),
    // JSON-ish text: broken, duplicated keys, comments, BOM, huge numbers, lone surrogate escapes.
    asJson(
      fc.oneof(
        fc.string({
          unit: fc.constantFrom(
            '{',
            '}',
            '[',
            ']',
            '"',
            ':',
            ',',
            '\\',
            'u',
            '0',
            '1',
            'e',
            '-',
            ' ',
            'n',
            't',
            '_',
          ),
          maxLength: 60,
        }),
        fc.constantFrom(
          '{"password":"a","password":1}',
          '{"username":"victim"}/* comment */',
          '\ufeff{"username":"victim","password":"x"}',
          '{"refresh":1e400,"token":-0}',
          '{"username":"\\ud800","password":"\\udfff"}',
          '{"username":"\\u0000","password":"\\u0000"}',
          '{"__proto__":{"polluted":"yes"}}',
          '{"constructor":{"prototype":{"polluted":"yes"}}}',
          '{"a":{"__proto__":{"polluted":"yes"}}}',
          '[{"__proto__":{"polluted":"yes"}}]',
          '{"username": "victim", "password": "password1"} trailing',
          'null',
          'undefined',
          'NaN',
          '""',
          '{',
          '\u0000',
        ),
      ),
      2,
    ),
    // Raw random bytes, mostly sent as JSON.
    {
      arbitrary: fc
        .tuple(
          fc.uint8Array({ maxLength: 512 }),
          fc.oneof(
            { arbitrary: fc.constant('application/json'), weight: 3 },
            { arbitrary: contentType, weight: 1 },
          ),
        )
        .map(([bytes, type]): Body => ({ payload: Buffer.from(bytes), contentType: type })),
      weight: 2,
    },
    // Form bodies, with nasty names too.
    {
      arbitrary: fc
        .array(fc.tuple(fc.oneof(field, nastyKey), fuzzString), { maxLength: 4 })
        .map((entries): Body => ({
          payload: new URLSearchParams(entries).toString(),
          contentType: 'application/x-www-form-urlencoded',
        })),
      weight: 1,
    },
    {
      arbitrary: fc
        .constantFrom(
          '%zz=1',
          '&&==&',
          'a=%',
          '__proto__[polluted]=yes',
          'constructor[prototype][polluted]=yes',
          'password=%00',
        )
        .map((payload): Body => ({ payload, contentType: 'application/x-www-form-urlencoded' })),
      weight: 1,
    },
    // Empty, and over the body limit.
    { arbitrary: contentType.map((type): Body => ({ payload: '', contentType: type })), weight: 1 },
    {
      arbitrary: fc.integer({ min: 16 * 1024, max: 64 * 1024 }).map((size): Body => ({
        payload: `{"password":"${'x'.repeat(size)}"}`,
        contentType: 'application/json',
      })),
      weight: 1,
    },
  ];
  if (wellFormed) {
    arms.push({
      arbitrary: wellFormed.arbitrary.map((value): Body => ({
        payload: JSON.stringify(value),
        contentType: 'application/json',
      })),
      weight: wellFormed.weight,
    });
  }
  return fc.oneof(...arms);
}

/** Strings a schema takes as valid (1 to `max` characters), mostly short. */
const validString = (max: number) =>
  fc.oneof(
    fc.string({ minLength: 1, maxLength: 20 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
    nastyString.filter((s) => s.length > 0 && s.length <= max),
  );

// ---------------------------------------------------------------------------------------------------------
// Requests

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
const METHODS: readonly Method[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Who the request claims to be; tokens are resolved when the case runs, from live sessions. */
type Auth =
  | { kind: 'none' | 'victim' | 'admin' | 'victim-refresh' | 'admin-lowercase' }
  | { kind: 'raw'; value: string | string[] }
  | {
      kind: 'mangled';
      scheme: string;
      op: 'flip' | 'truncate' | 'append' | 'swap' | 'resign';
      at: number;
      extra: string;
    };

type Param = 'victim' | 'admin' | 'own-session' | 'victim-session' | string;

interface Case {
  method: Method;
  /** With `:publicId` and `:sessionId` placeholders. */
  path: string;
  publicId: Param;
  sessionId: Param;
  /** Raw query string, without `?`. */
  query: string;
  auth: Auth;
  body: Body | undefined;
  headers: Record<string, string>;
  /** Browser mode, on about one case in three. */
  browser: Browser | undefined;
  remoteAddress: string;
}

/** What a browser adds: the session header (or a wrong one), the cookies, where it says the request is from. */
interface Browser {
  mode: string | undefined;
  cookies: { name: string; value: string }[];
  site: string | undefined;
  origin: string | undefined;
}

const authArb = (weights: { victim: number; admin: number; other: number }): fc.Arbitrary<Auth> =>
  fc.oneof(
    { arbitrary: fc.constant<Auth>({ kind: 'victim' }), weight: weights.victim },
    { arbitrary: fc.constant<Auth>({ kind: 'admin' }), weight: weights.admin },
    {
      arbitrary: fc.oneof(
        fc.constant<Auth>({ kind: 'none' }),
        fc.constant<Auth>({ kind: 'victim-refresh' }),
        fc.constant<Auth>({ kind: 'admin-lowercase' }),
        fc
          .oneof(
            fuzzString,
            fuzzString.map((s) => `Bearer ${s}`),
            fc.array(
              fuzzString.map((s) => `Bearer ${s}`),
              { minLength: 2, maxLength: 3 },
            ),
          )
          .map((value): Auth => ({ kind: 'raw', value })),
        fc
          .record({
            scheme: fc.constantFrom('Bearer ', 'Bearer  ', 'Bearer\t', 'bearer ', 'JWT ', ''),
            op: fc.constantFrom('flip', 'truncate', 'append', 'swap', 'resign'),
            at: fc.nat(),
            extra: fc.oneof(fuzzString, fc.constantFrom('=', '.', '..', ' ', '%3D')),
          })
          .map((mangled): Auth => ({ kind: 'mangled', ...mangled })),
      ),
      weight: weights.other,
    },
  );

/** Lone surrogates replaced (by U+FFFD), so that encodeURI accepts the string. */
const wellFormed = (text: string) => Buffer.from(text, 'utf8').toString('utf8');
const percentEncoded = (text: string) => encodeURIComponent(wellFormed(text));

const paramArb = (own: readonly Param[]) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...own), weight: 3 },
    { arbitrary: fc.uuid(), weight: 1 },
    { arbitrary: fc.oneof(fuzzString, nastyString).map(percentEncoded), weight: 2 },
    {
      arbitrary: fc.constantFrom(
        '',
        '..',
        '%2e%2e',
        '%00',
        '%zz',
        '0',
        '-1',
        '1',
        '00000000-0000-0000-0000-000000000000',
      ),
      weight: 1,
    },
  );

const queryArb = fc.oneof(
  { arbitrary: fc.constant(''), weight: 3 },
  {
    arbitrary: fc
      .array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom('page', 'page_size', 'search', 'ordering'),
            nastyKey,
            fc.string({ maxLength: 8 }),
          ),
          fc.oneof(
            fuzzString,
            fc.constantFrom(
              '1',
              '0',
              '-1',
              '999999',
              '1000000',
              '1e3',
              '0x10',
              '00001',
              'updated',
              '-updated',
              '',
            ),
          ),
        ),
        { maxLength: 5 },
      )
      .map((entries) => new URLSearchParams(entries).toString()),
    weight: 4,
  },
  {
    arbitrary: fc.constantFrom(
      'page=1&page=2',
      'page[]=1',
      'search=%00',
      '%zz',
      '__proto__[polluted]=yes',
      'constructor[prototype][polluted]=yes',
      'page=%C0%AE',
      'ordering=updated&ordering=-updated',
      '&&&',
      '=',
      'search=' + '%25'.repeat(200),
    ),
    weight: 2,
  },
);

const ORIGINS = [
  'https://evil.example',
  'null',
  'http://localhost',
  'http://127.0.0.1:8000',
  'file://',
  'https://evil.example.',
  '*',
];
const extraHeaders = fc.record(
  {
    origin: fc.oneof(fc.constantFrom(...ORIGINS), fc.webUrl(), fuzzString),
    'x-forwarded-for': fc.oneof(fc.ipV4(), fc.constant('127.0.0.1, 10.0.0.1'), fuzzString),
    'x-forwarded-proto': fc.constantFrom('https', 'http', 'javascript'),
    'user-agent': fc.oneof(fuzzString, hugeString),
    accept: fc.constantFrom('text/html', '*/*', 'application/xml', 'application/json;q=0'),
    'x-http-method-override': fc.constantFrom('DELETE', 'PATCH', 'GET'),
    'accept-encoding': fc.constantFrom('gzip', 'br', 'identity;q=0', '*'),
  },
  { requiredKeys: [] },
);

const remoteAddress = fc.oneof(fc.ipV4(), fc.ipV6());

interface EndpointSpec {
  method: Method;
  path: string;
  /** Behind authentication: a 2xx needs a genuine access token. */
  protected: boolean;
}

function caseArb(options: {
  endpoints: readonly EndpointSpec[];
  body: fc.Arbitrary<Body>;
  auth: fc.Arbitrary<Auth>;
  query?: fc.Arbitrary<string>;
  headers?: fc.Arbitrary<Record<string, string>>;
  browser?: fc.Arbitrary<Browser | undefined>;
}): fc.Arbitrary<Case> {
  return fc
    .record({
      endpoint: fc.constantFrom(...options.endpoints),
      publicId: paramArb(['victim', 'admin']),
      sessionId: paramArb(['own-session', 'victim-session']),
      query: options.query ?? fc.constant(''),
      auth: options.auth,
      body: fc.option(options.body, { freq: 8, nil: undefined }),
      headers: options.headers ?? fc.constant({}),
      browser:
        options.browser ??
        fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: browserArb, weight: 1 }),
      remoteAddress,
    })
    .map(({ endpoint, ...rest }): Case => ({ ...rest, method: endpoint.method, path: endpoint.path }));
}

/** Methods and route patterns (as Fastify names them) behind authentication: a 2xx from them needs a genuine token. */
const PROTECTED_ROUTES = new Set<string>();
/** The route pattern that answered the last request (recorded by a hook the test adds to the app). */
let answeredBy: string | undefined;

interface Materialized {
  request: InjectOptions;
  /** The Authorization header carries, as its second part, a live access token byte for byte. */
  genuine: boolean;
  /** Whose that token is, when genuine. */
  caller?: User;
}

/** Turns a case into inject options, with live tokens and ids. */
async function materialize(c: Case): Promise<Materialized> {
  const live = { victim: await ready(victim), admin: await ready(admin) };
  const headers: Record<string, string | string[]> = { ...c.headers };
  const auth = c.auth;
  switch (auth.kind) {
    case 'victim':
      headers.authorization = `Bearer ${live.victim.pair.access}`;
      break;
    case 'admin':
      headers.authorization = `Bearer ${live.admin.pair.access}`;
      break;
    case 'victim-refresh':
      headers.authorization = `Bearer ${live.victim.pair.refresh}`;
      break;
    case 'admin-lowercase':
      headers.authorization = `bearer ${live.admin.pair.access}`;
      break;
    case 'raw':
      headers.authorization = auth.value;
      break;
    case 'mangled': {
      const token = live.victim.pair.access;
      const at = auth.at % token.length;
      const mangled = {
        flip: () => token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1),
        truncate: () => token.slice(0, at),
        append: () => token + auth.extra,
        swap: () => token.split('.').reverse().join('.'),
        resign: () => ctx.mint({ ...decodePayload(token), user_id: live.admin.user.id }, auth.extra),
      }[auth.op]();
      headers.authorization = auth.scheme + mangled;
      break;
    }
    case 'none':
      break;
  }
  const first = [headers.authorization ?? ''].flat()[0] ?? '';
  const parts = first.trim().split(/\s+/);
  const genuine =
    parts.length === 2 &&
    parts[0] === 'Bearer' &&
    [live.victim.pair.access, live.admin.pair.access].includes(parts[1] as string);

  const param = (value: Param) =>
    ({
      victim: live.victim.user.publicId,
      admin: live.admin.user.publicId,
      'own-session': (auth.kind === 'admin' ? live.admin : live.victim).sessionId,
      'victim-session': live.victim.sessionId,
    })[value] ?? value;
  const liveTokens = (text: string) =>
    text
      .replaceAll('@@victim.refresh@@', live.victim.pair.refresh)
      .replaceAll('@@victim.access@@', live.victim.pair.access)
      .replaceAll('@@admin.refresh@@', live.admin.pair.refresh);
  if (c.browser !== undefined) {
    const { mode, cookies, site, origin } = c.browser;
    if (mode !== undefined) headers['x-gatehouse-session'] = mode;
    if (cookies.length > 0) {
      headers.cookie = liveTokens(cookies.map(({ name, value }) => `${name}=${value}`).join('; '));
    }
    if (site !== undefined) headers['sec-fetch-site'] = site;
    if (origin !== undefined) headers.origin ??= origin;
  }
  const path = c.path
    .replace(':publicId', () => param(c.publicId))
    .replace(':sessionId', () => param(c.sessionId));
  const request: InjectOptions = {
    method: c.method,
    url: c.query === '' ? path : `${path}?${c.query}`,
    headers,
    remoteAddress: c.remoteAddress,
  };
  if (c.body !== undefined && c.method !== 'GET' && c.method !== 'HEAD') {
    const { payload } = c.body;
    request.payload = typeof payload === 'string' ? liveTokens(payload) : payload;
    if (c.body.contentType !== undefined) headers['content-type'] = c.body.contentType;
  }
  const caller = !genuine
    ? undefined
    : parts[1] === live.victim.pair.access
      ? live.victim.user
      : live.admin.user;
  return { request, genuine, ...(caller && { caller }) };
}

// ---------------------------------------------------------------------------------------------------------
// Properties

/** What a response must never show: a stack frame, an internal error, a source path, the database talking. */
const LEAKS: [string, RegExp][] = [
  ['stack frame', /\n\s+at |^\s+at |\bat [\w.<>]+ \(/m],
  ['internal error name', /\b(?:Type|Reference|Range|Syntax|Internal|Sqlite|Assertion)?Error:/],
  ['source path', /\/src\/|node_modules|\.[cm]?[jt]s:\d+|file:\/\//],
  ['database', /SQLITE_|sqlite3?|kysely|better-sqlite|no such (?:table|column)|constraint failed/i],
  ['framework code', /FST_[A-Z_]+|ERR_[A-Z_]{4,}/],
];

function requestText(request: InjectOptions): string {
  const payload = request.payload;
  const body = Buffer.isBuffer(payload)
    ? `${payload.toString('utf8')}\n${payload.toString('latin1')}`
    : String(payload ?? '');
  return `${String(request.url)}\n${JSON.stringify(request.headers ?? {})}\n${Object.values(request.headers ?? {}).join('\n')}\n${body}`;
}

function check(c: Case, { request, genuine, caller }: Materialized, response: LightMyRequestResponse): void {
  const where = `${request.method} ${String(request.url).slice(0, 200)} (auth ${c.auth.kind}) → ${response.statusCode} ${response.body.slice(0, 300)}`;
  const problems: string[] = [];
  if (response.statusCode >= 500) problems.push('5xx');
  if (
    response.headers['x-content-type-options'] !== 'nosniff' ||
    response.headers['cache-control'] !== 'no-store'
  ) {
    problems.push('security headers missing');
  }
  const origin = request.headers?.origin;
  const allowed = response.headers['access-control-allow-origin'];
  if (allowed !== undefined && (allowed === origin || allowed === '*'))
    problems.push(`Origin reflected: ${String(allowed)}`);
  const type = String(response.headers['content-type'] ?? '');
  if (response.body !== '' && type.startsWith('application/json')) {
    try {
      JSON.parse(response.body);
    } catch {
      problems.push('JSON body does not parse');
    }
  } else if (response.statusCode >= 400 && request.method !== 'HEAD') {
    problems.push(`error body is not JSON (${type})`);
  }
  if (response.statusCode >= 400) {
    const sent = requestText(request);
    for (const [name, pattern] of LEAKS) {
      if (pattern.test(response.body) && !pattern.test(sent)) problems.push(`leaks ${name}`);
    }
  }
  if (
    response.statusCode >= 200 &&
    response.statusCode < 300 &&
    !genuine &&
    PROTECTED_ROUTES.has(answeredBy ?? '')
  ) {
    problems.push(`protected route ${answeredBy} answered 2xx without a genuine access token`);
  }
  if (COOKIE_ROUTES.has(answeredBy ?? '') && isCrossSiteBrowserRequest(request)) {
    if (response.statusCode >= 200 && response.statusCode < 300) {
      problems.push(`cookie route ${answeredBy} answered 2xx to a cross-site browser-mode request`);
    }
    if (response.headers['set-cookie'] !== undefined) {
      problems.push(`cookie route ${answeredBy} set a cookie for a cross-site browser-mode request`);
    }
  }
  if (answeredBy === 'GET /api/users/me/events/' && response.statusCode === 200) {
    problems.push(...eventsProblems(response, caller));
  }
  if (problems.length > 0) throw new Error(`${problems.join(', ')}: ${where}`);
}

/** The caller's security events only (their account is the target), and no other actor's address. */
function eventsProblems(response: LightMyRequestResponse, caller: User | undefined): string[] {
  if (caller === undefined) return ['events answered without a genuine caller'];
  const body = JSON.parse(response.body) as { count: number; results: AuditEntryResponse[] };
  const problems: string[] = [];
  if (!Array.isArray(body.results)) return ['events: no results'];
  for (const event of body.results) {
    if (event.target !== caller.username) problems.push(`events: ${caller.username} sees ${event.target}'s`);
    if (event.actor !== caller.username && event.ip !== '') {
      problems.push(`events: ${caller.username} sees ${event.actor}'s address ${event.ip}`);
    }
  }
  if (response.body.includes(BYSTANDER_IP)) problems.push("events: the bystander's address");
  return problems;
}

/** The routes that read or set the refresh cookie in browser mode (http/token-delivery.ts's callers). */
const COOKIE_ROUTES = new Set([
  'POST /api/auth/login/',
  'POST /api/users/',
  'POST /api/auth/refresh/',
  'POST /api/auth/logout/',
]);

/**
 * Browser mode, and the browser says the request comes from another site (the fuzzed app lists no CORS
 * origin): a page elsewhere made it. Only what is certainly foreign counts; odd origins are left alone.
 */
function isCrossSiteBrowserRequest(request: InjectOptions): boolean {
  const headers = request.headers ?? {};
  if (headers['x-gatehouse-session'] !== 'cookie') return false;
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return true;
  return headers.origin === 'https://evil.example' || headers.origin === 'null';
}

/** Status codes seen per group, printed with FUZZ_STATS=true to see how deep the cases get. */
const statuses = new Map<number, number>();

async function run(c: Case): Promise<void> {
  const materialized = await materialize(c);
  answeredBy = undefined;
  const response = await ctx.app.inject(materialized.request);
  statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
  check(c, materialized, response);
}

async function fuzz(arbitrary: fc.Arbitrary<Case>, runs = RUNS): Promise<void> {
  statuses.clear();
  const started = performance.now();
  await fc.assert(fc.asyncProperty(arbitrary, run), { numRuns: runs, seed: SEED });
  if (process.env.FUZZ_STATS === 'true') {
    const seen = [...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`);
    console.log(`${runs} cases in ${Math.round(performance.now() - started)} ms: ${seen.join(' ')}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The endpoints, from the route files

const e = (method: Method, path: string, isProtected = false): EndpointSpec => ({
  method,
  path,
  protected: isProtected,
});

const TOKEN_ENDPOINTS = [
  e('POST', '/api/token/refresh/'),
  e('POST', '/api/token/verify/'),
  e('POST', '/api/token/blacklist/'),
  e('POST', '/token/refresh/'),
  e('POST', '/api/auth/refresh/'),
  e('POST', '/api/auth/logout/'),
  e('POST', '/user/logout'),
];
const LOGIN_ENDPOINTS = [
  e('POST', '/api/token/'),
  e('POST', '/token/'),
  e('POST', '/api/auth/login/'),
  e('POST', '/user/login'),
];
const REGISTER_ENDPOINTS = [
  e('POST', '/api/users/'),
  e('POST', '/api/auth/register/'),
  e('POST', '/user/register'),
];
const SELF_ENDPOINTS = [
  e('GET', '/api/profile/', true),
  e('PATCH', '/api/profile/', true),
  e('GET', '/api/users/me/', true),
  e('PATCH', '/api/users/me/', true),
  e('DELETE', '/api/users/me/', true),
  e('POST', '/api/users/me/password/', true),
  e('GET', '/api/users/me/sessions/', true),
  e('DELETE', '/api/users/me/sessions/:sessionId/', true),
  e('GET', '/api/users/me/events/', true),
  e('POST', '/api/auth/logout-all/', true),
];
const ADMIN_ENDPOINTS = [
  e('GET', '/api/users/', true),
  e('GET', '/api/users/:publicId/', true),
  e('PATCH', '/api/users/:publicId/', true),
  e('DELETE', '/api/users/:publicId/', true),
  e('GET', '/api/users/:publicId/sessions/', true),
  e('DELETE', '/api/users/:publicId/sessions/:sessionId/', true),
  e('GET', '/api/audit-log/', true),
  e('GET', '/api/user/', true),
  e('GET', '/api/user/:publicId/', true),
];
/** The routes that read or set the refresh cookie in browser mode, and logout-all, which clears it. */
const COOKIE_ENDPOINTS = [
  e('POST', '/api/auth/refresh/'),
  e('POST', '/api/auth/logout/'),
  e('POST', '/api/auth/login/'),
  e('POST', '/api/users/'),
  e('POST', '/api/auth/logout-all/', true),
];
const EVENTS_ENDPOINTS = [e('GET', '/api/users/me/events/', true)];
const PUBLIC_ENDPOINTS = [e('GET', '/api/'), e('GET', '/api/docs'), e('GET', '/api/docs/openapi.json')];
const ALL_ENDPOINTS = [
  ...TOKEN_ENDPOINTS,
  ...LOGIN_ENDPOINTS,
  ...REGISTER_ENDPOINTS,
  ...SELF_ENDPOINTS,
  ...ADMIN_ENDPOINTS,
  ...PUBLIC_ENDPOINTS,
];
for (const endpoint of ALL_ENDPOINTS) {
  if (!endpoint.protected) continue;
  PROTECTED_ROUTES.add(`${endpoint.method} ${endpoint.path}`);
  if (endpoint.method === 'GET') PROTECTED_ROUTES.add(`HEAD ${endpoint.path}`);
}

/** Every field any endpoint reads. */
const ALL_FIELDS = [
  'username',
  'email',
  'password',
  'refresh',
  'token',
  'refresh_token',
  'name',
  'first_name',
  'last_name',
  'current_password',
  'new_password',
  'is_active',
  'is_staff',
  'is_superuser',
];

/** Placeholders in a body, replaced by the live tokens when the case runs. */
const LIVE_TOKENS = ['@@victim.refresh@@', '@@victim.access@@', '@@admin.refresh@@'] as const;

/** Tokens for body fields: live ones (as they are or mangled), real-looking forgeries, and garbage. */
const tokenLike = tokenLikeArb();

function tokenLikeArb(): fc.Arbitrary<string> {
  return fc.oneof(
    fc
      .tuple(fc.constantFrom(...LIVE_TOKENS), fc.constantFrom('', '', '', '=', ' ', '.', 'A', '\u0000'))
      .map(([live, extra]) => live + extra),
    fc
      .tuple(fc.constantFrom('', '', ' ', 'Bearer ', '.'), fc.constantFrom(...LIVE_TOKENS))
      .map(([extra, live]) => extra + live),
    fuzzString,
    fc
      .tuple(fuzzString, fuzzString, fuzzString)
      .map((parts) => parts.map((p) => Buffer.from(p).toString('base64url')).join('.')),
    fc
      .record({
        sub: fuzzValue,
        token_type: fc.constantFrom('refresh', 'access'),
        jti: fuzzString,
        user_id: fc.oneof(fc.constantFrom(1, 2), fuzzValue),
        exp: fc.oneof(fc.constant(4_000_000_000), fuzzValue),
      })
      .map((claims) => ctx.mint(claims)),
  );
}

/** A refresh cookie's value: a live token (resolved when the case runs), the wrong kind, a forgery, garbage. */
const cookieValue = fc.oneof(
  { arbitrary: fc.constantFrom('@@victim.refresh@@', '@@admin.refresh@@'), weight: 4 },
  { arbitrary: fc.constant('@@victim.access@@'), weight: 1 },
  { arbitrary: tokenLikeArb(), weight: 2 },
  { arbitrary: fuzzString.map((text) => text.replaceAll(';', '')), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      '',
      '""',
      '"@@victim.refresh@@"',
      '@@victim.refresh@@=',
      'deleted',
      '%00',
      '=',
    ),
    weight: 1,
  },
);
const REFRESH_COOKIE_NAMES = ['gatehouse_refresh', '__Secure-gatehouse_refresh'];
const cookieName = fc.oneof(
  { arbitrary: fc.constantFrom(...REFRESH_COOKIE_NAMES), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      'GATEHOUSE_REFRESH',
      'gatehouse_refresh ',
      '__Host-gatehouse_refresh',
      'sessionid',
      '',
    ),
    weight: 1,
  },
);
const cookie = fc.record({ name: cookieName, value: cookieValue });
const browserArb: fc.Arbitrary<Browser> = fc.record({
  mode: fc.oneof(
    { arbitrary: fc.constant('cookie'), weight: 8 },
    { arbitrary: fc.constantFrom('Cookie', 'token', '', ' cookie', 'cookie, cookie'), weight: 1 },
    { arbitrary: fuzzString, weight: 1 },
    { arbitrary: fc.constant(undefined), weight: 2 },
  ),
  cookies: fc.oneof(
    { arbitrary: fc.array(cookie, { maxLength: 3 }), weight: 3 },
    // The refresh cookie twice (tossed from a sibling subdomain): live and garbage, or two live ones.
    {
      arbitrary: fc
        .tuple(
          fc.constantFrom(...REFRESH_COOKIE_NAMES),
          cookieValue,
          cookieValue,
          fc.array(cookie, { maxLength: 1 }),
        )
        .map(([name, first, second, others]) => [{ name, value: first }, ...others, { name, value: second }]),
      weight: 2,
    },
  ),
  site: fc.option(fc.constantFrom('same-origin', 'none', 'same-site', 'cross-site', 'CROSS-SITE'), {
    freq: 2,
    nil: undefined,
  }),
  origin: fc.option(
    fc.constantFrom('http://localhost:80', 'http://localhost', 'https://evil.example', 'null'),
    {
      freq: 2,
      nil: undefined,
    },
  ),
});

// ---------------------------------------------------------------------------------------------------------

describe('fuzzing every endpoint', () => {
  test(
    'token endpoints: refresh, verify, blacklist, logout',
    async () => {
      await fuzz(
        caseArb({
          endpoints: TOKEN_ENDPOINTS,
          body: fc.oneof(
            { arbitrary: bodies(['refresh', 'token', 'refresh_token']), weight: 3 },
            {
              // The same token in every field name these endpoints read (the others are ignored).
              arbitrary: tokenLike.map((token): Body => ({
                payload: JSON.stringify({ refresh: token, token, refresh_token: token }),
                contentType: 'application/json',
              })),
              weight: 3,
            },
          ),
          auth: authArb({ victim: 1, admin: 1, other: 2 }),
        }),
      );
    },
    GROUP_TIMEOUT,
  );

  test(
    'browser mode on the cookie routes: the session header, live, garbage and duplicated cookies',
    async () => {
      const sameOrigin = browserArb.map((browser): Browser => ({
        ...browser,
        site: undefined,
        origin: undefined,
      }));
      await fuzz(
        caseArb({
          // Refresh and logout read the cookie on every request: most cases go there.
          endpoints: [
            ...COOKIE_ENDPOINTS.filter(
              (endpoint) => endpoint.path !== '/api/users/' && !endpoint.protected,
            ).slice(0, 2),
            ...COOKIE_ENDPOINTS,
          ],
          body: fc.oneof(
            { arbitrary: fc.constant<Body>({ payload: '{}', contentType: 'application/json' }), weight: 6 },
            {
              arbitrary: fc
                .constantFrom({ username: 'victim', password: PASSWORD }, { refresh: '@@victim.refresh@@' })
                .map((value): Body => ({ payload: JSON.stringify(value), contentType: 'application/json' })),
              weight: 1,
            },
            { arbitrary: bodies(['refresh', 'username', 'password']), weight: 2 },
          ),
          auth: authArb({ victim: 1, admin: 0, other: 3 }),
          browser: fc.oneof({ arbitrary: sameOrigin, weight: 3 }, { arbitrary: browserArb, weight: 2 }),
        }),
      );
    },
    GROUP_TIMEOUT,
  );

  test(
    'login endpoints (about one case in six is well-formed and reaches argon2)',
    async () => {
      const credentials = fc.record(
        {
          username: fc.oneof(validString(254), fc.constantFrom('victim', 'root', 'victim@example.com')),
          email: fc.oneof(
            validString(254),
            fc.constantFrom('victim@example.com', 'ＶＩＣＴＩＭ@example.com'),
          ),
          password: fc.oneof(validString(1024), fc.constant(PASSWORD)),
        },
        { requiredKeys: ['password'] },
      );
      await fuzz(
        caseArb({
          endpoints: LOGIN_ENDPOINTS,
          body: bodies(['username', 'email', 'password'], { arbitrary: credentials, weight: 5 }),
          auth: authArb({ victim: 0, admin: 0, other: 1 }),
        }),
      );
    },
    GROUP_TIMEOUT,
  );

  test(
    'registration endpoints (about one case in six is well-formed and may reach argon2)',
    async () => {
      const account = fc.record(
        {
          username: fc.oneof(validString(150), fc.stringMatching(/^[a-z][a-z0-9_.@+-]{0,20}$/)),
          name: validString(150),
          email: fc.oneof(
            fc.emailAddress(),
            fc.emailAddress(),
            validString(254),
            fc.constantFrom('victim@example.com', 'VICTIM@example.com'),
          ),
          password: fc.oneof(
            validString(1024),
            fc.string({ minLength: 8, maxLength: 30 }),
            fc.constant(PASSWORD),
          ),
          first_name: fuzzString,
          last_name: fuzzString,
        },
        { requiredKeys: ['username', 'name', 'email', 'password'] },
      );
      await fuzz(
        caseArb({
          endpoints: REGISTER_ENDPOINTS,
          body: bodies(['username', 'email', 'password', 'name', 'first_name', 'last_name'], {
            arbitrary: account,
            weight: 5,
          }),
          auth: authArb({ victim: 0, admin: 0, other: 1 }),
        }),
      );
    },
    GROUP_TIMEOUT,
  );

  test(
    "the caller's own account: profile, account, password, sessions, logout everywhere",
    async () => {
      const fields = ['first_name', 'last_name', 'email', 'password', 'current_password', 'new_password'];
      const wellFormed = fc.record(
        {
          first_name: validString(150),
          last_name: validString(150),
          email: validString(254),
          password: fc.oneof(
            { arbitrary: validString(1024), weight: 9 },
            { arbitrary: fc.constant(PASSWORD), weight: 1 },
          ),
          current_password: fc.oneof(
            { arbitrary: validString(1024), weight: 9 },
            { arbitrary: fc.constant(PASSWORD), weight: 1 },
          ),
          new_password: validString(1024),
        },
        { requiredKeys: [] },
      );
      await fuzz(
        caseArb({
          endpoints: SELF_ENDPOINTS,
          body: bodies(fields, { arbitrary: wellFormed, weight: 4 }),
          auth: authArb({ victim: 4, admin: 1, other: 2 }),
        }),
      );
    },
    GROUP_TIMEOUT,
  );

  test(
    'administration: users, one user, sessions, audit log (tutorial B’s user routes too)',
    async () => {
      const flags = fc.record(
        {
          is_active: fc.oneof(fc.boolean(), fuzzValue),
          is_staff: fc.oneof(fc.boolean(), fuzzValue),
          is_superuser: fc.oneof(fc.boolean(), fuzzValue),
        },
        { requiredKeys: [] },
      );
      await fuzz(
        caseArb({
          endpoints: ADMIN_ENDPOINTS,
          body: bodies(['is_active', 'is_staff', 'is_superuser'], { arbitrary: flags, weight: 4 }),
          auth: authArb({ victim: 1, admin: 4, other: 2 }),
          query: queryArb,
        }),
      );
    },
    GROUP_TIMEOUT,
  );

  test(
    "the caller's security events: garbage, valid and forged tokens, any query; never another user's",
    async () => {
      await fuzz(
        caseArb({
          endpoints: EVENTS_ENDPOINTS,
          body: bodies(ALL_FIELDS),
          auth: authArb({ victim: 3, admin: 2, other: 3 }),
          query: queryArb,
        }),
      );
      // Not vacuous: both callers saw events, all their own.
      for (const actor of [victim, admin]) {
        const { pair, user } = await ready(actor);
        const response = await ctx.app.inject({
          method: 'GET',
          url: '/api/users/me/events/?page_size=100',
          headers: { authorization: `Bearer ${pair.access}` },
        });
        expect(response.statusCode).toBe(200);
        const { results } = response.json() as { results: AuditEntryResponse[] };
        expect(results.length, actor.username).toBeGreaterThan(0);
        expect(eventsProblems(response, user)).toEqual([]);
      }
    },
    GROUP_TIMEOUT,
  );

  test(
    'public routes: the API root and the OpenAPI document',
    async () => {
      await fuzz(
        caseArb({
          endpoints: PUBLIC_ENDPOINTS,
          body: bodies(ALL_FIELDS),
          auth: authArb({ victim: 1, admin: 1, other: 2 }),
          query: queryArb,
          headers: extraHeaders,
        }),
      );
    },
    GROUP_TIMEOUT,
  );

  test(
    'headers on every endpoint: Authorization, Content-Type, Origin and others',
    async () => {
      const arbitrary = fc
        .tuple(
          caseArb({
            endpoints: ALL_ENDPOINTS.filter(
              (endpoint) => !LOGIN_ENDPOINTS.includes(endpoint) && !REGISTER_ENDPOINTS.includes(endpoint),
            ),
            body: bodies(ALL_FIELDS),
            auth: authArb({ victim: 2, admin: 1, other: 4 }),
            query: queryArb,
            headers: extraHeaders,
          }),
          fc.oneof(contentType, fc.string({ unit: 'binary', maxLength: 40 })),
        )
        .map(([c, type]) => ({ ...c, body: { payload: c.body?.payload ?? '{}', contentType: type } }));
      await fuzz(arbitrary);
    },
    GROUP_TIMEOUT,
  );

  test(
    'paths and methods: suffixes, percent-encodings, .., double slashes, other methods',
    async () => {
      const SUFFIXES = [
        '..',
        '../',
        '/..',
        '/../',
        '//',
        '/./',
        '%2e%2e/',
        '%2E%2E%2F',
        '%2f',
        '%00',
        '%zz',
        '%',
        ';',
        ';x=1',
        '#x',
        '~',
        '.json',
        '%20',
        '+',
        '\\',
        '%5c',
        '%c0%ae%c0%ae/',
        '%ff',
        '*',
        'index.html',
        '?',
        '&',
        '%u002e',
        '\u0000',
        '%0d%0ax-injected:1',
      ];
      const mutate = fc.oneof(
        { arbitrary: fc.constant({ prefix: '', separator: '/', upper: false, suffix: '' }), weight: 1 },
        {
          arbitrary: fc.record({
            prefix: fc.constant(''),
            separator: fc.constant('/'),
            upper: fc.constant(false),
            suffix: fc.constantFrom('', '/', '?', '#x', '//', '?x=1'),
          }),
          weight: 1,
        },
        {
          arbitrary: fc.record({
            prefix: fc.constantFrom(
              '',
              '',
              '',
              '/',
              '//',
              '/./',
              '/api/../',
              '/%2e/',
              'http://evil.example/',
              'http://localhost:80/',
            ),
            separator: fc.constantFrom('/', '/', '/', '//', '%2f', '%2F', '\\', '/./'),
            upper: fc.boolean(),
            suffix: fc.oneof(
              fc.constantFrom(...SUFFIXES),
              fc.string({ unit: 'binary', maxLength: 10 }).map((text) => encodeURI(wellFormed(text))),
              fc.string({
                unit: fc.constantFrom('/', '.', '%', '2', 'e', 'f', 'a', '0', ';', '?', '#'),
                maxLength: 12,
              }),
            ),
          }),
          weight: 4,
        },
      );
      const arbitrary = fc
        .tuple(
          caseArb({
            endpoints: ALL_ENDPOINTS,
            body: bodies(ALL_FIELDS),
            auth: authArb({ victim: 2, admin: 2, other: 2 }),
            query: queryArb,
          }),
          fc.constantFrom(...METHODS),
          mutate,
        )
        .map(([c, method, { prefix, separator, upper, suffix }]): Case => {
          let path = c.path.split('/').join(separator);
          if (upper)
            path = path.toUpperCase().replace(':PUBLICID', ':publicId').replace(':SESSIONID', ':sessionId');
          return { ...c, method, path: `${prefix}${path}${suffix}` };
        });
      await fuzz(arbitrary);
    },
    GROUP_TIMEOUT,
  );

  test('afterwards: the app still answers and nothing was polluted', async () => {
    const root = await ctx.app.inject({ url: '/api/' });
    expect(root.statusCode).toBe(200);
    expect(root.json()).toEqual(['/api/token', '/api/token/refresh']);
    const probe = {} as Record<string, unknown>;
    for (const name of [
      'polluted',
      'is_superuser',
      'isSuperuser',
      'isStaff',
      'isActive',
      'user_id',
      'prototype',
    ]) {
      expect(probe[name], name).toBeUndefined();
    }
    for (const [name, prototype] of PROTOTYPES) {
      expect(Object.getOwnPropertyNames(prototype), name).toEqual(prototypesBefore.get(prototype));
    }
    // The actors still authenticate with their own tokens only.
    const { pair, user } = await ready(victim);
    const me = await ctx.app.inject({
      url: '/api/users/me/',
      headers: { authorization: `Bearer ${pair.access}` },
    });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ username: 'victim', is_superuser: false, public_id: user.publicId });
  });
});
