import { afterEach, describe, expect, test } from 'vitest';
import type { Core, Feature } from '../../core/core.js';
import type { MailKind } from '../../mail/message.js';
import { createTestContext, type TestContext } from '../../testing/test-app.js';
import type { User } from '../../store/users/store.js';
import { FEATURES } from '../features.js';

const REQUESTED = { detail: 'We have sent a confirmation link to the new address.' };
const INVALID_LINK = { detail: 'This link is invalid or has expired.', code: 'invalid_token' };
const EMAIL_TAKEN = { email: ['user with this email already exists.'] };
const ACCESS_BLACKLISTED = {
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is blacklisted' }],
};

let ctx: TestContext;
let core: Core;
/** Registered after Gatehouse's features: the test reads the core they were given (its mail composers). */
const captureCore: Feature = async (_app, given) => {
  core = given;
};

async function open(env: Record<string, string> = {}) {
  ctx = await createTestContext(env, { features: [...FEATURES, captureCore] });
  return ctx;
}
afterEach(() => ctx.close());

function post(url: string, payload: unknown, access?: string) {
  return ctx.app.inject({
    method: 'POST',
    url,
    payload: payload as Record<string, unknown>,
    ...(access !== undefined && { headers: { authorization: `Bearer ${access}` } }),
  });
}
const requestChange = (access: string, email: unknown, password: unknown = 'password1') =>
  post('/api/users/me/email/', { email, password }, access);
const confirm = (token: unknown) => post('/api/auth/email/change/confirm/', { token });
const revert = (token: unknown) => post('/api/auth/email/change/revert/', { token });
const me = (access: string) =>
  ctx.app.inject({ url: '/api/users/me/', headers: { authorization: `Bearer ${access}` } });

async function queued(kind: MailKind) {
  return (await ctx.rows.outbox()).filter((mail) => mail.kind === kind);
}

/** Sends the newest queued mail of `kind` as the sender will: its composer fills it (and mints its link). */
async function compose(kind: MailKind) {
  const mail = (await queued(kind)).at(-1);
  if (!mail) throw new Error(`no ${kind} mail queued`);
  const composer = core.mail.composerFor(kind);
  if (!composer) throw new Error(`no composer for ${kind}`);
  const composed = await composer(mail);
  if ('skip' in composed) throw new Error(`${kind} skipped: ${composed.skip}`);
  return { mail, variables: composed.variables };
}

/** The token of a link's fragment, checking the link goes to `page` of the public URL. */
function tokenOf(link: string | undefined, page: string): string {
  const prefix = `${ctx.config.mail.publicUrl}/${page}#token=`;
  expect(link?.startsWith(prefix), link).toBe(true);
  return (link ?? '').slice(prefix.length);
}

async function confirmLink() {
  return tokenOf((await compose('email_change_confirm')).variables['link'], 'confirm-email');
}
async function revertLink() {
  return tokenOf((await compose('email_changed')).variables['link'], 'revert-email');
}

async function alice(): Promise<{ user: User; access: string; refresh: string }> {
  const user = await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
  return { user, ...(await ctx.login('alice')) };
}

async function actions(): Promise<string[]> {
  return (await ctx.store.listAudit(0, 50)).items.map((entry) => entry.action).reverse();
}

