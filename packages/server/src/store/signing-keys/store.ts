/**
 * A token-signing key. `algorithm` is `HMAC` for a shared secret (used with whichever of HS256/384/512 is
 * configured) or the JWS algorithm of a key pair. The private half is kept sealed (auth/key-encryption.ts).
 */
export interface SigningKeyRecord {
  kid: string;
  algorithm: string;
  /** The public key as a JWK; null for HMAC secrets, which are never published. */
  publicJwk: Record<string, string> | null;
  /** The private key (PKCS#8 PEM) or secret, sealed. */
  privateKey: string;
  status: 'active' | 'retired';
  createdAt: Date;
  retiredAt: Date | null;
}

export type NewSigningKey = Omit<SigningKeyRecord, 'status' | 'retiredAt'>;

export type RetireKeyResult = 'retired' | 'unknown' | 'already_retired' | 'newest';

/** The store slice of signing keys: what may race (first start, retirement) is decided in one statement. */
export interface SigningKeyStore {
  /** Every signing key, retired ones included, newest first. */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /**
   * Adds an active key. With `onlyIfNoneActive`, only when no active key of its algorithm exists (the
   * first start of several instances at once creates one key); false when it did not add it.
   */
  addSigningKey(key: NewSigningKey, options?: { onlyIfNoneActive?: boolean }): Promise<boolean>;
  /** Retires a key, unless it is the newest active key of `protectedAlgorithm` (the one signing). */
  retireSigningKey(kid: string, protectedAlgorithm: string, now: Date): Promise<RetireKeyResult>;
  /** Compare-and-set of a key's sealed private half (to seal it with a new key-encryption key). */
  replaceSigningKeySecret(kid: string, from: string, to: string): Promise<boolean>;
}
