import { afterEach, describe, expect, test } from 'vitest';
import type { Core, Feature } from '../../core/core.js';
import type { MailKind } from '../../mail/message.js';
import { createTestContext, type TestContext } from '../../testing/test-app.js';
import { FEATURES } from '../features.js';

const INVALID_LINK = { detail: 'This link is invalid or has expired.', code: 'invalid_token' };
const REFRESH_BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' };

let ctx: TestContext;
let core: Core;
/** Registered after Gatehouse's features: the test reads the core they were given (its mail composers). */
const captureCore: Feature = async (_app, given) => {
  core = given;
};

async function open(env: Record<string, string> = {}) {
  ctx = await createTestContext(env, { features: [...FEATURES, captureCore] });
}
afterEach(() => ctx.close());

function post(url: string, payload: unknown, headers: Record<string, string> = {}) {
  return ctx.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown>, headers });
}
const refresh = (token: string) => post('/api/auth/refresh/', { refresh: token });
const endAll = (token: unknown) => post('/api/auth/sessions/end-all/', { token });
const me = (access: string) =>
  ctx.app.inject({ url: '/api/users/me/', headers: { authorization: `Bearer ${access}` } });

async function queued(kind: MailKind) {
  return (await ctx.rows.outbox()).filter((mail) => mail.kind === kind);
}

async function compose(kind: MailKind) {
  const mail = (await queued(kind)).at(-1);
  if (!mail) throw new Error(`no ${kind} mail queued`);
  const composed = await core.mail.composerFor(kind)?.(mail);
  if (!composed || 'skip' in composed) throw new Error(`${kind} not composed`);
  return composed.variables;
}

function endSessionsToken(link: string | undefined): string {
  const prefix = `${ctx.config.mail.publicUrl}/end-sessions#token=`;
  expect(link?.startsWith(prefix), link).toBe(true);
  return (link ?? '').slice(prefix.length);
}

describe('password changed notice', () => {
  const change = (access: string) =>
    post(
      '/api/users/me/password/',
      { current_password: 'password1', new_password: 'tangerine-kayak-42' },
      { authorization: `Bearer ${access}`, 'user-agent': 'Firefox/140 on Linux' },
    );

  test('queued with the change, in its transaction: when, from which address and device', async () => {
    await open();
    const alice = await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    const { access } = await ctx.login('alice');
    expect((await change(access)).statusCode).toBe(204);
    expect(await queued('password_changed')).toEqual([
      expect.objectContaining({
        to: 'alice@example.com',
        userId: alice.id,
        data: { ip: '127.0.0.1', user_agent: 'Firefox/140 on Linux' },
        status: 'queued',
      }),
    ]);
    expect(await compose('password_changed')).toEqual({
      username: 'alice',
      time: expect.stringMatching(/ UTC$/),
      ip: '127.0.0.1',
      user_agent: 'Firefox/140 on Linux',
    });
    // A refused change queues nothing.
    const wrong = await post(
      '/api/users/me/password/',
      { current_password: 'nope', new_password: 'tangerine-kayak-43' },
      { authorization: `Bearer ${access}` },
    );
    expect(wrong.statusCode).toBe(400);
    expect(await queued('password_changed')).toHaveLength(1);
    // A later change is not held back by the notice of the first.
    const again = await post(
      '/api/users/me/password/',
      { current_password: 'tangerine-kayak-42', new_password: 'tangerine-kayak-44' },
      { authorization: `Bearer ${access}` },
    );
    expect(again.statusCode).toBe(204);
    expect(await queued('password_changed')).toHaveLength(2);
  });

  test('not queued when GATEHOUSE_SECURITY_NOTICES leaves it out, nor for an account without an address', async () => {
    await open({ GATEHOUSE_SECURITY_NOTICES: 'email_changed,refresh_reuse' });
    await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    expect((await change((await ctx.login('alice')).access)).statusCode).toBe(204);
    expect(await ctx.rows.outbox()).toEqual([]);
    await ctx.close();

    await open();
    await ctx.createUser({ username: 'bob', email: null });
    expect((await change((await ctx.login('bob')).access)).statusCode).toBe(204);
    expect(await ctx.rows.outbox()).toEqual([]);
  });

  test('the composer skips an account that is gone', async () => {
    await open();
    const alice = await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    await change((await ctx.login('alice')).access);
    await ctx.store.deleteUser(alice.id);
    const [mail] = await queued('password_changed');
    if (!mail) throw new Error('no mail');
    expect(await core.mail.composerFor('password_changed')?.(mail)).toEqual({ skip: 'no such account' });
  });
});