describe('email change: request, confirm, revert', () => {
  test('the new address is confirmed by its link, the old one told and able to undo it, which ends every session', async () => {
    await open();
    const { user, access, refresh } = await alice();
    const other = await ctx.login('alice');

    const requested = await requestChange(access, ' Alice.New@Example.COM ');
    expect(requested.statusCode, requested.body).toBe(202);
    expect(requested.json()).toEqual(REQUESTED);
    // Nothing changes until the new address is proved; the queued mail holds no link.
    expect((await me(access)).json()).toMatchObject({ email: 'alice@example.com' });
    expect(await queued('email_change_confirm')).toEqual([
      expect.objectContaining({
        to: 'alice.new@example.com',
        userId: user.id,
        data: { new_email: 'alice.new@example.com' },
        status: 'queued',
      }),
    ]);

    const confirmation = await compose('email_change_confirm');
    expect(confirmation.variables).toEqual({
      username: 'alice',
      new_email: 'alice.new@example.com',
      link: expect.any(String),
      expires_in: '24 hours',
    });
    const confirmed = await confirm(tokenOf(confirmation.variables['link'], 'confirm-email'));
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json()).toEqual({
      detail: 'Your email address is changed.',
      email: 'alice.new@example.com',
    });
    expect(await ctx.rows.userById(user.id)).toMatchObject({
      email: 'alice.new@example.com',
      emailVerified: true,
    });
    // Sessions go on, and the new address signs in.
    expect((await me(access)).json()).toMatchObject({ email: 'alice.new@example.com' });
    const byEmail = await post('/api/auth/login/', { email: 'alice.new@example.com', password: 'password1' });
    expect(byEmail.statusCode).toBe(200);

    // The old address is told, with a link that undoes it for seven days.
    expect(await queued('email_changed')).toEqual([
      expect.objectContaining({
        to: 'alice@example.com',
        userId: user.id,
        data: { old_email: 'alice@example.com', new_email: 'alice.new@example.com' },
      }),
    ]);
    const notice = await compose('email_changed');
    expect(notice.variables).toEqual({
      username: 'alice',
      old_email: 'alice@example.com',
      new_email: 'alice.new@example.com',
      link: expect.any(String),
      time: expect.stringMatching(/^\d{1,2} \w+ \d{4} at \d{2}:\d{2} UTC$/),
    });

    const reverted = await revert(tokenOf(notice.variables['link'], 'revert-email'));
    expect(reverted.statusCode, reverted.body).toBe(200);
    expect(reverted.json()).toEqual({
      detail: 'Your email address is restored and every session has ended.',
      email: 'alice@example.com',
    });
    expect(await ctx.rows.userById(user.id)).toMatchObject({
      email: 'alice@example.com',
      emailVerified: true,
    });
    // Every session ended: access tokens refused, refresh tokens too.
    for (const token of [access, other.access, byEmail.json().access as string]) {
      const refused = await me(token);
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toEqual(ACCESS_BLACKLISTED);
    }
    expect((await post('/api/auth/refresh/', { refresh })).statusCode).toBe(401);
    expect(await actions()).toEqual(['email.change_requested', 'email.changed', 'email.change_reverted']);
    const [revertEntry] = (await ctx.store.listAudit(0, 1)).items;
    expect(revertEntry?.detail).toEqual({
      old_email: 'alice@example.com',
      new_email: 'alice.new@example.com',
      sessions_ended: 3,
    });
    // The password still signs in, at the old address.
    expect(
      (await post('/api/auth/login/', { email: 'alice@example.com', password: 'password1' })).statusCode,
    ).toBe(200);
  });

  test('an account without an address gets one, and nobody to tell', async () => {
    await open();
    await ctx.createUser({ username: 'bob', email: null });
    const { access } = await ctx.login('bob');
    expect((await requestChange(access, 'bob@example.com')).statusCode).toBe(202);
    expect((await confirm(await confirmLink())).json()).toMatchObject({ email: 'bob@example.com' });
    expect(await queued('email_changed')).toEqual([]);
  });

  test('GATEHOUSE_SECURITY_NOTICES without email_changed: the change is made, no notice', async () => {
    await open({ GATEHOUSE_SECURITY_NOTICES: 'password_changed,refresh_reuse' });
    const { access } = await alice();
    await requestChange(access, 'new@example.com');
    expect((await confirm(await confirmLink())).statusCode).toBe(200);
    expect(await queued('email_changed')).toEqual([]);
  });
});

