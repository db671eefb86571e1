interface TimeClaims {
  exp: number;
  iat: number | undefined;
}

/** `exp` and `iat` (seconds) from a JWT's payload, read without verification: only the server verifies. */
export function readTimeClaims(token: string): TimeClaims | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(decodeBase64Url(payload));
    if (typeof claims !== 'object' || claims === null) return undefined;
    const { exp, iat } = claims as Record<string, unknown>;
    if (typeof exp !== 'number') return undefined;
    return { exp, iat: typeof iat === 'number' ? iat : undefined };
  } catch {
    return undefined;
  }
}

/**
 * The server's clock minus ours (ms), estimated from a token the server has just issued. Expiry is then
 * judged on the server's clock, so a device whose clock is minutes off neither refreshes on every request
 * nor lets its tokens lapse.
 */
export function clockSkew(token: string, receivedAt: number): number {
  const iat = readTimeClaims(token)?.iat;
  return iat === undefined ? 0 : iat * 1000 - receivedAt;
}

/** When the token expires, on our clock (ms); undefined when it says nothing about it. */
export function expiresAt(token: string, skew: number): number | undefined {
  const claims = readTimeClaims(token);
  return claims === undefined ? undefined : claims.exp * 1000 - skew;
}

function decodeBase64Url(segment: string): string {
  const base64 = segment
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(segment.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
