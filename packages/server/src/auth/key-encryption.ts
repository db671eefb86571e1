import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * How a signing key's private half is kept in the database:
 * `aes-256-gcm:<kek id>:<iv>:<ciphertext>:<tag>` (base64url parts), sealed with the key-encryption key
 * (GATEHOUSE_KEY_ENCRYPTION_KEY) and bound to its row's kid and algorithm, or `plaintext:<base64url>` for
 * an HMAC secret kept without one (as Gatehouse did before keys had their own table).
 */
const SEALED = 'aes-256-gcm';
const PLAIN = 'plaintext';

export type OpenResult =
  { ok: true; secret: Buffer } | { ok: false; reason: 'no_kek' | 'other_kek' | 'damaged'; kekId?: string };

/** A short, non-secret name for a key-encryption key, so a wrong one is told apart from damaged data. */
export function kekId(kek: Buffer): string {
  return createHmac('sha256', kek).update('gatehouse key-encryption key id').digest('base64url').slice(0, 11);
}

/** Seals `secret` with `kek`, or stores it plainly when there is no key-encryption key. */
export function seal(secret: Buffer, kek: Buffer | undefined, context: string): string {
  if (kek === undefined) return `${PLAIN}:${secret.toString('base64url')}`;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(Buffer.from(context));
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  return [SEALED, kekId(kek), iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join(':');
}

export function isSealed(stored: string): boolean {
  return stored.startsWith(`${SEALED}:`);
}

/** `context` must be the one it was sealed with: a sealed value copied into another row does not open. */
export function open(stored: string, kek: Buffer | undefined, context: string): OpenResult {
  const [scheme, ...parts] = stored.split(':');
  if (scheme === PLAIN && parts.length === 1)
    return { ok: true, secret: Buffer.from(parts[0] ?? '', 'base64url') };
  if (scheme !== SEALED || parts.length !== 4) return { ok: false, reason: 'damaged' };
  const [id, iv, ciphertext, tag] = parts as [string, string, string, string];
  if (kek === undefined) return { ok: false, reason: 'no_kek', kekId: id };
  if (id !== kekId(kek)) return { ok: false, reason: 'other_kek', kekId: id };
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(iv, 'base64url'), {
      authTagLength: 16,
    });
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return {
      ok: true,
      secret: Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]),
    };
  } catch {
    return { ok: false, reason: 'damaged' };
  }
}
