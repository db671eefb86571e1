// @vitest-environment happy-dom
import { describe, expect, test } from 'vitest';
import { credentials, setup } from './testing/setup.js';

// The page is http://localhost:3000/ (happy-dom's default), and Gatehouse answers on the same origin.
const signedIn = async () => {
  const { client, server } = setup({ origin: location.origin });
  const auth = client({ baseUrl: '' });
  await auth.login(credentials);
  return { auth, server };
};

describe('with baseUrl "" the token goes only to this page’s origin', () => {
  test.each(['/\\evil.example/x', '\\\\evil.example/x', '/\t/evil.example/x', '/\\\\evil.example'])(
    'a path the browser reads as another host (%j) is refused, and nothing is sent',
    async (path) => {
      const { auth, server } = await signedIn();
      const sent = server.calls.length;
      await expect(auth.fetch(path)).rejects.toMatchObject({ status: 0, code: 'cross_origin_path' });
      expect(server.calls.length).toBe(sent);
    },
  );

  test('paths on this origin carry the token; absolute URLs elsewhere are sent without it', async () => {
    const { auth, server } = await signedIn();
    const token = await auth.getAccessToken();
    expect((await auth.fetch('/api/things/')).status).toBe(200);
    expect(server.calls.at(-1)?.headers.get('authorization')).toBe(`Bearer ${token}`);
    await auth.fetch('https://elsewhere.example/api/things/');
    await auth.fetch('//elsewhere.example/x');
    expect(server.calls.slice(-2).map((call) => call.headers.get('authorization'))).toEqual([null, null]);
  });

  test('a <base> element that moves relative URLs to another origin moves the token nowhere', async () => {
    const { auth, server } = await signedIn();
    const base = document.head.appendChild(document.createElement('base'));
    base.href = 'https://cdn.example/';
    try {
      await expect(auth.fetch('/api/things/')).rejects.toMatchObject({ code: 'cross_origin_path' });
    } finally {
      base.remove();
    }
    expect((await auth.fetch('/api/things/')).status).toBe(200);
    expect(server.calls.at(-1)?.headers.get('authorization')).toMatch(/^Bearer /);
  });
});
