import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { createSoftAuthenticator, type SoftAuthenticator } from './soft-authenticator.js';
import type { LightMyRequestResponse as Response } from 'fastify';
import { createTestContext, type TestContext } from './test-app.js';

/** The passkeys' HTTP tests: an RP ID above the page's host, as a deployment with an app subdomain has. */
export const WEBAUTHN_ENV = {
  GATEHOUSE_PUBLIC_URL: 'https://auth.example.com',
  GATEHOUSE_WEBAUTHN_RP_ID: 'example.com',
  GATEHOUSE_WEBAUTHN_ORIGINS: 'https://auth.example.com,https://app.example.com',
  GATEHOUSE_SITE_NAME: 'Example',
  // Long enough that a test moving the clock past a challenge's 5 minutes keeps its session.
  GATEHOUSE_ACCESS_TOKEN_LIFETIME: '1h',
};
export const ORIGIN = 'https://app.example.com';

export interface PasskeyHarness {
  ctx: TestContext;
  post(url: string, payload?: unknown, access?: string): Promise<Response>;
  request(
    method: 'GET' | 'PATCH' | 'DELETE',
    url: string,
    access: string,
    payload?: unknown,
  ): Promise<Response>;
  authenticator(options?: { synced?: boolean; counter?: number }): SoftAuthenticator;
  creationOptions(access: string): Promise<PublicKeyCredentialCreationOptionsJSON>;
  /** Registers a new passkey of `authenticator` for the caller; the response. */
  register(access: string, authenticator: SoftAuthenticator, name?: string): Promise<Response>;
  signInOptions(): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /** A passwordless sign-in with `authenticator`'s credential; the response. */
  signIn(authenticator: SoftAuthenticator): Promise<Response>;
}

export async function openPasskeys(env: Record<string, string> = {}): Promise<PasskeyHarness> {
  const ctx = await createTestContext({ ...WEBAUTHN_ENV, ...env });
  const post = (url: string, payload?: unknown, access?: string) =>
    ctx.app.inject({
      method: 'POST',
      url,
      ...(payload !== undefined && { payload: payload as Record<string, unknown> }),
      ...(access !== undefined && { headers: { authorization: `Bearer ${access}` } }),
    });
  const harness: PasskeyHarness = {
    ctx,
    post,
    request: (method, url, access, payload) =>
      ctx.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${access}` },
        ...(payload !== undefined && { payload: payload as Record<string, unknown> }),
      }),
    authenticator: (options = {}) => createSoftAuthenticator({ origin: ORIGIN, ...options }),
    async creationOptions(access) {
      const response = await post('/api/users/me/passkeys/options/', undefined, access);
      if (response.statusCode !== 200) throw new Error(`options: ${response.statusCode} ${response.body}`);
      return response.json();
    },
    async register(access, authenticator, name) {
      const credential = authenticator.register(await harness.creationOptions(access));
      return post('/api/users/me/passkeys/', { credential, ...(name !== undefined && { name }) }, access);
    },
    async signInOptions() {
      const response = await post('/api/auth/passkey/options/');
      if (response.statusCode !== 200) throw new Error(`options: ${response.statusCode} ${response.body}`);
      return response.json();
    },
    async signIn(authenticator) {
      const credential = authenticator.authenticate(await harness.signInOptions());
      return post('/api/auth/passkey/', { credential });
    },
  };
  return harness;
}
