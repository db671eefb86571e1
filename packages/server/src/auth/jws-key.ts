import {
  createHash,
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  sign,
  timingSafeEqual,
  verify,
  type KeyObject,
} from 'node:crypto';
import {
  isHmacAlgorithm,
  type AsymmetricAlgorithm,
  type HmacAlgorithm,
  type JwsAlgorithm,
} from '../config.js';

/** A key as the JWT codec uses it: the header it signs under, and its signature for one algorithm. */
export interface JwsKey {
  readonly kid: string | undefined;
  readonly algorithm: JwsAlgorithm;
  /** The encoded protected header of the tokens it signs with this `typ`, computed once per `typ`. */
  header(typ: string): string;
  /** base64url signature of `input`. */
  sign(input: string): string;
  verify(input: string, signature: string): boolean;
}

/** The public members of an asymmetric key, as JWKS publishes them (RFC 7517). */
export type PublicJwk = Record<string, string>;

export interface AsymmetricJwsKey extends JwsKey {
  readonly kid: string;
  readonly publicJwk: PublicJwk;
}

const HMAC_DIGESTS: Record<HmacAlgorithm, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };
export const MIN_RSA_BITS = 2048;

export function hmacKey(algorithm: JwsAlgorithm, kid: string | undefined, secret: string): JwsKey {
  if (!isHmacAlgorithm(algorithm)) throw new Error(`${algorithm} does not sign with a shared secret`);
  const digest = HMAC_DIGESTS[algorithm];
  const key = Buffer.from(secret, 'utf8');
  const mac = (input: string) => createHmac(digest, key).update(input).digest('base64url');
  return {
    kid,
    algorithm,
    header: protectedHeaders(algorithm, kid),
    sign: mac,
    verify(input, signature) {
      // Compare the canonical encodings, so a signature re-encoded with other trailing bits is refused too.
      const expected = Buffer.from(mac(input));
      const given = Buffer.from(signature);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

interface AsymmetricParams {
  digest: string | null;
  /** ES256 signatures are r||s (JWS), not DER. */
  dsaEncoding?: 'ieee-p1363';
  /** Bytes. */
  signatureLength: number;
}

/** Signs with `privateKey` and verifies with its public half, after checking it suits `algorithm`. */
export function asymmetricKey(algorithm: AsymmetricAlgorithm, privateKey: KeyObject): AsymmetricJwsKey {
  const publicKey = createPublicKey(privateKey);
  const params = asymmetricParams(algorithm, publicKey);
  const publicJwk = exportPublicJwk(publicKey);
  const kid = thumbprint(publicJwk);
  const signingKey = params.dsaEncoding ? { key: privateKey, dsaEncoding: params.dsaEncoding } : privateKey;
  const verifyingKey = params.dsaEncoding ? { key: publicKey, dsaEncoding: params.dsaEncoding } : publicKey;
  return {
    kid,
    algorithm,
    publicJwk,
    header: protectedHeaders(algorithm, kid),
    sign: (input) => sign(params.digest, Buffer.from(input), signingKey).toString('base64url'),
    verify(input, signature) {
      const bytes = Buffer.from(signature, 'base64url');
      // One encoding per signature, as for HMAC: other spellings of the same bytes are refused.
      if (bytes.length !== params.signatureLength || bytes.toString('base64url') !== signature) return false;
      return verify(params.digest, Buffer.from(input), verifyingKey, bytes);
    },
  };
}

function asymmetricParams(algorithm: AsymmetricAlgorithm, publicKey: KeyObject): AsymmetricParams {
  const type = publicKey.asymmetricKeyType;
  const details = publicKey.asymmetricKeyDetails ?? {};
  switch (algorithm) {
    case 'EdDSA':
      if (type === 'ed25519') return { digest: null, signatureLength: 64 };
      break;
    case 'ES256':
      if (type === 'ec' && details.namedCurve === 'prime256v1') {
        return { digest: 'sha256', dsaEncoding: 'ieee-p1363', signatureLength: 64 };
      }
      break;
    case 'RS256': {
      const bits = details.modulusLength ?? 0;
      if (type === 'rsa' && bits >= MIN_RSA_BITS) return { digest: 'sha256', signatureLength: bits / 8 };
      break;
    }
  }
  throw new Error(`a ${type ?? 'unknown'} key cannot sign ${algorithm}`);
}

/** A new private key for `algorithm`: Ed25519, P-256 or RSA 2048. */
export function generatePrivateKey(algorithm: AsymmetricAlgorithm): KeyObject {
  switch (algorithm) {
    case 'EdDSA':
      return generateKeyPairSync('ed25519').privateKey;
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: MIN_RSA_BITS }).privateKey;
  }
}

const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  OKP: ['crv', 'kty', 'x'],
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
};

/** RFC 7638: the key's id is the SHA-256 of its required public members, so it names the key itself. */
export function thumbprint(jwk: PublicJwk): string {
  const members = THUMBPRINT_MEMBERS[jwk.kty ?? ''];
  if (!members) throw new Error(`no thumbprint for a ${String(jwk.kty)} key`);
  const canonical = JSON.stringify(Object.fromEntries(members.map((name) => [name, jwk[name]])));
  return createHash('sha256').update(canonical).digest('base64url');
}

function exportPublicJwk(publicKey: KeyObject): PublicJwk {
  const jwk = publicKey.export({ format: 'jwk' });
  const members = THUMBPRINT_MEMBERS[jwk.kty ?? ''] ?? [];
  return Object.fromEntries(members.map((name) => [name, String(jwk[name as keyof typeof jwk])]));
}

/** `{"alg","kid","typ"}` in PyJWT's (sorted) order; without a kid, simplejwt's `{"alg","typ":"JWT"}` exactly. */
function protectedHeaders(algorithm: JwsAlgorithm, kid: string | undefined): (typ: string) => string {
  const encoded = new Map<string, string>();
  return (typ) => {
    let header = encoded.get(typ);
    if (header === undefined) {
      const fields = kid === undefined ? { alg: algorithm, typ } : { alg: algorithm, kid, typ };
      header = Buffer.from(JSON.stringify(fields)).toString('base64url');
      encoded.set(typ, header);
    }
    return header;
  };
}
