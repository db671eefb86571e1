import { createHmac, hkdfSync, randomBytes, randomInt } from 'node:crypto';
import type { SecretStore } from '../../store/secrets/store.js';
import type { OneTimeTokenRefusal, OneTimeTokenStore } from './store.js';

/**
 * The purposes the core knows, and any a feature adds: a plain string keeps features free to add theirs
 * without editing the core, and the named ones are still offered by the editor. A misspelt purpose fails
 * closed: its hash matches nothing.
 */
export type OneTimeTokenPurpose =
  'email_verification' | 'password_reset' | 'email_change' | 'mfa_challenge' | 'oauth_state' | (string & {});

export type OneTimeTokenData = Record<string, unknown>;

export interface IssueRequest {
  purpose: OneTimeTokenPurpose;
  /** Null before a user exists (OAuth state). */
  userId: number | null;
  ttlSeconds: number;
  data?: OneTimeTokenData;
  maxAttempts?: number;
  /** Void the user's earlier tokens of this purpose first (a new password-reset link). */
  replace?: boolean;
}

export interface IssueCodeRequest {
  purpose: OneTimeTokenPurpose;
  userId: number;
  ttlSeconds: number;
  data?: OneTimeTokenData;
  /** Wrong guesses allowed, the right one included; then the code is dead. */
  maxAttempts?: number;
  digits?: number;
}

export type ConsumeResult =
  | { ok: true; userId: number | null; data: OneTimeTokenData | null }
  | { ok: false; code: OneTimeTokenRefusal }
  | { ok: false; code: 'wrong_code'; attemptsLeft: number };

export interface OneTimeTokens {
  /** A secret for a link or a redirect: 32 random bytes, base64url. */
  issue(request: IssueRequest): Promise<{ token: string; expiresAt: Date }>;
  consume(purpose: OneTimeTokenPurpose, token: string): Promise<ConsumeResult>;
  /**
   * What `consume` would answer, without spending the token: a flow checks the rest of its input first
   * (a new password against the policy), so a refusal of that does not burn the link. It still must
   * `consume` before acting: only that is single use.
   */
  peek(purpose: OneTimeTokenPurpose, token: string): Promise<ConsumeResult>;
  /**
   * A wrong answer to the challenge `token` stands for (a second factor's code): one of its attempts is
   * spent; at `maxAttempts` it is dead. undefined: the token was not live.
   */
  spendAttempt(purpose: OneTimeTokenPurpose, token: string): Promise<{ attemptsLeft: number } | undefined>;
  /** A short numeric code, typed by the user; it replaces the user's earlier code of this purpose. */
  issueCode(request: IssueCodeRequest): Promise<{ code: string; expiresAt: Date }>;
  consumeCode(purpose: OneTimeTokenPurpose, userId: number, code: string): Promise<ConsumeResult>;
  revoke(userId: number, purpose: OneTimeTokenPurpose): Promise<number>;
}

const TOKEN_BYTES = 32;
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;
const PURPOSE_FORMAT = /^[a-z][a-z0-9_.-]*$/;
const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_DIGITS = 6;
/** A drawn secret whose hash is taken already: for 32 bytes never, for a code rarely; draw again. */
const DRAWS = 5;

/**
 * One-time tokens over the store. Only HMAC-SHA-256(key, purpose:secret) is stored: a copy of the
 * database gives no usable token, and a token of one purpose hashes to nothing under another.
 *
 * @example
 * const tokens = createOneTimeTokens({ store, key: await oneTimeTokenKey(store, new Date()), clock });
 * const { token } = await tokens.issue({ purpose: 'password_reset', userId, ttlSeconds: 3600, replace: true });
 * const result = await tokens.consume('password_reset', token);
 */