describe('POST /api/users/me/email/ refusals', () => {
  test('a sign-in older than the reauthentication window: 403 reauthentication_required, nothing sent', async () => {
    await open({ GATEHOUSE_REAUTHENTICATION_WINDOW: '60' });
    const { access } = await alice();
    ctx.clock.advance(61);
    const response = await requestChange(access, 'new@example.com');
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({
      detail: 'Please sign in again to continue.',
      code: 'reauthentication_required',
    });
    expect(await ctx.rows.outbox()).toEqual([]);
    expect((await requestChange('not-a-token', 'new@example.com')).statusCode).toBe(401);
  });

  test('a wrong password: 400 on the password, and it counts toward the login throttle', async () => {
    await open();
    const { access } = await alice();
    for (let i = 0; i < 6; i++) {
      const response = await requestChange(access, 'new@example.com', 'wrong-password');
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ password: ['Incorrect password.'] });
    }
    expect(await ctx.rows.outbox()).toEqual([]);
    // Six failures: the account is throttled for a device it never signed in from, as after six bad logins.
    const login = await ctx.app.inject({
      method: 'POST',
      url: '/api/token/',
      payload: { username: 'alice', password: 'password1' },
      remoteAddress: '198.51.100.7',
    });
    expect(login.statusCode).toBe(429);
  });

  test('an invalid, blank, missing or ill-typed address: 400 on the field', async () => {
    await open();
    const { access } = await alice();
    const cases: [unknown, unknown][] = [
      ['not-an-address', { email: ['Enter a valid email address.'] }],
      ['a@b', { email: ['Enter a valid email address.'] }],
      ['   ', { email: ['This field may not be blank.'] }],
      [undefined, { email: ['This field is required.'] }],
      [42, { email: ['Not a valid string.'] }],
      ['x'.repeat(300) + '@example.com', { email: ['Ensure this field has no more than 254 characters.'] }],
    ];
    for (const [email, body] of cases) {
      const response = await requestChange(access, email);
      expect(response.statusCode, String(email)).toBe(400);
      expect(response.json(), String(email)).toEqual(body);
    }
    const noPassword = await post('/api/users/me/email/', { email: 'new@example.com' }, access);
    expect(noPassword.statusCode).toBe(400);
    expect(noPassword.json()).toEqual({ password: ['This field is required.'] });
    expect(await ctx.rows.outbox()).toEqual([]);
  });

  test('the address the account has already, in any case: 400', async () => {
    await open();
    const { access } = await alice();
    const response = await requestChange(access, 'ALICE@example.com');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ email: ['This is already your email address.'] });
  });

  test("another account's address: 400 as registration says it", async () => {
    await open();
    const { access } = await alice();
    await ctx.createUser({ username: 'bob', email: 'bob@example.com' });
    const response = await requestChange(access, 'Bob@Example.com');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual(EMAIL_TAKEN);
    expect(await ctx.rows.outbox()).toEqual([]);
  });

  test('send limits: over the per-address limit the answer is the same and nothing more is queued', async () => {
    await open();
    const { access } = await alice();
    expect((await requestChange(access, 'new@example.com')).json()).toEqual(REQUESTED);
    const again = await requestChange(access, 'new@example.com');
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual(REQUESTED);
    expect(await queued('email_change_confirm')).toHaveLength(1);
    ctx.clock.advance(61);
    expect((await requestChange(access, 'new@example.com')).statusCode).toBe(202);
    expect(await queued('email_change_confirm')).toHaveLength(2);
  });

  test('send limits: per IP, whatever the addresses', async () => {
    await open({ GATEHOUSE_MAIL_LIMIT_PER_IP: '2/h' });
    const { access } = await alice();
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com']) {
      expect((await requestChange(access, email)).json()).toEqual(REQUESTED);
    }
    expect((await queued('email_change_confirm')).map((mail) => mail.to).sort()).toEqual([
      'a@example.com',
      'b@example.com',
    ]);
  });
});

