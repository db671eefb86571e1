import { randomBytes } from 'node:crypto';
import type { JwtConfig } from '../config.js';
import type { Store } from '../store/store.js';

const SECRET_NAME = 'jwt_signing_key';

/**
 * The configured key, or this database's own: generated once (64 random bytes) and kept, so tokens stay
 * valid across restarts and no two installations share a default secret.
 */
export function resolveSigningKey(jwt: JwtConfig, store: Store, now: Date): Promise<string> {
  if (jwt.signingKey !== undefined) return Promise.resolve(jwt.signingKey);
  return store.getOrCreateSecret(SECRET_NAME, () => randomBytes(64).toString('base64url'), now);
}
