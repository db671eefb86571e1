import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTestContext, type TestContext } from '../../testing/test-app.js';
import { bearer, enableTotp } from '../../testing/mfa.js';

let ctx: TestContext;
let adminAccess: string;
let alicePublicId: string;
beforeEach(async () => {
  ctx = await createTestContext({ GATEHOUSE_RATE_LIMITS: 'false' });
  const alice = await ctx.createUser({ username: 'alice', email: 'alice@example.com' });
  alicePublicId = alice.publicId;
  await ctx.createUser({ username: 'admin', email: 'admin@example.com', isStaff: true, isSuperuser: true });
  await ctx.createUser({ username: 'staff', email: 'staff@example.com', isStaff: true });
  adminAccess = (await ctx.login('admin')).access;
});
afterEach(() => ctx.close());

const url = (publicId: string) => `/api/users/${publicId}/mfa/`;
const view = (publicId: string, access = adminAccess) =>
  ctx.app.inject({ method: 'GET', url: url(publicId), headers: bearer(access) });
const reset = (publicId: string, access = adminAccess) =>
  ctx.app.inject({ method: 'DELETE', url: url(publicId), headers: bearer(access) });

async function addPasskey(userId: number, id: string) {
  await ctx.rows.all(
    `insert into passkeys (id, user_id, credential_id, public_key, device_type, name, created_at, last_used_at) ` +
      `values ('${id}', ${userId}, 'cred-${id}', 'key', 'multiDevice', 'Phone', '2025-01-02T03:04:05.000Z', '2025-02-03T04:05:06.000Z')`,
  );
}

describe("an administrator and a user's factors", () => {
  test('the view: the app, the recovery codes left, the passkeys; the reset removes all of them', async () => {
    expect((await view(alicePublicId)).json()).toEqual({ totp: false, recovery_codes_left: 0, passkeys: [] });
    await enableTotp(ctx, 'alice');
    const alice = await ctx.rows.userByUsernameKey('alice');
    await addPasskey(alice?.id ?? 0, 'pk-1');
    const seen = await view(alicePublicId);
    expect(seen.statusCode).toBe(200);
    expect(seen.json()).toEqual({
      totp: true,
      recovery_codes_left: 10,
      passkeys: [
        {
          id: 'pk-1',
          name: 'Phone',
          created_at: '2025-01-02T03:04:05.000Z',
          last_used_at: '2025-02-03T04:05:06.000Z',
        },
      ],
    });
    // Nothing secret in it.
    expect(seen.body).not.toMatch(/secret|hash|public_key/);

    expect((await reset(alicePublicId)).statusCode).toBe(204);
    expect((await view(alicePublicId)).json()).toEqual({ totp: false, recovery_codes_left: 0, passkeys: [] });
    // The user signs in with the password alone again.
    expect(
      (
        await ctx.app.inject({
          method: 'POST',
          url: '/api/token/',
          payload: { username: 'alice', password: 'password1' },
        })
      ).statusCode,
    ).toBe(200);
    const [entry] = await ctx.rows.all(
      "select actor, target, action from audit_log where action = 'mfa.reset'",
    );
    expect(entry).toEqual({ actor: 'admin', target: 'alice', action: 'mfa.reset' });
    const notices = (await ctx.rows.outbox()).filter((mail) => mail.data['change'] === 'factors_reset');
    expect(notices.map((mail) => mail.to)).toEqual(['alice@example.com']);
  });

  test('superusers only; an unknown user is a 404', async () => {
    const { access: staff } = await ctx.login('staff');
    const { access: alice } = await ctx.login('alice');
    for (const access of [staff, alice]) {
      expect((await view(alicePublicId, access)).statusCode).toBe(403);
      expect((await reset(alicePublicId, access)).statusCode).toBe(403);
    }
    expect((await ctx.app.inject({ method: 'GET', url: url(alicePublicId) })).statusCode).toBe(401);
    expect((await view('00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect((await reset('not-an-id')).statusCode).toBe(404);
    expect(
      (await ctx.app.inject({ method: 'POST', url: url(alicePublicId), headers: bearer(adminAccess) }))
        .statusCode,
    ).toBe(405);
    expect(await ctx.rows.all("select * from audit_log where action = 'mfa.reset'")).toEqual([]);
  });
});

test('the routes are in the OpenAPI document, with their schemas', async () => {
  const document = (await ctx.app.inject({ url: '/api/docs' })).json();
  const routes: [string, string, string][] = [
    ['/api/users/me/mfa/', 'get', 'accounts'],
    ['/api/users/me/mfa/totp/', 'post', 'accounts'],
    ['/api/users/me/mfa/totp/', 'delete', 'accounts'],
    ['/api/users/me/mfa/totp/confirm/', 'post', 'accounts'],
    ['/api/users/me/mfa/recovery-codes/', 'post', 'accounts'],
    ['/api/auth/mfa/', 'post', 'accounts'],
    ['/api/auth/mfa/enroll/totp/', 'post', 'accounts'],
    ['/api/auth/mfa/enroll/totp/confirm/', 'post', 'accounts'],
    ['/api/users/{publicId}/mfa/', 'get', 'administration'],
    ['/api/users/{publicId}/mfa/', 'delete', 'administration'],
  ];
  for (const [path, method, tag] of routes) {
    const operation = document.paths[path]?.[method];
    expect(operation?.tags, `${method} ${path}`).toEqual([tag]);
    expect(operation?.summary, `${method} ${path}`).toEqual(expect.any(String));
  }
  const answer = document.paths['/api/auth/mfa/'].post.requestBody.content['application/json'].schema;
  expect(answer.required).toEqual(['mfa_token']);
  expect(answer.properties.code.pattern).toBe('^[0-9]{6}$');
});
