import { afterEach, beforeEach, expect, test } from 'vitest';
import { createTestContext, type TestContext } from '../../testing/test-app.js';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
});
afterEach(() => ctx.close());

test('/api/docs serves the OpenAPI document generated from the route schemas', async () => {
  const response = await ctx.app.inject({ url: '/api/docs' });
  expect(response.statusCode).toBe(200);
  const document = response.json();
  expect(document.openapi).toMatch(/^3\./);
  expect(document.info.title).toBe('Gatehouse');
  for (const path of [
    '/api/users/',
    '/api/users/me/',
    '/api/auth/login/',
    '/api/token/refresh/',
    '/api/audit-log/',
  ]) {
    expect(Object.keys(document.paths), path).toContain(path);
  }
  // Schemas come from packages/contract: the registration body names its fields and limits.
  const signUp = document.paths['/api/users/'].post.requestBody.content['application/json'].schema;
  expect(signUp.required).toEqual(['username', 'password']);
  expect(signUp.properties.password.maxLength).toBe(1024);
  expect(document.paths['/api/users/'].post.tags).toEqual(['accounts']);
  expect((await ctx.app.inject({ url: '/api/docs/openapi.json' })).json()).toEqual(document);
});
