import { afterEach, describe, expect, test } from 'vitest';
import type { TestContext } from '../../testing/test-app.js';
import { LOGINS, mfaHarness, bearer, codeOf, enableTotp } from '../../testing/mfa.js';

let ctx: TestContext;
const harness = mfaHarness();
const { post, status, challenge, answer } = harness;
async function open(env: Record<string, string> = {}) {
  ctx = await harness.open(env);
}
afterEach(() => ctx.close());

describe('setting up an authenticator app', () => {
  test('pending until its first code; then active, with ten recovery codes shown once', async () => {
    await open({ GATEHOUSE_SITE_NAME: 'Example Site' });
    const { access } = await ctx.login('alice');
    expect(await status(access)).toEqual({ totp: false, passkeys: 0, recovery_codes_left: 0 });

    const started = await post('/api/users/me/mfa/totp/', undefined, bearer(access));
    expect(started.statusCode).toBe(200);
    const { secret, otpauth_uri } = started.json();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauth_uri).toBe(
      `otpauth://totp/Example%20Site:alice%40example.com?secret=${secret}&issuer=Example%20Site&algorithm=SHA1&digits=6&period=30`,
    );
    // Pending: it counts for nothing, and every login goes on as before.
    expect(await status(access)).toEqual({ totp: false, passkeys: 0, recovery_codes_left: 0 });
    for (const [url, credentials] of LOGINS) expect((await post(url, credentials)).statusCode, url).toBe(200);

    const wrong = await post(
      '/api/users/me/mfa/totp/confirm/',
      { code: codeOf(ctx, secret, 3) },
      bearer(access),
    );
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toEqual({
      detail: 'The code is wrong, or was used already.',
      code: 'invalid_mfa_code',
    });
    const confirmed = await post(
      '/api/users/me/mfa/totp/confirm/',
      { code: codeOf(ctx, secret) },
      bearer(access),
    );
    expect(confirmed.statusCode).toBe(200);
    const codes: string[] = confirmed.json().recovery_codes;
    expect(codes).toHaveLength(10);
    expect(await status(access)).toEqual({ totp: true, passkeys: 0, recovery_codes_left: 10 });

    // At rest: the secret sealed, the codes as keyed hashes only.
    const [row] = await ctx.rows.all('select secret from totp_factors');
    expect(String(row?.['secret'])).toMatch(/^aes-256-gcm:/);
    const stored = JSON.stringify(await ctx.rows.all('select * from totp_factors, recovery_codes'));
    for (const code of codes) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replace('-', ''));
    }
    expect(stored).not.toContain(secret);

    // Never shown again, and a second app is refused while this one is active.
    const again = await post('/api/users/me/mfa/totp/', undefined, bearer(access));
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'totp_already_enabled' });
    expect(JSON.stringify(await status(access))).not.toContain(secret);
  });

  test('a new setup replaces a pending one; a pending one expires after 10 minutes', async () => {
    await open({ GATEHOUSE_REAUTHENTICATION_WINDOW: '1h' });
    const { access } = await ctx.login('alice');
    const first = (await post('/api/users/me/mfa/totp/', undefined, bearer(access))).json().secret;
    const second = (await post('/api/users/me/mfa/totp/', undefined, bearer(access))).json().secret;
    expect(second).not.toBe(first);
    const byFirst = await post(
      '/api/users/me/mfa/totp/confirm/',
      { code: codeOf(ctx, first) },
      bearer(access),
    );
    expect(byFirst.statusCode).toBe(400);

    ctx.clock.advance(10 * 60);
    const { access: fresh } = await ctx.login('alice');
    const late = await post('/api/users/me/mfa/totp/confirm/', { code: codeOf(ctx, second) }, bearer(fresh));
    expect(late.statusCode).toBe(409);
    expect(late.json()).toEqual({
      detail: 'Start setting up an authenticator app first (a setup expires after 10 minutes).',
      code: 'no_pending_totp',
    });
    expect((await post('/api/auth/login/', { email: 'alice', password: 'password1' })).statusCode).toBe(200);
  });

  test('adding or removing a factor needs a recent sign-in', async () => {
    await open({ GATEHOUSE_REAUTHENTICATION_WINDOW: '60', GATEHOUSE_ACCESS_TOKEN_LIFETIME: '1h' });
    const { access } = await ctx.login('alice');
    ctx.clock.advance(61);
    const refusals = [
      await post('/api/users/me/mfa/totp/', undefined, bearer(access)),
      await post('/api/users/me/mfa/totp/confirm/', { code: '123456' }, bearer(access)),
      await post('/api/users/me/mfa/recovery-codes/', undefined, bearer(access)),
      await ctx.app.inject({
        method: 'DELETE',
        url: '/api/users/me/mfa/totp/',
        headers: bearer(access),
        payload: { code: '123456' },
      }),
    ];
    for (const response of refusals) {
      expect(response.statusCode).toBe(403);
      expect(response.json()).toEqual({
        detail: 'Please sign in again to continue.',
        code: 'reauthentication_required',
      });
    }
    // Reading them is not a change.
    expect(
      (await ctx.app.inject({ method: 'GET', url: '/api/users/me/mfa/', headers: bearer(access) }))
        .statusCode,
    ).toBe(200);
    expect(await ctx.rows.all('select * from totp_factors')).toEqual([]);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/users/me/mfa/' })).statusCode).toBe(401);
  });

  test('each change queues an mfa_changed notice and writes an audit entry', async () => {
    await open();
    const { secret, recoveryCodes } = await enableTotp(ctx, 'alice');
    const { access } = await ctx.login('alice').catch(() => ({ access: '' }));
    expect(access).toBe('');
    const token = await challenge();
    const signedIn = await answer(token, { code: codeOf(ctx, secret) });
    const fresh = signedIn.json().access;
    expect((await post('/api/users/me/mfa/recovery-codes/', undefined, bearer(fresh))).statusCode).toBe(200);
    ctx.clock.advance(30);
    const removed = await ctx.app.inject({
      method: 'DELETE',
      url: '/api/users/me/mfa/totp/',
      headers: bearer(fresh),
      payload: { code: codeOf(ctx, secret) },
    });
    expect(removed.statusCode).toBe(204);
    expect(recoveryCodes).toHaveLength(10);
    const notices = (await ctx.rows.outbox()).filter((mail) => mail.kind === 'mfa_changed');
    expect(notices.map((mail) => [mail.to, mail.data['change']])).toEqual([
      ['alice@example.com', 'totp_enabled'],
      ['alice@example.com', 'recovery_codes_regenerated'],
      ['alice@example.com', 'totp_disabled'],
    ]);
    const audit = await ctx.rows.all("select action from audit_log where action like 'mfa.%' order by id");
    expect(audit.map((row) => row['action'])).toEqual([
      'mfa.totp_enabled',
      'mfa.recovery_codes_regenerated',
      'mfa.totp_disabled',
    ]);
    // Gone: logins ask nothing more, and the codes are gone with it.
    expect(await status(fresh)).toEqual({ totp: false, passkeys: 0, recovery_codes_left: 0 });
    for (const [url, credentials] of LOGINS) expect((await post(url, credentials)).statusCode, url).toBe(200);
  });

  test('GATEHOUSE_SECURITY_NOTICES without mfa_changed: the change is made, no mail', async () => {
    await open({ GATEHOUSE_SECURITY_NOTICES: 'password_changed' });
    await enableTotp(ctx, 'alice');
    expect(await ctx.rows.outbox()).toEqual([]);
  });

  test('removal needs a current code or a recovery code', async () => {
    await open();
    const { secret, recoveryCodes, access } = await enableTotp(ctx, 'alice');
    const remove = (code: unknown) =>
      ctx.app.inject({
        method: 'DELETE',
        url: '/api/users/me/mfa/totp/',
        headers: bearer(access),
        payload: { code },
      });
    expect((await remove(codeOf(ctx, secret, 5))).statusCode).toBe(400);
    expect((await remove('aaaaa-aaaaa')).statusCode).toBe(400);
    expect((await remove(12)).statusCode).toBe(400);
    expect(
      (await ctx.app.inject({ method: 'DELETE', url: '/api/users/me/mfa/totp/', headers: bearer(access) }))
        .statusCode,
    ).toBe(400);
    expect((await remove((recoveryCodes[0] ?? '').toUpperCase())).statusCode).toBe(204);
    expect((await remove(codeOf(ctx, secret))).json()).toMatchObject({ code: 'totp_not_enabled' });
  });

  test('recovery codes anew only with a factor to recover', async () => {
    await open();
    const { access } = await ctx.login('alice');
    const response = await post('/api/users/me/mfa/recovery-codes/', undefined, bearer(access));
    expect(response.statusCode).toBe(409);
    expect(response.json()).toEqual({ detail: 'Set up a second factor first.', code: 'mfa_not_enabled' });
  });
});
