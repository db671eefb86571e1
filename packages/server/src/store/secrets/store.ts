/** The store slice of named server secrets (a signing key made on first start, the one-time-token key). */
export interface SecretStore {
  /** The named secret, created by `create` on first use; concurrent first uses agree on one value. */
  getOrCreateSecret(name: string, create: () => string, now: Date): Promise<string>;
}
