import { describe, expect, test } from 'vitest';
import { GatehouseError } from './errors.js';
import { memoryStorage } from './storage.js';
import { INVALID_LINK, MailMessages } from './testing/fake-mail.js';
import type { FakeServer } from './testing/fake-server.js';
import { tokenInLink } from './testing/mail-scenarios.js';
import { credentials, setup } from './testing/setup.js';

const ADA = 'ada@example.com';

/** The token of the newest mail to `to` with a link to `page`, as the page would read it. */
function linkToken(server: FakeServer, to: string, page: string): string {
  const mail = server.outbox.findLast((sent) => sent.to === to && sent.link?.includes(`${page}#token=`));
  const token = tokenInLink(mail?.link ?? '', page);
  if (token === undefined) throw new Error(`no mail to ${to} with a link to ${page}`);
  return token;
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('resolved'),
    (error: unknown) => {
      expect(error).toBeInstanceOf(GatehouseError);
      return error as GatehouseError;
    },
  );

const lastCall = (server: FakeServer, path: string) => server.calls.findLast((call) => call.path === path);

describe('password reset', () => {
  test('the request answers the same for any address; the link sets the password, once', async () => {
    const { client, server } = setup();
    const auth = client();
    expect(await auth.requestPasswordReset(ADA)).toEqual({ detail: MailMessages.resetQueued });
    expect(await auth.requestPasswordReset('nobody@example.com')).toEqual({
      detail: MailMessages.resetQueued,
    });
    expect(lastCall(server, '/api/auth/password/reset/')?.body).toEqual({ email: 'nobody@example.com' });
    const token = linkToken(server, ADA, '/reset-password');

    const weak = await failure(auth.resetPassword(token, 'short'));
    expect(weak).toMatchObject({
      status: 400,
      code: 'invalid',
      fieldErrors: { new_password: [expect.any(String)] },
    });
    expect(await auth.resetPassword(token, 'tangerine-kayak-42')).toEqual({ detail: MailMessages.resetDone });
    expect(lastCall(server, '/api/auth/password/reset/confirm/')?.body).toEqual({
      token,
      new_password: 'tangerine-kayak-42',
    });
    // A reset signs nobody in.
    expect(auth.getState()).toEqual({ status: 'loading' });

    const spent = await failure(auth.resetPassword(token, 'another-long-one-7'));
    expect(spent).toMatchObject({ status: 400, code: 'invalid_token', detail: INVALID_LINK.detail });
    await expect(auth.login({ username: 'ada', password: 'tangerine-kayak-42' })).resolves.toMatchObject({
      username: 'ada',
    });
  });

  test('a malformed address is a field error', async () => {
    const { client } = setup();
    const error = await failure(client().requestPasswordReset('not an address'));
    expect(error).toMatchObject({
      status: 400,
      code: 'invalid',
      fieldErrors: { email: [expect.any(String)] },
    });
  });

  test('a reset from a signed-in tab ends its session there too', async () => {
    const { client, server } = setup();
    const auth = client();
    await auth.login(credentials);
    await auth.requestPasswordReset(ADA);
    await auth.resetPassword(linkToken(server, ADA, '/reset-password'), 'tangerine-kayak-42');
    expect(auth.getState()).toEqual({ status: 'signed-out', reason: 'expired' });
  });
});

describe('verification', () => {
  test('signed in: a new link to the account’s address, with the access token; verifying updates the user', async () => {
    const { client, server } = setup();
    const auth = client();
    const user = await auth.login(credentials);
    expect(user.email_verified).toBe(false);
    expect(await auth.resendVerification()).toEqual({ detail: MailMessages.resendQueued });
    const call = lastCall(server, '/api/auth/email/verify/resend/');
    expect(call?.headers.get('authorization')).toMatch(/^Bearer ey/);
    expect(call?.body).toEqual({});

    const verified = await auth.verifyEmail(linkToken(server, ADA, '/verify-email'));
    expect(verified).toEqual({ detail: MailMessages.verified, email: ADA });
    expect(auth.getState()).toMatchObject({ status: 'signed-in', user: { email_verified: true } });
  });

  test('signed out: the link goes to the address given, asked for without a token', async () => {
    const { client, server } = setup();
    const auth = client();
    await auth.start();
    expect(await auth.resendVerification(ADA)).toEqual({ detail: MailMessages.resendQueued });
    const call = lastCall(server, '/api/auth/email/verify/resend/');
    expect(call?.headers.has('authorization')).toBe(false);
    expect(call?.body).toEqual({ email: ADA });
    const meBefore = server.count('/api/users/me/', 'GET');
    await auth.verifyEmail(linkToken(server, ADA, '/verify-email'));
    // Nobody is signed in here: there is no user to read again.
    expect(server.count('/api/users/me/', 'GET')).toBe(meBefore);
    expect(auth.getState()).toEqual({ status: 'signed-out', reason: 'initial' });
  });

  test('a made-up link: invalid_token', async () => {
    const { client } = setup();
    const error = await failure(client().verifyEmail('made-up'));
    expect(error).toMatchObject({ status: 400, code: 'invalid_token', detail: MailMessages.invalidLink });
  });

  test('mandatory verification: login is refused with email_not_verified until the link is followed', async () => {
    const { client, server } = setup({ emailVerification: 'mandatory' });
    const auth = client();
    const refused = await failure(auth.login(credentials));
    expect(refused).toMatchObject({
      status: 401,
      code: 'email_not_verified',
      detail: MailMessages.emailNotVerified,
    });
    expect(auth.getState()).toEqual({ status: 'loading' });
    await auth.resendVerification(ADA);
    await auth.verifyEmail(linkToken(server, ADA, '/verify-email'));
    expect(await auth.login(credentials)).toMatchObject({ username: 'ada', email_verified: true });
  });
});

