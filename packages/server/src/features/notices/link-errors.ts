import { EmailChangeMessages } from '@gatehouse/contract';
import { HttpError } from '../../http/errors.js';
import type { RateLimitRule } from '../../http/rate-limit.js';

/** A mailed link's token refused: unknown, used, expired, of another purpose, or about what changed since. */
export const invalidLink = () =>
  new HttpError(400, 'invalid_token', { detail: EmailChangeMessages.invalidLink, code: 'invalid_token' });

/**
 * Per client IP, on the routes that spend a mailed link's token. A token cannot be guessed (256 bits);
 * this keeps a flood of tries from costing the database.
 */
export const LINK_RATE_LIMIT: RateLimitRule = { name: 'mail-link', limit: 30, windowSeconds: 15 * 60 };
