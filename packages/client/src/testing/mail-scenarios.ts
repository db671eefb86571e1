import { Messages } from '@gatehouse/contract';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { INVALID_LINK, MailMessages } from './fake-mail.js';
import type { ScenarioServer } from './scenarios.js';

/** A server that sends mail: the scenarios follow its links as a person reading the mail would. */
export interface MailScenarioServer extends ScenarioServer {
  /**
   * The token of the next mail to `to` (one not read by an earlier call) whose link opens `page`
   * (`/reset-password`, ...): `<PUBLIC_URL><page>#token=<token>`. Waits for it to arrive.
   */
  linkToken(to: string, page: string): Promise<string>;
  /** Seconds after a sign-in during which the email may be changed without signing in again. */
  reauthenticationWindow: number;
}

interface Answer {
  status: number;
  body: unknown;
}

const ADA = 'ada@example.com';
const NEW_PASSWORD = 'tangerine-kayak-42';

/** The token in a mail's text, for the link to `page`; undefined when there is none. */
export function tokenInLink(text: string, page: string): string | undefined {
  const escaped = page.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`https?://[^\\s"'<>]*${escaped}#token=([A-Za-z0-9_-]+)`).exec(text)?.[1];
}

/**
 * The mailed-link flows (issue 14) as the client relies on them, through plain fetch: the same scenarios
 * run against the fake server and the real one (with a real SMTP server), so the fake cannot drift.
 */