describe('the links', () => {
  test('used, expired, tampered, malformed or of another purpose: 400 invalid_token', async () => {
    await open();
    const { access } = await alice();
    await requestChange(access, 'new@example.com');
    const token = await confirmLink();
    const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [flipped, 'abc', 'x'.repeat(43), '']) {
      const response = await confirm(bad);
      expect(response.statusCode, bad).toBe(400);
      if (bad !== '') expect(response.json(), bad).toEqual(INVALID_LINK);
    }
    // A confirmation link is no revert link, nor the reverse.
    expect((await revert(token)).json()).toEqual(INVALID_LINK);
    expect((await confirm(token)).statusCode).toBe(200);
    expect((await confirm(token)).json()).toEqual(INVALID_LINK);
    const undo = await revertLink();
    expect((await confirm(undo)).json()).toEqual(INVALID_LINK);
    expect((await post('/api/auth/sessions/end-all/', { token: undo })).json()).toEqual(INVALID_LINK);
    expect((await revert(undo)).statusCode).toBe(200);
    expect((await revert(undo)).json()).toEqual(INVALID_LINK);

    // Expired: the confirmation link lives GATEHOUSE_EMAIL_CHANGE_TTL (24 hours by default).
    const { access: fresh } = await ctx.login('alice');
    await requestChange(fresh, 'later@example.com');
    const late = await confirmLink();
    ctx.clock.advance(86400 + 1);
    expect((await confirm(late)).json()).toEqual(INVALID_LINK);
    expect(await ctx.rows.userById((await ctx.store.listUsers())[0]?.id ?? 0)).toMatchObject({
      email: 'alice@example.com',
    });
  });

  test('the undo link at the old address works for 7 days, and no longer', async () => {
    await open();
    const { user, access } = await alice();
    expect((await requestChange(access, 'new@example.com')).statusCode).toBe(202);
    expect((await confirm(await confirmLink())).statusCode).toBe(200);
    const late = await revertLink();
    ctx.clock.advance(7 * 86400 + 1);
    expect((await revert(late)).json()).toEqual(INVALID_LINK);
    expect(await ctx.rows.userById(user.id)).toMatchObject({ email: 'new@example.com' });

    const { access: fresh } = await ctx.login('alice');
    expect((await requestChange(fresh, 'newer@example.com')).statusCode).toBe(202);
    expect((await confirm(await confirmLink())).statusCode).toBe(200);
    const inTime = await revertLink();
    ctx.clock.advance(7 * 86400 - 1);
    expect((await revert(inTime)).statusCode).toBe(200);
    expect(await ctx.rows.userById(user.id)).toMatchObject({ email: 'new@example.com' });
  });

  test('bad bodies are 400 JSON, never 500', async () => {
    await open();
    for (const url of ['/api/auth/email/change/confirm/', '/api/auth/email/change/revert/']) {
      expect((await post(url, {})).json()).toEqual({ token: ['This field is required.'] });
      expect((await post(url, { token: 7 })).json()).toEqual({ token: ['Not a valid string.'] });
      expect((await post(url, { token: 'x'.repeat(500) })).statusCode).toBe(400);
      const get = await ctx.app.inject({ url });
      expect(get.statusCode).toBe(405);
    }
  });

  test('GATEHOUSE_EMAIL_CHANGE_TTL sets how long a confirmation link lives', async () => {
    await open({ GATEHOUSE_EMAIL_CHANGE_TTL: '1h' });
    const { access } = await alice();
    await requestChange(access, 'new@example.com');
    const { variables } = await compose('email_change_confirm');
    expect(variables['expires_in']).toBe('1 hour');
    ctx.clock.advance(3601);
    expect((await confirm(tokenOf(variables['link'], 'confirm-email'))).json()).toEqual(INVALID_LINK);
  });

  test('of concurrent confirms of one link exactly one succeeds', async () => {
    await open();
    const { access } = await alice();
    await requestChange(access, 'new@example.com');
    const token = await confirmLink();
    const responses = await Promise.all(Array.from({ length: 5 }, () => confirm(token)));
    expect(responses.map((response) => response.statusCode).sort()).toEqual([200, 400, 400, 400, 400]);
    expect(await queued('email_changed')).toHaveLength(1);
    expect((await ctx.store.listAudit(0, 10)).items.filter((e) => e.action === 'email.changed')).toHaveLength(
      1,
    );
  });

  test('a newer request voids the earlier link', async () => {
    await open();
    const { access } = await alice();
    await requestChange(access, 'first@example.com');
    const first = await confirmLink();
    // Queued a second later: the newest mail is the one queued last (rows of one instant have no order).
    ctx.clock.advance(1);
    await requestChange(access, 'second@example.com');
    const second = await confirmLink();
    expect((await confirm(first)).json()).toEqual(INVALID_LINK);
    expect((await confirm(second)).json()).toMatchObject({ email: 'second@example.com' });
  });

  test('an address taken by another account meanwhile: 400, and nothing changes', async () => {
    await open();
    const { user, access } = await alice();
    await requestChange(access, 'wanted@example.com');
    const token = await confirmLink();
    await ctx.createUser({ username: 'bob', email: 'wanted@example.com' });
    const response = await confirm(token);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual(EMAIL_TAKEN);
    expect(await ctx.rows.userById(user.id)).toMatchObject({ email: 'alice@example.com' });
    expect(await queued('email_changed')).toEqual([]);
    expect(await actions()).toEqual(['email.change_requested']);
  });

  test('an address changed again since: the revert link refuses, the later change was not blocked', async () => {
    await open();
    const { user, access } = await alice();
    await requestChange(access, 'second@example.com');
    await confirm(await confirmLink());
    const firstUndo = await revertLink();
    ctx.clock.advance(61);
    expect((await requestChange(access, 'third@example.com')).statusCode).toBe(202);
    expect((await confirm(await confirmLink())).statusCode).toBe(200);
    expect((await revert(firstUndo)).json()).toEqual(INVALID_LINK);
    expect(await ctx.rows.userById(user.id)).toMatchObject({ email: 'third@example.com' });
    // The latest change's own link still works.
    expect((await revert(await revertLink())).json()).toMatchObject({ email: 'second@example.com' });
  });

  test("a revert voids the links whoever changed the address asked for at it (a password reset's)", async () => {
    await open();
    const { user, access } = await alice();
    await requestChange(access, 'attacker@example.com');
    await confirm(await confirmLink());
    const reset = await core.oneTimeTokens.issue({
      purpose: 'password_reset',
      userId: user.id,
      ttlSeconds: 3600,
    });
    ctx.clock.advance(61);
    await requestChange(access, 'attacker2@example.com');
    const pending = await confirmLink();
    expect((await revert(await revertLink())).statusCode).toBe(200);
    expect(await core.oneTimeTokens.consume('password_reset', reset.token)).toEqual({
      ok: false,
      code: 'unknown',
    });
    expect((await confirm(pending)).json()).toEqual(INVALID_LINK);
  });

  test('composers skip when the account is gone; a confirmation for an address the account has already is skipped', async () => {
    await open();
    const { user, access } = await alice();
    await requestChange(access, 'new@example.com');
    const [mail] = await queued('email_change_confirm');
    if (!mail) throw new Error('no mail');
    await confirm(await confirmLink());
    expect(await core.mail.composerFor('email_change_confirm')?.(mail)).toEqual({
      skip: 'the account has this address already',
    });
    await ctx.store.deleteUser(user.id);
    expect(await core.mail.composerFor('email_change_confirm')?.(mail)).toEqual({ skip: 'no such account' });
    const [notice] = await queued('email_changed');
    if (!notice) throw new Error('no notice');
    expect(await core.mail.composerFor('email_changed')?.(notice)).toEqual({ skip: 'no such account' });
  });

  test('the routes are in the OpenAPI document, with their schemas', async () => {
    await open();
    const document = (await ctx.app.inject({ url: '/api/docs/openapi.json' })).json();
    for (const path of [
      '/api/users/me/email/',
      '/api/auth/email/change/confirm/',
      '/api/auth/email/change/revert/',
    ]) {
      expect(Object.keys(document.paths), path).toContain(path);
    }
    const body = document.paths['/api/users/me/email/'].post.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['email', 'password']);
    expect(Object.keys(document.paths['/api/users/me/email/'].post.responses)).toContain('202');
  });
});
