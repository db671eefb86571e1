import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/browser';
import { GatehouseError } from './errors.js';

/** A passkey of the signed-in user. */
export interface Passkey {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
  /** `singleDevice` or `multiDevice` (synced). */
  device_type: string;
  backed_up: boolean;
}

/** The browser's WebAuthn ceremonies, as @simplewebauthn/browser runs them (injectable for tests). */
export interface WebAuthn {
  startAuthentication(options: {
    optionsJSON: PublicKeyCredentialRequestOptionsJSON;
  }): Promise<AuthenticationResponseJSON>;
  startRegistration(options: {
    optionsJSON: PublicKeyCredentialCreationOptionsJSON;
  }): Promise<RegistrationResponseJSON>;
}

/** The server's options in, the credential to send back out; a failed ceremony is `passkey_failed`. */
export interface PasskeyCeremonies {
  authenticate(options: unknown): Promise<AuthenticationResponseJSON>;
  register(options: unknown): Promise<RegistrationResponseJSON>;
}

/** Loaded on first use only: apps (and pages) that never touch a passkey never download it. */
const browserWebAuthn = (): Promise<WebAuthn> => import('@simplewebauthn/browser');

export function createPasskeyCeremonies(webAuthn?: WebAuthn): PasskeyCeremonies {
  const load = async () => webAuthn ?? (await browserWebAuthn());
  return {
    async authenticate(options) {
      const { startAuthentication } = await load();
      const optionsJSON = unwrap(options) as PublicKeyCredentialRequestOptionsJSON;
      return ceremony(() => startAuthentication({ optionsJSON }));
    },
    async register(options) {
      const { startRegistration } = await load();
      const optionsJSON = unwrap(options) as PublicKeyCredentialCreationOptionsJSON;
      return ceremony(() => startRegistration({ optionsJSON }));
    },
  };
}

// Some servers wrap the options as navigator.credentials takes them: `{publicKey: {...}}`.
function unwrap(options: unknown): unknown {
  if (typeof options === 'object' && options !== null && 'publicKey' in options) return options.publicKey;
  return options;
}

const CEREMONY_FAILURES: Record<string, string> = {
  // A cancel, a timeout and a user the authenticator could not verify look alike, on purpose.
  NotAllowedError: 'The passkey was not used: it was cancelled, timed out, or could not verify you.',
  InvalidStateError: 'This device already holds a passkey for this account.',
};

async function ceremony<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    throw new GatehouseError({
      status: 0,
      code: 'passkey_failed',
      detail:
        CEREMONY_FAILURES[name] ??
        (error instanceof Error ? error.message : 'The passkey could not be used.'),
      cause: error,
    });
  }
}
