/**
 * The README's framework examples (src/examples/, shown there verbatim) as services behind Gatehouse:
 * each one refuses a missing token, and allows or refuses by the permissions its token carries.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { ordersApp as expressApp } from './examples/express.js';
import { ordersApp as fastifyApp } from './examples/fastify.js';
import { ordersApp as honoApp } from './examples/hono.js';
import { ordersServer } from './examples/node-http.js';
import { createVerifier, type Verifier } from './index.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'EdDSA', use: 'sig' };
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function token(extra: object): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    token_type: 'access',
    exp: now + 300,
    iat: now,
    jti: 'b1946ac92492d2347c6235b4d2611184',
    user_id: 7,
    username: 'alice',
    sid: '0b9d2f5e-3c1a-4c59-9a3e-4f1f0c2d8e7a',
    ...extra,
  };
  const input = `${encode({ alg: 'EdDSA', kid: 'k1', typ: 'at+jwt' })}.${encode(claims)}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
}

const verifier: Verifier = createVerifier({
  jwksUrl: 'https://auth.example/.well-known/jwks.json',
  algorithms: ['EdDSA'],
  fetch: (async () => Response.json({ keys: [jwk] })) as typeof fetch,
});

type Call = (path: string, init?: RequestInit) => Promise<Response>;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
});

async function listening(server: Server): Promise<Call> {
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return (path, init) => fetch(`http://127.0.0.1:${port}${path}`, init);
}

const frameworks: [string, () => Promise<Call>][] = [
  ['node:http', () => listening(ordersServer(verifier))],
  ['Express', () => listening(createServer(expressApp(verifier)))],
  [
    'Fastify',
    async () => {
      const app = fastifyApp(verifier);
      await app.listen({ port: 0, host: '127.0.0.1' });
      servers.push(app.server);
      const { port } = app.server.address() as AddressInfo;
      return (path, init) => fetch(`http://127.0.0.1:${port}${path}`, init);
    },
  ],
  [
    'Hono',
    async () => {
      const app = honoApp(verifier);
      return async (path, init) => app.request(path, init);
    },
  ],
];

const bearer = (claims: object) => ({ headers: { authorization: `Bearer ${token(claims)}` } });
const refund = (claims: object) => ({ method: 'POST', ...bearer(claims) });

describe.each(frameworks)('%s', (_name, start) => {
  test('a missing token is a 401', async () => {
    const call = await start();
    const response = await call('/orders');
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'missing_token' });
  });

  test('the permission a route needs: granted, denied, `*` for a superuser, unknown without the claim', async () => {
    const call = await start();
    const reader = { roles: ['clerk'], permissions: ['orders:read'] };
    const read = await call('/orders', bearer(reader));
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ user: 'alice' });

    const denied = await call('/orders/42/refund', refund(reader));
    expect(denied.status).toBe(403);
    expect(await denied.json()).toEqual({ error: 'permission_denied' });

    const superuser = await call('/orders/42/refund', refund({ roles: [], permissions: ['*'] }));
    expect(superuser.status).toBe(200);

    // GATEHOUSE_TOKEN_PERMISSIONS off: the token names roles only, and the service cannot tell.
    const unknown = await call('/orders', bearer({ roles: ['clerk'] }));
    expect(unknown.status).toBe(403);
    expect(await unknown.json()).toEqual({ error: 'permissions_unknown' });
  });
});

test('the README shows each example as it is tested', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const file of ['node-http', 'express', 'fastify', 'hono']) {
    const source = readFileSync(new URL(`./examples/${file}.ts`, import.meta.url), 'utf8');
    const shown = source.replaceAll("from '../index.js'", "from '@gatehouse/verify'");
    expect(readme, `README.md shows src/examples/${file}.ts`).toContain(`\`\`\`ts\n${shown}\`\`\``);
  }
});
