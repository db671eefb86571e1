import { afterEach, expect, test } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../app.js';
import { createPasswordHasher } from '../auth/passwords.js';
import { parseConfig } from '../config.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { TEST_SIGNING_KEY } from '../testing/test-app.js';

let app: FastifyInstance | undefined;
let store: Store | undefined;
afterEach(async () => {
  await app?.close();
  await store?.close();
});

async function appLogging(env: Record<string, string>) {
  const config = parseConfig({ DATABASE_URL: 'sqlite::memory:', GATEHOUSE_WEB_ROOT: '', ...env });
  store = openStore(config.database);
  await store.migrate();
  const lines: { msg?: string; peer?: string; level?: number }[] = [];
  app = await createApp({
    config,
    store,
    hasher: createPasswordHasher(config.passwordHash),
    signingKey: TEST_SIGNING_KEY,
    logger: { level: 'warn', stream: { write: (line: string) => lines.push(JSON.parse(line)) } },
  });
  const warnings = () => lines.filter((line) => line.msg?.startsWith('forwarding headers'));
  return { app, warnings };
}

const get = (target: FastifyInstance, headers: Record<string, string>, remoteAddress = '10.0.0.5') =>
  target.inject({ url: '/api/', headers, remoteAddress });

test('forwarding headers from a peer that is not a trusted proxy are logged, once per peer', async () => {
  const { app: untrusted, warnings } = await appLogging({});
  await get(untrusted, {});
  expect(warnings()).toHaveLength(0);
  await get(untrusted, { 'x-forwarded-proto': 'https' });
  await get(untrusted, { 'x-forwarded-for': '203.0.113.9' });
  expect(warnings()).toEqual([expect.objectContaining({ peer: '10.0.0.5' })]);
  await get(untrusted, { forwarded: 'for=203.0.113.9' }, '10.0.0.6');
  expect(warnings()).toHaveLength(2);
});

test('a trusted proxy (an address or a range, IPv4 as IPv6-mapped too) is not', async () => {
  const { app: proxied, warnings } = await appLogging({ GATEHOUSE_TRUSTED_PROXIES: '10.0.0.0/8,::1' });
  await get(proxied, { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' });
  await get(proxied, { 'x-forwarded-for': '203.0.113.9' }, '::ffff:10.1.2.3');
  await get(proxied, { 'x-forwarded-for': '203.0.113.9' }, '::1');
  expect(warnings()).toHaveLength(0);
  await get(proxied, { 'x-forwarded-for': '203.0.113.9' }, '192.0.2.1');
  expect(warnings()).toHaveLength(1);
});