export function describeMailScenarios(name: string, start: () => Promise<MailScenarioServer>): void {
  describe(`mail scenarios: ${name}`, () => {
    let server: MailScenarioServer;
    beforeEach(async () => {
      server = await start();
    });
    afterEach(() => server.close());

    async function post(path: string, body: object, access?: string): Promise<Answer> {
      const response = await server.fetch(`${server.baseUrl}${path}`, {
        method: 'POST',
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          ...(access && { authorization: `Bearer ${access}` }),
        },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
    }
    const login = async (password = 'password1', username = 'ada') => {
      const answer = await post('/api/auth/login/', { username, password });
      return { status: answer.status, ...(answer.body as { access: string; refresh: string }) };
    };
    const me = async (access: string) => {
      const response = await server.fetch(`${server.baseUrl}/api/users/me/`, {
        headers: { accept: 'application/json', authorization: `Bearer ${access}` },
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const pair = (answer: Answer) => [answer.status, answer.body];

    describe('password reset', () => {
      test('a known and an unknown address get the same answer; only the known one gets a link', async () => {
        const known = await post('/api/auth/password/reset/', { email: ADA });
        const unknown = await post('/api/auth/password/reset/', { email: 'nobody@example.com' });
        expect(pair(known)).toEqual([202, { detail: MailMessages.resetQueued }]);
        expect(pair(unknown)).toEqual(pair(known));
        expect(await server.linkToken(ADA, '/reset-password')).toMatch(/^[\w-]{32,}$/);
      });

      test('a malformed address is a field error', async () => {
        const answer = await post('/api/auth/password/reset/', { email: 'not an address' });
        expect(pair(answer)).toEqual([400, { email: [Messages.invalidEmail] }]);
      });

      test('the link sets a new password, once; the old sessions end; the new password signs in', async () => {
        const before = await login();
        await post('/api/auth/password/reset/', { email: ADA });
        const token = await server.linkToken(ADA, '/reset-password');

        // The policy applies, and a refused password leaves the link usable.
        const weak = await post('/api/auth/password/reset/confirm/', { token, new_password: 'short' });
        expect(weak.status).toBe(400);
        expect(Object.keys(weak.body as object)).toEqual(['new_password']);

        const done = await post('/api/auth/password/reset/confirm/', { token, new_password: NEW_PASSWORD });
        expect(pair(done)).toEqual([200, { detail: MailMessages.resetDone }]);
        const again = await post('/api/auth/password/reset/confirm/', {
          token,
          new_password: 'x'.repeat(20),
        });
        expect(pair(again)).toEqual([400, INVALID_LINK]);

        expect((await post('/api/auth/refresh/', { refresh: before.refresh })).status).toBe(401);
        expect((await me(before.access)).status).toBe(401);
        expect((await login()).status).toBe(401);
        expect((await login(NEW_PASSWORD)).status).toBe(200);
      });

      test('a made-up token, or one for another purpose, is refused, and spends nothing', async () => {
        await post('/api/auth/password/reset/', { email: ADA });
        const token = await server.linkToken(ADA, '/reset-password');
        const madeUp = await post('/api/auth/password/reset/confirm/', {
          token: 'A'.repeat(43),
          new_password: NEW_PASSWORD,
        });
        expect(pair(madeUp)).toEqual([400, INVALID_LINK]);
        expect(pair(await post('/api/auth/email/verify/', { token }))).toEqual([400, INVALID_LINK]);
        const tampered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
        const answer = await post('/api/auth/password/reset/confirm/', {
          token: tampered,
          new_password: NEW_PASSWORD,
        });
        expect(pair(answer)).toEqual([400, INVALID_LINK]);
        const done = await post('/api/auth/password/reset/confirm/', { token, new_password: NEW_PASSWORD });
        expect(done.status).toBe(200);
      });
    });

    describe('verification', () => {
      test('registration mails a link; following it verifies the address, once', async () => {
        const registered = await post('/api/users/', {
          username: 'grace',
          email: 'grace@example.com',
          password: NEW_PASSWORD,
        });
        expect(registered.status).toBe(201);
        const { access, user } = registered.body as { access: string; user: Record<string, unknown> };
        expect(user['email_verified']).toBe(false);

        const token = await server.linkToken('grace@example.com', '/verify-email');
        const verified = await post('/api/auth/email/verify/', { token });
        expect(pair(verified)).toEqual([200, { detail: MailMessages.verified, email: 'grace@example.com' }]);
        expect((await me(access)).body['email_verified']).toBe(true);
        expect(pair(await post('/api/auth/email/verify/', { token }))).toEqual([400, INVALID_LINK]);
      });

      test('a signed-in user asks for a new link; an anonymous ask gets the same answer', async () => {
        const { access } = await login();
        const resent = await post('/api/auth/email/verify/resend/', {}, access);
        expect(pair(resent)).toEqual([202, { detail: MailMessages.resendQueued }]);
        const anonymous = await post('/api/auth/email/verify/resend/', { email: 'nobody@example.com' });
        expect(pair(anonymous)).toEqual(pair(resent));
        const token = await server.linkToken(ADA, '/verify-email');
        expect(pair(await post('/api/auth/email/verify/', { token }))).toEqual([
          200,
          { detail: MailMessages.verified, email: ADA },
        ]);
        expect((await me(access)).body['email_verified']).toBe(true);
      });
    });

    describe('email change', () => {
      test('confirmed by the new address; undone by the old one, which ends every session', async () => {
        const { access } = await login();
        const wrong = await post(
          '/api/users/me/email/',
          { email: 'ada@new.example', password: 'nope' },
          access,
        );
        expect(wrong.status).toBe(400);
        expect(Object.keys(wrong.body as object)).toEqual(['password']);

        const asked = await post(
          '/api/users/me/email/',
          { email: 'ada@new.example', password: 'password1' },
          access,
        );
        expect(pair(asked)).toEqual([202, { detail: MailMessages.changeQueued }]);
        // Nothing changes until the new address answers.
        expect((await me(access)).body['email']).toBe(ADA);

        const confirm = await server.linkToken('ada@new.example', '/confirm-email');
        const changed = await post('/api/auth/email/change/confirm/', { token: confirm });
        expect(pair(changed)).toEqual([200, { detail: MailMessages.changed, email: 'ada@new.example' }]);
        expect((await me(access)).body).toMatchObject({ email: 'ada@new.example', email_verified: true });

        const revert = await server.linkToken(ADA, '/revert-email');
        const reverted = await post('/api/auth/email/change/revert/', { token: revert });
        expect(pair(reverted)).toEqual([200, { detail: MailMessages.reverted, email: ADA }]);
        expect((await me(access)).status).toBe(401);
        expect((await login()).status).toBe(200);
        expect(pair(await post('/api/auth/email/change/revert/', { token: revert }))).toEqual([
          400,
          INVALID_LINK,
        ]);
      });

      test('a sign-in older than the window must be renewed first', async () => {
        const { refresh } = await login();
        server.advance(server.reauthenticationWindow + 1);
        const renewed = await post('/api/auth/refresh/', { refresh });
        const { access } = renewed.body as { access: string };
        const answer = await post(
          '/api/users/me/email/',
          { email: 'ada@new.example', password: 'password1' },
          access,
        );
        expect(pair(answer)).toEqual([
          403,
          { detail: Messages.reauthenticationRequired, code: 'reauthentication_required' },
        ]);
      });
    });

    describe('a reused refresh token', () => {
      test('the user is mailed a link that ends every session', async () => {
        const phone = await login();
        const laptop = await login();
        await post('/api/auth/refresh/', { refresh: laptop.refresh });
        // The spent token again: someone else may hold it.
        expect((await post('/api/auth/refresh/', { refresh: laptop.refresh })).status).toBe(401);

        const token = await server.linkToken(ADA, '/end-sessions');
        const ended = await post('/api/auth/sessions/end-all/', { token });
        expect(pair(ended)).toEqual([200, { detail: MailMessages.sessionsEnded, sessions_ended: 1 }]);
        expect((await post('/api/auth/refresh/', { refresh: phone.refresh })).status).toBe(401);
        expect(pair(await post('/api/auth/sessions/end-all/', { token }))).toEqual([400, INVALID_LINK]);
      });
    });
  });
}