describe('refresh token reuse notice and the end-all link', () => {
  test('a replayed refresh token queues exactly one notice; its link ends every session', async () => {
    await open();
    const alice = await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    const stolen = await ctx.login('alice');
    const other = await ctx.login('alice');
    const third = await ctx.login('alice');
    // A normal rotation queues nothing.
    const rotated = await refresh(stolen.refresh);
    expect(rotated.statusCode).toBe(200);
    expect(await ctx.rows.outbox()).toEqual([]);

    // The spent token comes back: the session ends, and the owner is told, once.
    for (let i = 0; i < 3; i++) {
      const replay = await refresh(stolen.refresh);
      expect(replay.statusCode).toBe(401);
      expect(replay.json()).toEqual(REFRESH_BLACKLISTED);
    }
    expect((await refresh(rotated.json().refresh as string)).statusCode).toBe(401);
    expect(await queued('refresh_reuse')).toEqual([
      expect.objectContaining({
        to: 'alice@example.com',
        userId: alice.id,
        data: { session: expect.any(String) },
      }),
    ]);
    expect((await ctx.store.listAudit(0, 10)).items.map((entry) => entry.action)).toEqual([
      'session.refresh_token_reused',
    ]);

    const variables = await compose('refresh_reuse');
    expect(variables).toEqual({
      username: 'alice',
      time: expect.stringMatching(/ UTC$/),
      link: expect.any(String),
    });
    const token = endSessionsToken(variables['link']);
    // The other sessions were still open: the link ends them, no sign-in needed.
    expect((await me(other.access)).statusCode).toBe(200);
    const ended = await endAll(token);
    expect(ended.statusCode, ended.body).toBe(200);
    expect(ended.json()).toEqual({ detail: 'Every session has ended.', sessions_ended: 2 });
    for (const session of [other, third]) {
      expect((await me(session.access)).statusCode).toBe(401);
      expect((await refresh(session.refresh)).statusCode).toBe(401);
    }
    const [entry] = (await ctx.store.listAudit(0, 1)).items;
    expect(entry).toMatchObject({
      action: 'sessions.ended_by_link',
      actor: 'alice',
      target: 'alice',
      detail: { sessions_ended: 2 },
      ip: '127.0.0.1',
    });
    // Single use.
    expect((await endAll(token)).json()).toEqual(INVALID_LINK);
  });

  test('no notice when GATEHOUSE_SECURITY_NOTICES leaves it out, nor for an account without an address', async () => {
    await open({ GATEHOUSE_SECURITY_NOTICES: 'none' });
    await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    const first = await ctx.login('alice');
    await refresh(first.refresh);
    expect((await refresh(first.refresh)).statusCode).toBe(401);
    expect(await ctx.rows.outbox()).toEqual([]);
    await ctx.close();

    await open();
    await ctx.createUser({ username: 'bob', email: null });
    const bob = await ctx.login('bob');
    await refresh(bob.refresh);
    expect((await refresh(bob.refresh)).statusCode).toBe(401);
    expect(await ctx.rows.outbox()).toEqual([]);
    expect((await ctx.store.listAudit(0, 10)).items.map((entry) => entry.action)).toEqual([
      'session.refresh_token_reused',
    ]);
  });

  test('in browser mode, a replay within the grace period is no reuse and queues nothing', async () => {
    await open();
    await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    const login = await post(
      '/api/auth/login/',
      { username: 'alice', password: 'password1' },
      { 'x-gatehouse-session': 'cookie' },
    );
    const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
    const browserRefresh = () => post('/api/auth/refresh/', {}, { 'x-gatehouse-session': 'cookie', cookie });
    expect((await browserRefresh()).statusCode).toBe(200);
    expect((await browserRefresh()).statusCode).toBe(200);
    expect(await ctx.rows.outbox()).toEqual([]);
    ctx.clock.advance(ctx.config.sessions.rotationGracePeriod + 1);
    expect((await browserRefresh()).statusCode).toBe(401);
    expect(await queued('refresh_reuse')).toHaveLength(1);
  });

  test('bad, used, expired or other tokens: 400 invalid_token; bad bodies 400, never 500', async () => {
    await open();
    const alice = await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    for (const bad of ['x'.repeat(43), 'abc']) expect((await endAll(bad)).json()).toEqual(INVALID_LINK);
    expect((await post('/api/auth/sessions/end-all/', {})).json()).toEqual({
      token: ['This field is required.'],
    });
    expect((await endAll(['a'])).statusCode).toBe(400);
    expect((await endAll('y'.repeat(1000))).statusCode).toBe(400);
    const reset = await core.oneTimeTokens.issue({
      purpose: 'password_reset',
      userId: alice.id,
      ttlSeconds: 3600,
    });
    expect((await endAll(reset.token)).json()).toEqual(INVALID_LINK);
    const link = await core.oneTimeTokens.issue({
      purpose: 'end_sessions',
      userId: alice.id,
      ttlSeconds: 60,
    });
    ctx.clock.advance(61);
    expect((await endAll(link.token)).json()).toEqual(INVALID_LINK);
    expect((await ctx.app.inject({ url: '/api/auth/sessions/end-all/' })).statusCode).toBe(405);
  });

  test('the token routes are limited per client IP', async () => {
    await open();
    const urls = [
      '/api/auth/sessions/end-all/',
      '/api/auth/email/change/confirm/',
      '/api/auth/email/change/revert/',
    ];
    for (let i = 0; i < 30; i++) expect((await post(urls[i % 3] ?? '', { token: 'x' })).statusCode).toBe(400);
    for (const url of urls) expect((await post(url, { token: 'x' })).statusCode).toBe(429);
    const elsewhere = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/sessions/end-all/',
      payload: { token: 'x' },
      remoteAddress: '198.51.100.9',
    });
    expect(elsewhere.statusCode).toBe(400);
  });

  test('the reuse composer skips an account that is gone; the route is in the OpenAPI document', async () => {
    await open();
    const alice = await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
    const first = await ctx.login('alice');
    await refresh(first.refresh);
    await refresh(first.refresh);
    const [mail] = await queued('refresh_reuse');
    if (!mail) throw new Error('no mail');
    await ctx.store.deleteUser(alice.id);
    expect(await core.mail.composerFor('refresh_reuse')?.(mail)).toEqual({ skip: 'no such account' });
    const document = (await ctx.app.inject({ url: '/api/docs/openapi.json' })).json();
    expect(
      document.paths['/api/auth/sessions/end-all/'].post.requestBody.content['application/json'].schema
        .required,
    ).toEqual(['token']);
  });
});
