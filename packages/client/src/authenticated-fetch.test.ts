import { describe, expect, test } from 'vitest';
import { credentials, setup } from './testing/setup.js';

const bearer = (headers: Headers) => headers.get('authorization')?.replace('Bearer ', '');

describe('single-flight refresh', () => {
  test('50 concurrent fetches with an expired access token make exactly one refresh', async () => {
    const { client, server, clock } = setup();
    const auth = client();
    await auth.login(credentials);
    clock.advance(301);
    const responses = await Promise.all(Array.from({ length: 50 }, () => auth.fetch('/api/things/')));
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    expect(server.count('/api/auth/refresh/')).toBe(1);
    expect(auth.getState().status).toBe('signed-in');
  });

  test('50 concurrent fetches refused with 401 (token revoked, not expired) share one refresh and retry once', async () => {
    const { client, server } = setup();
    const auth = client();
    await auth.login(credentials);
    server.revokeAccessTokens();
    const responses = await Promise.all(Array.from({ length: 50 }, () => auth.fetch('/api/things/')));
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    expect(server.count('/api/auth/refresh/')).toBe(1);
    expect(server.count('/api/things/', 'GET')).toBe(100);
  });

  test('concurrent refresh() calls share one request and one token', async () => {
    const { client, server } = setup();
    const auth = client();
    await auth.login(credentials);
    const tokens = await Promise.all([auth.refresh(), auth.refresh(), auth.getAccessToken()]);
    expect(new Set(tokens.slice(0, 2)).size).toBe(1);
    expect(server.count('/api/auth/refresh/')).toBe(1);
    await auth.refresh();
    expect(server.count('/api/auth/refresh/')).toBe(2);
  });
});

describe('authenticated fetch', () => {
  test('attaches the bearer and keeps the caller’s headers; resolves relative paths against baseUrl', async () => {
    const { client, server } = setup();
    const auth = client();
    await auth.login(credentials);
    const response = await auth.fetch('api/things/', { headers: { 'x-trace': '1' } });
    expect(await response.json()).toEqual({ things: [], user: 'ada' });
    const call = server.calls.at(-1);
    expect(call?.path).toBe('/api/things/');
    expect(call?.headers.get('x-trace')).toBe('1');
    expect(bearer(call?.headers ?? new Headers())).toBe(await auth.getAccessToken());
  });

  test('never sends the access token to another origin', async () => {
    const { client, server } = setup();
    const auth = client();
    await auth.login(credentials);
    await auth.fetch('https://elsewhere.example/api/things/');
    await auth.fetch('//elsewhere.example/x');
    expect(server.calls.slice(-2).map((call) => call.headers.get('authorization'))).toEqual([null, null]);
  });

  test('a path stays a path on baseUrl; without a page, one that would leave the origin is refused', async () => {
    const { client, server } = setup();
    const onBase = client();
    await onBase.login(credentials);
    expect(await (await onBase.fetch('/\\evil.example/x')).json()).not.toEqual({ elsewhere: true });
    expect(server.calls.at(-1)?.path).toBe('//evil.example/x');

    // No location here: the injected fetch reads relative URLs against its own origin.
    const relative = client({ baseUrl: '' });
    await relative.login(credentials);
    await expect(relative.fetch('/\\evil.example/x')).rejects.toMatchObject({ code: 'cross_origin_path' });
    expect(await (await relative.fetch('/api/things/')).json()).toEqual({ things: [], user: 'ada' });
  });

  test('refreshes proactively within the leeway, not before', async () => {
    const { client, server, clock } = setup();
    const auth = client({ refreshLeewaySeconds: 30 });
    await auth.login(credentials);
    const first = await auth.getAccessToken();
    clock.advance(269);
    await auth.fetch('/api/things/');
    expect(server.count('/api/auth/refresh/')).toBe(0);
    clock.advance(2);
    await auth.fetch('/api/things/');
    expect(server.count('/api/auth/refresh/')).toBe(1);
    expect(bearer(server.calls.at(-1)?.headers ?? new Headers())).not.toBe(first);
  });

  test('expiry is judged on the server’s clock, even when the device’s clock is far off', async () => {
    const { client, server, clock } = setup();
    const deviceOffset = -3600_000;
    const auth = client({ now: () => clock() + deviceOffset });
    await auth.login(credentials);
    clock.advance(200);
    await auth.fetch('/api/things/');
    expect(server.count('/api/auth/refresh/')).toBe(0);
    clock.advance(80);
    await auth.fetch('/api/things/');
    expect(server.count('/api/auth/refresh/')).toBe(1);
  });

  test('a second 401 after a refresh signs out as expired, and the response is returned', async () => {
    const { client, server } = setup();
    const auth = client();
    await auth.login(credentials);
    server.respondOnce(
      '/api/things/',
      new Response('{"detail":"no"}', { status: 401 }),
      new Response('{"detail":"no"}', { status: 401 }),
    );
    const response = await auth.fetch('/api/things/');
    expect(response.status).toBe(401);
    expect(server.count('/api/auth/refresh/')).toBe(1);
    expect(auth.getState()).toEqual({ status: 'signed-out', reason: 'expired' });
  });

  test('a refused refresh (401) signs out as expired; the original 401 is returned', async () => {
    const { client, server } = setup();
    const auth = client();
    await auth.login(credentials);
    server.revokeAccessTokens();
    server.cookie = 'spent';
    const response = await auth.fetch('/api/things/');
    expect(response.status).toBe(401);
    expect(auth.getState()).toEqual({ status: 'signed-out', reason: 'expired' });
    await expect(auth.refresh()).rejects.toMatchObject({ status: 401, code: 'token_not_valid' });
  });

  test('signed out: the request goes without a token and no refresh is tried', async () => {
    const { client, server } = setup();
    const auth = client();
    await auth.start();
    const response = await auth.fetch('/api/things/');
    expect(response.status).toBe(401);
    expect(server.calls.at(-1)?.headers.get('authorization')).toBeNull();
    expect(server.count('/api/auth/refresh/')).toBe(1);
  });
});

describe('a refresh that cannot reach the server', () => {
  test('does not sign out: the state stays and the error is network_error', async () => {
    const { client, server, clock } = setup();
    const auth = client();
    await auth.login(credentials);
    const signedIn = auth.getState();
    clock.advance(301);
    server.respondOnce('/api/auth/refresh/', 'network-error');
    await expect(auth.fetch('/api/things/')).rejects.toMatchObject({ code: 'network_error', status: 0 });
    expect(auth.getState()).toBe(signedIn);
    expect((await auth.fetch('/api/things/')).status).toBe(200);
  });

  test('ahead of expiry, the still-valid token is used', async () => {
    const { client, server, clock } = setup();
    const auth = client();
    await auth.login(credentials);
    const token = await auth.getAccessToken();
    clock.advance(290);
    server.respondOnce('/api/auth/refresh/', 'network-error');
    expect(await auth.getAccessToken()).toBe(token);
    expect((await auth.fetch('/api/things/')).status).toBe(200);
  });

  test('a 5xx from refresh does not sign out either', async () => {
    const { client, server } = setup();
    const auth = client();
    await auth.login(credentials);
    server.respondOnce(
      '/api/auth/refresh/',
      new Response('{"detail":"A server error occurred."}', { status: 503 }),
    );
    await expect(auth.refresh()).rejects.toMatchObject({ status: 503, code: 'server_error' });
    expect(auth.getState().status).toBe('signed-in');
  });
});
