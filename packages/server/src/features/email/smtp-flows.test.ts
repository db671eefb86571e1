import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import { afterEach, describe, expect, test } from 'vitest';
import { startMailServer, type ReceivedMail, type TestMailServer } from '../../testing/mail-server.js';
import { createTestContext, type TestContext } from '../../testing/test-app.js';

/**
 * Issue 14's flows end to end through the real mail path: the route queues, the app's sender composes
 * and sends over SMTP (nodemailer) to a real SMTP server on loopback, mailparser reads what arrived, and
 * the test follows the link in the mail's text back through the API, as a user would. On SQLite, and on
 * PostgreSQL with GATEHOUSE_TEST_DATABASE_URL.
 */

const PUBLIC_URL = 'https://auth.example.com';
const SITE = 'Acme Login';
const FROM_ADDRESS = 'no-reply@acme.example';
const FROM = `${SITE} <${FROM_ADDRESS}>`;
/** Passes the password policy for every username and address used here. */
const STRONG = 'tangerine-kayak-42';
const NEW_PASSWORD = 'marmalade-canoe-97';
const RESET_QUEUED = {
  detail: 'If an account uses this address, a link to reset its password is on its way.',
};
const INVALID_LINK = { detail: 'This link is invalid or has expired.', code: 'invalid_token' };
const NOT_VERIFIED = { detail: 'Verify your email address before signing in.', code: 'email_not_verified' };
const REFRESH_BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' };

let smtp: TestMailServer | undefined;
let ctx: TestContext | undefined;
/** Messages a test has read already: each helper call takes a new one. */
let read: Set<ReceivedMail>;

/** The app over a database of its own, its sender delivering to a new SMTP server (or, `outbox`, to files). */
async function open(env: Record<string, string> = {}, { outbox = false } = {}): Promise<TestContext> {
  smtp = outbox ? undefined : await startMailServer();
  read = new Set();
  ctx = await createTestContext(
    {
      GATEHOUSE_PUBLIC_URL: PUBLIC_URL,
      GATEHOUSE_SITE_NAME: SITE,
      GATEHOUSE_MAIL_FROM: FROM,
      GATEHOUSE_RATE_LIMITS: 'false',
      ...env,
    },
    { mail: smtp ? { smtpUrl: smtp.url } : {} },
  );
  await ctx.app.ready();
  return ctx;
}
afterEach(async () => {
  await ctx?.close();
  await smtp?.close();
  ctx = undefined;
  smtp = undefined;
});

function app() {
  if (!ctx) throw new Error('no test context');
  return ctx;
}
function server() {
  if (!smtp) throw new Error('no SMTP server');
  return smtp;
}

function post(url: string, payload: object, access?: string) {
  return app().app.inject({
    method: 'POST',
    url,
    payload,
    ...(access !== undefined && { headers: { authorization: `Bearer ${access}` } }),
  });
}
const me = (access: string) =>
  app().app.inject({ url: '/api/users/me/', headers: { authorization: `Bearer ${access}` } });
const refresh = (token: string) => post('/api/auth/refresh/', { refresh: token });
const login = (email: string, password: string) => post('/api/auth/login/', { email, password });
const forgot = (email: string) => post('/api/auth/password/reset/', { email });

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  if (field === undefined) return [];
  return (Array.isArray(field) ? field : [field]).flatMap((group) =>
    group.value.map((mailbox) => mailbox.address ?? ''),
  );
}

/** The next message to `to` this test has not read yet, whose subject has `subject`. */
async function mailTo(to: string, subject: string): Promise<ReceivedMail> {
  const mail = await server().waitForMessage(
    (candidate) =>
      !read.has(candidate) && candidate.envelope.to.includes(to) && candidate.subject.includes(subject),
  );
  read.add(mail);
  // Addressed as the settings say, to that address only.
  expect(mail.envelope).toEqual({ from: FROM_ADDRESS, to: [to] });
  expect(addresses(mail.parsed.to)).toEqual([to]);
  expect(mail.parsed.from?.value).toEqual([{ name: SITE, address: FROM_ADDRESS }]);
  expect(mail.subject).toContain(SITE);
  expect(mail.text).toContain(SITE);
  expect(mail.html).toContain(SITE);
  return mail;
}

