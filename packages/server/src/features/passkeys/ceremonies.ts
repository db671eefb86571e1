import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { WebAuthnConfig } from '../../config.js';
import type { Passkey, PasskeyDeviceType } from './store.js';

/**
 * The WebAuthn ceremonies over @simplewebauthn/server, as values: a response that is malformed or fails
 * verification is an outcome, never an exception, whatever the client sent.
 */

/** A challenge lives as long as its one-time token; the browser is told the same. */
export const CEREMONY_SECONDS = 5 * 60;

export interface CredentialRef {
  credentialId: string;
  transports: readonly string[];
}

export type Verified<T> = { ok: true } & T;
export type NotVerified = { ok: false; code: 'passkey_malformed' | 'passkey_not_verified' };

export interface NewCredential {
  credentialId: string;
  publicKey: string;
  signCount: number;
  transports: string[];
  deviceType: PasskeyDeviceType;
  backedUp: boolean;
  aaguid: string;
}

export interface Assertion {
  signCount: number;
  userVerified: boolean;
  deviceType: PasskeyDeviceType;
  backedUp: boolean;
}

/**
 * The challenge a response signed (its clientDataJSON's), which names the one-time token it was issued
 * as; undefined for anything that is not a response's shape.
 */
export function signedChallenge(credential: unknown): string | undefined {
  const clientData = field(field(credential, 'response'), 'clientDataJSON');
  if (typeof clientData !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(clientData, 'base64url').toString('utf8'));
    const challenge = field(parsed, 'challenge');
    return typeof challenge === 'string' ? challenge : undefined;
  } catch {
    return undefined;
  }
}

/** The credential id a response names (its `id`). */
export function credentialIdOf(credential: unknown): string | undefined {
  const id = field(credential, 'id');
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** The user handle an assertion carries (a discoverable credential's), if any. */
export function userHandleOf(credential: unknown): string | undefined {
  const handle = field(field(credential, 'response'), 'userHandle');
  return typeof handle === 'string' && handle !== '' ? handle : undefined;
}

export function creationOptions(
  webauthn: WebAuthnConfig,
  {
    challenge,
    handle,
    userName,
    displayName,
    exclude,
  }: {
    challenge: string;
    handle: string;
    userName: string;
    displayName: string;
    exclude: readonly CredentialRef[];
  },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: webauthn.rpName,
    rpID: webauthn.rpId,
    userName,
    userDisplayName: displayName,
    userID: Buffer.from(handle, 'base64url'),
    // The one-time token's bytes: the browser sends it back as is (base64url) in clientDataJSON.
    challenge: Buffer.from(challenge, 'base64url'),
    timeout: CEREMONY_SECONDS * 1000,
    attestationType: 'none',
    excludeCredentials: exclude.map(toDescriptor),
    // A passkey: discoverable (it signs in without a username) and verifying its user (it is two factors).
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
}

export function requestOptions(
  webauthn: WebAuthnConfig,
  {
    challenge,
    allow,
    userVerification,
  }: {
    challenge: string;
    allow: readonly CredentialRef[];
    userVerification: 'required' | 'preferred';
  },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: webauthn.rpId,
    challenge: Buffer.from(challenge, 'base64url'),
    timeout: CEREMONY_SECONDS * 1000,
    allowCredentials: allow.map(toDescriptor),
    userVerification,
  });
}

export async function verifyRegistration(
  webauthn: WebAuthnConfig,
  credential: unknown,
  challenge: string,
): Promise<Verified<{ credential: NewCredential }> | NotVerified> {
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response: credential as RegistrationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: [...webauthn.origins],
      expectedRPID: webauthn.rpId,
      expectedType: 'webauthn.create',
      requireUserVerification: true,
    });
  } catch {
    // The library throws for a malformed response and for a failed check alike; both are the client's.
    return { ok: false, code: 'passkey_not_verified' };
  }
  if (!verified.verified) return { ok: false, code: 'passkey_not_verified' };
  const info = verified.registrationInfo;
  const transports = (credential as RegistrationResponseJSON).response.transports;
  return {
    ok: true,
    credential: {
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      signCount: info.credential.counter,
      transports: Array.isArray(transports)
        ? transports.filter((t) => typeof t === 'string').slice(0, 8)
        : [],
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      aaguid: info.aaguid,
    },
  };
}

export async function verifyAssertion(
  webauthn: WebAuthnConfig,
  credential: unknown,
  {
    challenge,
    passkey,
    requireUserVerification,
  }: {
    challenge: string;
    passkey: Passkey;
    requireUserVerification: boolean;
  },
): Promise<Verified<{ assertion: Assertion }> | NotVerified> {
  let verified;
  try {
    verified = await verifyAuthenticationResponse({
      response: credential as AuthenticationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: [...webauthn.origins],
      expectedRPID: webauthn.rpId,
      expectedType: 'webauthn.get',
      // The counter is checked by the store, as a compare-and-set that also audits a regression: here it
      // is given as 0, which the library never refuses.
      credential: {
        id: passkey.credentialId,
        publicKey: Buffer.from(passkey.publicKey, 'base64url'),
        counter: 0,
      },
      requireUserVerification,
    });
  } catch {
    return { ok: false, code: 'passkey_not_verified' };
  }
  if (!verified.verified) return { ok: false, code: 'passkey_not_verified' };
  const info = verified.authenticationInfo;
  return {
    ok: true,
    assertion: {
      signCount: info.newCounter,
      userVerified: info.userVerified,
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
    },
  };
}

function toDescriptor({ credentialId, transports }: CredentialRef) {
  return { id: credentialId, transports: [...transports] };
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}