describe('email change', () => {
  test('asked with the password, confirmed by the new address, undone by the old one', async () => {
    const { client, server } = setup();
    const auth = client();
    await auth.login(credentials);
    const wrong = await failure(auth.changeEmail('ada@new.example', 'nope'));
    expect(wrong).toMatchObject({
      status: 400,
      code: 'invalid',
      fieldErrors: { password: [expect.any(String)] },
    });

    expect(await auth.changeEmail('ada@new.example', 'password1')).toEqual({
      detail: MailMessages.changeQueued,
    });
    expect(lastCall(server, '/api/users/me/email/')?.headers.get('authorization')).toMatch(/^Bearer /);
    const changed = await auth.confirmEmailChange(linkToken(server, 'ada@new.example', '/confirm-email'));
    expect(changed).toEqual({ detail: MailMessages.changed, email: 'ada@new.example' });
    expect(auth.getState()).toMatchObject({ user: { email: 'ada@new.example', email_verified: true } });

    const reverted = await auth.revertEmailChange(linkToken(server, ADA, '/revert-email'));
    expect(reverted).toEqual({ detail: MailMessages.reverted, email: ADA });
    // Every session ended, this one too.
    expect(auth.getState()).toEqual({ status: 'signed-out', reason: 'expired' });
  });

  test('a sign-in older than the window: reauthentication_required', async () => {
    const { client, clock } = setup({ reauthenticationWindow: 600 });
    const auth = client();
    await auth.login(credentials);
    clock.advance(601);
    const error = await failure(auth.changeEmail('ada@new.example', 'password1'));
    expect(error).toMatchObject({ status: 403, code: 'reauthentication_required' });
    // The session itself is fine: nothing signs the user out.
    expect(auth.getState()).toMatchObject({ status: 'signed-in' });
  });

  test('signed out: not_authenticated, and nothing sent without a token', async () => {
    const { client, server } = setup();
    const auth = client();
    await auth.start();
    const error = await failure(auth.changeEmail('ada@new.example', 'password1'));
    expect(error).toMatchObject({ status: 401 });
    expect(lastCall(server, '/api/users/me/email/')?.headers.has('authorization')).toBe(false);
  });
});

describe('end every session', () => {
  test('the link of a reuse notice ends every session; token mode forgets its refresh token', async () => {
    const { client, server } = setup();
    const storage = memoryStorage();
    const laptop = client({ mode: 'token', storage });
    const phoneStorage = memoryStorage();
    const phone = client({ mode: 'token', storage: phoneStorage });
    await laptop.login(credentials);
    await phone.login(credentials);
    const stolen = await storage.get();
    await laptop.refresh();
    // The spent token presented again (by whoever stole it): that session ends, a notice goes out.
    const reuse = await server.fetch('http://gatehouse.test/api/auth/refresh/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh: stolen }),
    });
    expect(reuse.status).toBe(401);

    const ended = await phone.endAllSessions(linkToken(server, ADA, '/end-sessions'));
    expect(ended).toEqual({ detail: MailMessages.sessionsEnded, sessions_ended: 1 });
    expect(phone.getState()).toEqual({ status: 'signed-out', reason: 'expired' });
    expect(await phoneStorage.get()).toBeNull();
    const spent = await failure(phone.endAllSessions(linkToken(server, ADA, '/end-sessions')));
    expect(spent.code).toBe('invalid_token');
  });
});
