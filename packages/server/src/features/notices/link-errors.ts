import { EmailChangeMessages } from '@gatehouse/contract';
import { HttpError } from '../../http/errors.js';
import { RATE_LIMITS, type RateLimitRule } from '../../http/rate-limit.js';

/** A mailed link's token refused: unknown, used, expired, of another purpose, or about what changed since. */
export const invalidLink = () =>
  new HttpError(400, 'invalid_token', { detail: EmailChangeMessages.invalidLink, code: 'invalid_token' });

/**
 * Per client IP, on the routes that spend a mailed link's token (GATEHOUSE_RATE_LIMIT_LINK, one window
 * with the verification and reset links). A token cannot be guessed (256 bits); this keeps a flood of
 * tries from costing the database.
 */
export const LINK_RATE_LIMIT: RateLimitRule = RATE_LIMITS.link;
