import type { Caller } from './caller.js';

/**
 * Whether the caller signed in recently enough for a sensitive change (a new factor, a new email): a
 * stolen access or refresh token alone should not be enough to take the account over for good. A
 * session whose sign-in time is unknown never counts as recent.
 */
export function isRecentlyAuthenticated(caller: Caller, now: Date, windowSeconds: number): boolean {
  if (caller.authTime === undefined) return false;
  const age = Math.floor(now.getTime() / 1000) - caller.authTime;
  return age <= windowSeconds;
}
