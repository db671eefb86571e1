import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/**
 * A WebAuthn authenticator and browser in one, for tests: ES256 keys made with node:crypto, attestation
 * `none`, discoverable credentials, and the flags and counter a test chooses, so that the server's real
 * verification (@simplewebauthn/server) runs on what it makes. Not for anything but tests.
 */

/** authenticatorData flags (WebAuthn §6.1). */
const UP = 0x01;
const UV = 0x04;
const BE = 0x08;
const BS = 0x10;
const AT = 0x40;

/** What a ceremony's response says, where a test wants it to lie or differ. */
export interface CeremonyOptions {
  /** The page's origin the browser reports; the authenticator's default otherwise. */
  origin?: string;
  /** The RP ID the authenticator hashes; the options' (or the authenticator's) otherwise. */
  rpId?: string;
  /** User verification performed (UV); default true. */
  userVerified?: boolean;
  /** The challenge signed instead of the options' (a replay of an older one). */
  challenge?: string;
  /** The clientDataJSON type (`webauthn.create` / `webauthn.get` otherwise). */
  type?: string;
}

export interface SoftCredential {
  /** base64url. */
  id: string;
  rpId: string;
  /** base64url: the options' user.id. */
  userHandle: string;
  privateKey: KeyObject;
  /** The next assertion signs counter + 1 (0 stays 0: an authenticator without a counter). */
  counter: number;
  /** Backup eligible (BE) and backed up (BS): a synced passkey; false: one bound to this device. */
  synced: boolean;
}

export interface SoftAuthenticator {
  readonly credentials: SoftCredential[];
  /** navigator.credentials.create(): a new credential for `options`, in its JSON form. */
  register(
    options: PublicKeyCredentialCreationOptionsJSON,
    ceremony?: CeremonyOptions,
  ): RegistrationResponseJSON;
  /**
   * navigator.credentials.get(): an assertion by the credential `credentialId`, else by the first one
   * the options allow (any of this RP's when they allow none: a discoverable credential).
   */
  authenticate(
    options: PublicKeyCredentialRequestOptionsJSON,
    ceremony?: CeremonyOptions & { credentialId?: string },
  ): AuthenticationResponseJSON;
}

export function createSoftAuthenticator({
  origin,
  synced = false,
  counter = 0,
}: {
  /** The origin of the page the ceremonies run on. */
  origin: string;
  /** Make synced passkeys (BE and BS set) rather than device-bound ones. */
  synced?: boolean;
  /** The counter of new credentials; 0: they keep none. */
  counter?: number;
}): SoftAuthenticator {
  const credentials: SoftCredential[] = [];
  const clientData = (type: string, challenge: string, ceremony: CeremonyOptions) =>
    Buffer.from(
      JSON.stringify({
        type: ceremony.type ?? type,
        challenge: ceremony.challenge ?? challenge,
        origin: ceremony.origin ?? origin,
        crossOrigin: false,
      }),
    );
  const flags = (credential: { synced: boolean }, ceremony: CeremonyOptions) =>
    UP | (ceremony.userVerified === false ? 0 : UV) | (credential.synced ? BE | BS : 0);

  return {
    credentials,

    register(options, ceremony = {}) {
      const rpId = ceremony.rpId ?? options.rp.id ?? new URL(origin).hostname;
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const id = randomBytes(16);
      const credential: SoftCredential = {
        id: id.toString('base64url'),
        rpId,
        userHandle: options.user.id,
        privateKey,
        counter,
        synced,
      };
      const authData = Buffer.concat([
        sha256(rpId),
        Buffer.from([flags(credential, ceremony) | AT]),
        uint32(counter),
        Buffer.alloc(16),
        Buffer.from([0, id.length]),
        id,
        coseKey(publicKey),
      ]);
      const attestationObject = isoCBOR.encode(
        new Map<string, string | Uint8Array | Map<string, string>>([
          ['fmt', 'none'],
          ['attStmt', new Map<string, string>()],
          ['authData', authData],
        ]),
      );
      credentials.push(credential);
      return {
        id: credential.id,
        rawId: credential.id,
        type: 'public-key',
        clientExtensionResults: {},
        response: {
          clientDataJSON: clientData('webauthn.create', options.challenge, ceremony).toString('base64url'),
          attestationObject: Buffer.from(attestationObject).toString('base64url'),
          transports: ['internal'],
        },
      };
    },

    authenticate(options, ceremony = {}) {
      const rpId = ceremony.rpId ?? options.rpId ?? new URL(origin).hostname;
      const allowed = (options.allowCredentials ?? []).map((allow) => allow.id);
      const credential = credentials.find((candidate) =>
        ceremony.credentialId !== undefined
          ? candidate.id === ceremony.credentialId
          : candidate.rpId === rpId && (allowed.length === 0 || allowed.includes(candidate.id)),
      );
      if (!credential) throw new Error('soft authenticator: no credential for these options');
      if (credential.counter > 0) credential.counter += 1;
      const authData = Buffer.concat([
        sha256(rpId),
        Buffer.from([flags(credential, ceremony)]),
        uint32(credential.counter),
      ]);
      const data = clientData('webauthn.get', options.challenge, ceremony);
      const signature = sign('sha256', Buffer.concat([authData, sha256(data)]), credential.privateKey);
      return {
        id: credential.id,
        rawId: credential.id,
        type: 'public-key',
        clientExtensionResults: {},
        response: {
          clientDataJSON: data.toString('base64url'),
          authenticatorData: authData.toString('base64url'),
          signature: signature.toString('base64url'),
          userHandle: credential.userHandle,
        },
      };
    },
  };
}

function sha256(data: string | Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

/** The P-256 public key as a COSE_Key (RFC 9053): kty EC2, alg ES256, crv P-256, x, y. */
function coseKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  return isoCBOR.encode(
    new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x ?? '', 'base64url')],
      [-3, Buffer.from(jwk.y ?? '', 'base64url')],
    ]),
  );
}