/**
 * The token of the mail's link to `page`, as its reader would click it in the text body: the link is
 * `<PUBLIC_URL>/<page>#token=…` (the token in the fragment only, no query string), the same in the HTML
 * body, and no other link of the mail carries a token.
 */
function tokenIn(mail: ReceivedMail, page: string): string {
  const links = mail.text.match(/https?:\/\/[^\s<>"')\]]+/g) ?? [];
  const withToken = links.filter((link) => link.includes('token'));
  expect(withToken).toHaveLength(1);
  const link = withToken[0] as string;
  const url = new URL(link);
  expect(`${url.origin}${url.pathname}`).toBe(`${PUBLIC_URL}/${page}`);
  expect(url.search).toBe('');
  expect(url.hash).toMatch(/^#token=[A-Za-z0-9_-]{43}$/);
  expect(mail.html).toContain(`href="${link}"`);
  expect(mail.raw.toString('latin1')).not.toMatch(/[?&]token=/);
  return url.hash.slice('#token='.length);
}

/** Waits until the sender has finished every queued message (sent, skipped or failed). */
async function settled(timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const queue = await app().rows.outbox();
    if (queue.every((mail) => mail.status !== 'queued')) return;
    if (Date.now() > deadline) throw new Error(`mail still queued: ${JSON.stringify(queue)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every message the SMTP server received for `to`. */
const receivedBy = (to: string) => server().messages.filter((mail) => mail.envelope.to.includes(to));

async function expectSignedOut(pair: { access: string; refresh: string }) {
  expect((await me(pair.access)).statusCode).toBe(401);
  const refreshed = await refresh(pair.refresh);
  expect(refreshed.statusCode).toBe(401);
  expect(refreshed.json()).toEqual(REFRESH_BLACKLISTED);
}

describe('email flows through a real SMTP server', () => {
  test('register -> verification mail -> its link -> email_verified', async () => {
    await open();
    const registered = await post('/api/users/', {
      username: 'alice',
      email: 'Alice@Example.com',
      password: STRONG,
    });
    expect(registered.statusCode, registered.body).toBe(201);
    const { access } = registered.json();
    expect((await me(access)).json()).toMatchObject({ email: 'alice@example.com', email_verified: false });

    const mail = await mailTo('alice@example.com', 'Verify your email address');
    expect(mail.subject).toBe(`Verify your email address for ${SITE}`);
    expect(mail.text).toContain('Hello alice');
    expect(mail.text).toContain('expires in 24 hours');
    // What to do if it was not you.
    expect(mail.text).toContain('If you did not create an account');
    const token = tokenIn(mail, 'verify-email');

    const verified = await post('/api/auth/email/verify/', { token });
    expect(verified.statusCode, verified.body).toBe(200);
    expect(verified.json()).toEqual({
      detail: 'Your email address is verified.',
      email: 'alice@example.com',
    });
    expect((await me(access)).json()).toMatchObject({ email_verified: true });
    // The link works once.
    expect((await post('/api/auth/email/verify/', { token })).json()).toEqual(INVALID_LINK);
    await settled();
    expect(receivedBy('alice@example.com')).toHaveLength(1);
  });

  test('forgot -> mail -> reset -> old sessions refused -> the new password signs in; the reset notice arrives', async () => {
    await open();
    await app().createUser({ username: 'bob', email: 'bob@example.com', password: 'password1' });
    const first = await app().login('bob');
    const second = await app().login('bob');

    const asked = await forgot('Bob@Example.com');
    expect(asked.statusCode).toBe(202);
    expect(asked.json()).toEqual(RESET_QUEUED);
    const mail = await mailTo('bob@example.com', 'Reset your');
    expect(mail.subject).toBe(`Reset your ${SITE} password`);
    expect(mail.text).toContain('expires in 1 hour');
    expect(mail.text).toContain('If you did not ask for this');
    const token = tokenIn(mail, 'reset-password');

    const reset = await post('/api/auth/password/reset/confirm/', { token, new_password: NEW_PASSWORD });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.json()).toEqual({ detail: 'Your password has been reset. Sign in with the new password.' });
    // Not signed in by the reset.
    expect(reset.headers['set-cookie']).toBeUndefined();
    expect(Object.keys(reset.json())).not.toContain('access');
    for (const pair of [first, second]) await expectSignedOut(pair);

    expect((await login('bob@example.com', 'password1')).statusCode).toBe(401);
    const signedIn = await login('bob@example.com', NEW_PASSWORD);
    expect(signedIn.statusCode, signedIn.body).toBe(200);
    expect((await me(signedIn.json().access as string)).statusCode).toBe(200);
    // The link is spent.
    const again = await post('/api/auth/password/reset/confirm/', {
      token,
      new_password: 'x-' + NEW_PASSWORD,
    });
    expect(again.json()).toEqual(INVALID_LINK);

    const notice = await mailTo('bob@example.com', 'was reset');
    expect(notice.subject).toBe(`Your ${SITE} password was reset`);
    expect(notice.text).toContain('Hello bob');
    expect(notice.text).toContain('If it was not you');
    expect(notice.text).toContain(PUBLIC_URL);
    expect(notice.text).not.toMatch(/token/i);
    await settled();
    expect(receivedBy('bob@example.com')).toHaveLength(2);
  });

  test('an unknown address: the same status and body as a known one, and no mail at all', async () => {
    await open();
    await app().createUser({ username: 'carol', email: 'carol@example.com' });
    const known = await forgot('carol@example.com');
    const unknown = await forgot('nobody@example.com');
    expect(unknown.statusCode).toBe(known.statusCode);
    expect(unknown.body).toBe(known.body);
    expect(unknown.headers['content-type']).toBe(known.headers['content-type']);
    await mailTo('carol@example.com', 'Reset your');
    // Both were queued alike; the sender finished both, and a moment more changes nothing.
    await settled();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server().messages.map((mail) => mail.envelope.to)).toEqual([['carol@example.com']]);
  });

  test('email change: request -> mail at the new address -> confirm -> undo link at the old one -> undo ends every session', async () => {
    await open();
    await app().createUser({ username: 'dave', email: 'dave@example.com' });
    const session = await app().login('dave');
    const other = await app().login('dave');

    const requested = await post(
      '/api/users/me/email/',
      { email: 'Dave.New@Example.com', password: 'password1' },
      session.access,
    );
    expect(requested.statusCode, requested.body).toBe(202);
    const confirmation = await mailTo('dave.new@example.com', 'Confirm your new email address');
    expect(confirmation.subject).toBe(`Confirm your new email address for ${SITE}`);
    expect(confirmation.text).toContain('If you did not ask for this');
    // Nothing changes until the new address proves itself.
    expect((await me(session.access)).json()).toMatchObject({ email: 'dave@example.com' });

    const confirmed = await post('/api/auth/email/change/confirm/', {
      token: tokenIn(confirmation, 'confirm-email'),
    });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json()).toMatchObject({ email: 'dave.new@example.com' });
    expect((await me(session.access)).json()).toMatchObject({
      email: 'dave.new@example.com',
      email_verified: true,
    });

    const notice = await mailTo('dave@example.com', 'was changed');
    expect(notice.subject).toBe(`The email address of your ${SITE} account was changed`);
    expect(notice.text).toContain('from dave@example.com to dave.new@example.com');
    expect(notice.text).toContain('If it was not you');
    const undo = await post('/api/auth/email/change/revert/', { token: tokenIn(notice, 'revert-email') });
    expect(undo.statusCode, undo.body).toBe(200);
    expect(undo.json()).toMatchObject({ email: 'dave@example.com' });
    for (const pair of [session, other]) await expectSignedOut(pair);
    const back = await login('dave@example.com', 'password1');
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json().user).toMatchObject({ email: 'dave@example.com' });
    await settled();
    expect(receivedBy('dave@example.com')).toHaveLength(1);
    expect(receivedBy('dave.new@example.com')).toHaveLength(1);
  });

  test('a reused refresh token -> a notice whose link ends every session', async () => {
    await open();
    await app().createUser({ username: 'erin', email: 'erin@example.com' });
    const stolen = await app().login('erin');
    const other = await app().login('erin');
    const rotated = await refresh(stolen.refresh);
    expect(rotated.statusCode).toBe(200);
    const replay = await refresh(stolen.refresh);
    expect(replay.statusCode).toBe(401);
    // The replayed family is ended; the other session is not, until the owner follows the link.
    await expectSignedOut(rotated.json());
    expect((await me(other.access)).statusCode).toBe(200);

    const notice = await mailTo('erin@example.com', 'Someone else may be signed in');
    expect(notice.subject).toBe(`Someone else may be signed in to your ${SITE} account`);
    expect(notice.text).toContain('To sign out every session at once');
    const token = tokenIn(notice, 'end-sessions');
    // A session started after the notice ends too: "every session" is every session when the link is used.
    const later = await app().login('erin');
    const ended = await post('/api/auth/sessions/end-all/', { token });
    expect(ended.statusCode, ended.body).toBe(200);
    expect(ended.json()).toEqual({ detail: 'Every session has ended.', sessions_ended: 2 });
    for (const pair of [other, later]) await expectSignedOut(pair);
    expect((await post('/api/auth/sessions/end-all/', { token })).json()).toEqual(INVALID_LINK);
    await settled();
    expect(receivedBy('erin@example.com')).toHaveLength(1);
  });

  test('SMTP refusing (451) then accepting: the reset mail is delivered exactly once, and its link works', async () => {
    await open();
    await app().createUser({ username: 'frank', email: 'frank@example.com' });
    server().refuseNext(2, 451);
    expect((await forgot('frank@example.com')).statusCode).toBe(202);
    const mail = await mailTo('frank@example.com', 'Reset your');
    await settled();
    expect(server().refused()).toBe(2);
    expect(receivedBy('frank@example.com')).toHaveLength(1);
    const [queued] = await app().rows.outbox();
    expect(queued).toMatchObject({ kind: 'password_reset', status: 'sent', attempts: 3 });
    // The link minted by the try that got through is the one that works.
    const reset = await post('/api/auth/password/reset/confirm/', {
      token: tokenIn(mail, 'reset-password'),
      new_password: NEW_PASSWORD,
    });
    expect(reset.statusCode, reset.body).toBe(200);
    expect((await login('frank@example.com', NEW_PASSWORD)).statusCode).toBe(200);
  });

  test('mandatory verification: login refused until the mailed link is used; a resend voids the older link', async () => {
    await open({ GATEHOUSE_EMAIL_VERIFICATION: 'mandatory' });
    const registered = await post('/api/users/', {
      username: 'grace',
      email: 'grace@example.com',
      password: STRONG,
    });
    expect(registered.statusCode).toBe(401);
    expect(registered.json()).toEqual(NOT_VERIFIED);
    const firstMail = await mailTo('grace@example.com', 'Verify your email address');
    const older = tokenIn(firstMail, 'verify-email');
    const refused = await login('grace@example.com', STRONG);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toEqual(NOT_VERIFIED);

    // Kept out, the user asks for a new link without signing in (past the per-address limit's minute).
    app().clock.advance(61);
    const resent = await post('/api/auth/email/verify/resend/', { email: 'grace@example.com' });
    expect(resent.statusCode).toBe(202);
    const secondMail = await mailTo('grace@example.com', 'Verify your email address');
    const newer = tokenIn(secondMail, 'verify-email');
    expect(newer).not.toBe(older);

    expect((await post('/api/auth/email/verify/', { token: older })).json()).toEqual(INVALID_LINK);
    expect((await login('grace@example.com', STRONG)).json()).toEqual(NOT_VERIFIED);
    const verified = await post('/api/auth/email/verify/', { token: newer });
    expect(verified.statusCode, verified.body).toBe(200);
    const signedIn = await login('grace@example.com', STRONG);
    expect(signedIn.statusCode, signedIn.body).toBe(200);
    expect(signedIn.json().user).toMatchObject({ email_verified: true });
  });

  test('send limits: a second reset request within the minute delivers nothing more; after it, one more', async () => {
    await open();
    await app().createUser({ username: 'heidi', email: 'heidi@example.com' });
    const first = await forgot('heidi@example.com');
    await mailTo('heidi@example.com', 'Reset your');
    const second = await forgot('heidi@example.com');
    // Over the limit the answer is the same.
    expect(second.statusCode).toBe(first.statusCode);
    expect(second.body).toBe(first.body);
    await settled();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receivedBy('heidi@example.com')).toHaveLength(1);
    expect(await app().rows.outbox()).toHaveLength(1);

    app().clock.advance(61);
    expect((await forgot('heidi@example.com')).statusCode).toBe(202);
    await mailTo('heidi@example.com', 'Reset your');
    await settled();
    expect(receivedBy('heidi@example.com')).toHaveLength(2);
  });

  test('send limits per IP: past GATEHOUSE_MAIL_LIMIT_PER_IP, other addresses get nothing either', async () => {
    await open({ GATEHOUSE_MAIL_LIMIT_PER_IP: '2/m' });
    for (const name of ['ivan', 'judy', 'mallory']) {
      await app().createUser({ username: name, email: `${name}@example.com` });
    }
    const answers = [];
    for (const name of ['ivan', 'judy', 'mallory']) answers.push(await forgot(`${name}@example.com`));
    expect(new Set(answers.map((answer) => `${answer.statusCode} ${answer.body}`)).size).toBe(1);
    await mailTo('ivan@example.com', 'Reset your');
    await mailTo('judy@example.com', 'Reset your');
    await settled();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receivedBy('mallory@example.com')).toEqual([]);
  });

  test('no SMTP set up (a fresh clone): the reset mail is an .eml file in the outbox, and its link works', async () => {
    await open({}, { outbox: true });
    await app().createUser({ username: 'oscar', email: 'oscar@example.com' });
    expect((await forgot('oscar@example.com')).statusCode).toBe(202);
    await settled();
    const files = readdirSync(app().outboxDir).filter((name) => name.endsWith('.eml'));
    expect(files).toHaveLength(1);
    const raw = readFileSync(path.join(app().outboxDir, files[0] as string));
    const parsed = await simpleParser(raw);
    const mail: ReceivedMail = {
      envelope: { from: FROM_ADDRESS, to: addresses(parsed.to) },
      raw,
      parsed,
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : '',
      secure: false,
    };
    expect(mail.envelope.to).toEqual(['oscar@example.com']);
    expect(parsed.from?.value).toEqual([{ name: SITE, address: FROM_ADDRESS }]);
    expect(mail.subject).toBe(`Reset your ${SITE} password`);
    const reset = await post('/api/auth/password/reset/confirm/', {
      token: tokenIn(mail, 'reset-password'),
      new_password: NEW_PASSWORD,
    });
    expect(reset.statusCode, reset.body).toBe(200);
    expect((await login('oscar@example.com', NEW_PASSWORD)).statusCode).toBe(200);
  });
});
