import { clockSkew, expiresAt, readTimeClaims } from './jwt-expiry.js';

/** The access token, in memory only, and when it is due for a refresh. */
export interface AccessToken {
  get(): string | null;
  /** `fromServer`: just issued, so its `iat` tells the server's clock; a token from another tab does not. */
  set(token: string, fromServer: boolean): void;
  clear(): void;
  /** Not expiring within the leeway (or saying nothing about its expiry). */
  isFresh(token: string): boolean;
  isExpired(token: string): boolean;
  /** Expires no earlier than the one held (or none is held). */
  isAtLeastAsNew(token: string): boolean;
}

export function createAccessToken(now: () => number, leewayMs: number): AccessToken {
  let current: string | null = null;
  let skew = 0;
  const remaining = (token: string) => {
    const at = expiresAt(token, skew);
    return at === undefined ? Infinity : at - now();
  };
  return {
    get: () => current,
    set(token, fromServer) {
      if (fromServer) skew = clockSkew(token, now());
      current = token;
    },
    clear() {
      current = null;
    },
    isFresh: (token) => remaining(token) > leewayMs,
    isExpired: (token) => remaining(token) <= 0,
    isAtLeastAsNew(token) {
      if (current === null) return true;
      return (readTimeClaims(token)?.exp ?? Infinity) >= (readTimeClaims(current)?.exp ?? Infinity);
    },
  };
}