export function createOneTimeTokens({
  store,
  key,
  clock,
}: {
  store: OneTimeTokenStore;
  key: Buffer;
  clock: () => Date;
}): OneTimeTokens {
  if (key.length < 32) throw new Error('one-time tokens: the key must be at least 32 bytes');
  const hash = (purpose: string, secret: string) =>
    createHmac('sha256', key)
      .update(`${checkPurpose(purpose)}:${secret}`)
      .digest('base64url');
  // A code is hashed with its user, so equal codes of two users do not collide on the unique hash; and
  // a code's input has a second ':', which no link token (base64url) can produce.
  const codeHash = (purpose: string, userId: number, code: string) => hash(purpose, `${userId}:${code}`);

  async function insert(
    request: { purpose: string; userId: number | null; ttlSeconds: number; data?: OneTimeTokenData },
    maxAttempts: number,
    draw: () => { secret: string; tokenHash: string },
  ) {
    const now = clock();
    const expiresAt = new Date(now.getTime() + request.ttlSeconds * 1000);
    for (let attempt = 0; attempt < DRAWS; attempt++) {
      const { secret, tokenHash } = draw();
      const inserted = await store.insertOneTimeToken({
        purpose: request.purpose,
        userId: request.userId,
        tokenHash,
        data: request.data ?? null,
        createdAt: now,
        expiresAt,
        maxAttempts,
      });
      if (inserted) return { secret, expiresAt };
    }
    throw new Error(`one-time tokens: no free ${request.purpose} secret in ${DRAWS} draws`);
  }

  return {
    async issue(request) {
      if (request.replace && request.userId !== null) {
        await store.revokeOneTimeTokens(request.userId, request.purpose);
      }
      const { secret, expiresAt } = await insert(request, request.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, () => {
        const token = randomBytes(TOKEN_BYTES).toString('base64url');
        return { secret: token, tokenHash: hash(request.purpose, token) };
      });
      return { token: secret, expiresAt };
    },

    async consume(purpose, token) {
      // Anything but a token's shape (a code's `user:digits` above all) is refused before it is hashed.
      if (!TOKEN_FORMAT.test(token)) return { ok: false, code: 'unknown' };
      return toResult(await store.consumeOneTimeToken(purpose, hash(purpose, token), clock()));
    },

    async peek(purpose, token) {
      if (!TOKEN_FORMAT.test(token)) return { ok: false, code: 'unknown' };
      return toResult(await store.findOneTimeToken(purpose, hash(purpose, token), clock()));
    },

    async spendAttempt(purpose, token) {
      if (!TOKEN_FORMAT.test(token)) return undefined;
      return store.spendOneTimeTokenAttempt(purpose, hash(purpose, token), clock());
    },

    async issueCode(request) {
      const digits = request.digits ?? DEFAULT_DIGITS;
      // Codes are looked up by user and purpose: only the newest may be live.
      await store.revokeOneTimeTokens(request.userId, request.purpose);
      const { secret, expiresAt } = await insert(request, request.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, () => {
        const code = randomInt(10 ** digits)
          .toString()
          .padStart(digits, '0');
        return { secret: code, tokenHash: codeHash(request.purpose, request.userId, code) };
      });
      return { code: secret, expiresAt };
    },

    async consumeCode(purpose, userId, code) {
      const guess = /^[0-9]{1,12}$/.test(code) ? code : '';
      // A malformed guess still spends an attempt; it matches no hash.
      const result = await store.recordOneTimeTokenAttempt(
        purpose,
        userId,
        codeHash(purpose, userId, guess),
        clock(),
      );
      if (!result.ok && result.reason === 'wrong_secret') {
        return { ok: false, code: 'wrong_code', attemptsLeft: result.attemptsLeft };
      }
      return toResult(result);
    },

    revoke: (userId, purpose) => store.revokeOneTimeTokens(userId, purpose),
  };
}

/**
 * The key one-time tokens are hashed with, the same on every instance: derived from the key-encryption
 * key when one is configured, otherwise 32 random bytes made on first use and kept in the store's
 * secrets.
 */
export async function oneTimeTokenKey(
  store: SecretStore,
  now: Date,
  keyEncryptionKey?: Buffer,
): Promise<Buffer> {
  // With a key-encryption key, the HMAC key is derived from it and never written anywhere: a database
  // dump alone then cannot mint or check a one-time token.
  if (keyEncryptionKey !== undefined) {
    return Buffer.from(
      hkdfSync('sha256', keyEncryptionKey, Buffer.alloc(0), 'gatehouse one-time tokens', 32),
    );
  }
  const value = await store.getOrCreateSecret(
    'one_time_token_key',
    () => randomBytes(32).toString('base64url'),
    now,
  );
  return Buffer.from(value, 'base64url');
}

type StoreResult = Awaited<ReturnType<OneTimeTokenStore['consumeOneTimeToken']>>;

function toResult(result: StoreResult): ConsumeResult {
  if (!result.ok) return { ok: false, code: result.reason };
  return { ok: true, userId: result.token.userId, data: result.token.data };
}

/** ':' separates the purpose from the secret in the hashed input, so a purpose never holds one. */
function checkPurpose(purpose: string): string {
  if (!PURPOSE_FORMAT.test(purpose))
    throw new Error(`one-time tokens: invalid purpose ${JSON.stringify(purpose)}`);
  return purpose;
}
