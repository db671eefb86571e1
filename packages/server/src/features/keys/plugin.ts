import { JwksResponse } from '@gatehouse/contract';
import type { Feature } from '../../core/core.js';
import { allowOnly } from '../../http/method-not-allowed.js';

/** Where verifiers look by convention, at the root and under /api for proxies that pass /api only. */
export const JWKS_PATHS = ['/.well-known/jwks.json', '/api/.well-known/jwks.json'] as const;
/** Seconds verifiers may cache the keys; a kid they do not know makes them fetch again sooner. */
export const JWKS_MAX_AGE = 300;

/** The public keys that verify Gatehouse's tokens: none under HMAC, whose secrets are never published. */
export const keysFeature: Feature = async (app, { keys }) => {
  for (const url of JWKS_PATHS) {
    app.get(
      url,
      {
        schema: { response: { 200: JwksResponse } },
        // A route's onSend hook runs after the app's, which said no-store: public keys may be cached.
        onSend: async (_request, reply) => {
          if (reply.statusCode === 200) reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE}`);
        },
      },
      async () => ({ keys: await keys.publicKeys() }),
    );
    allowOnly(app, url, ['GET']);
  }
};
