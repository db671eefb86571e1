/**
 * PKCE (RFC 7636, S256) for a provider's sign-in that ends in another origin's app: the app keeps the
 * verifier, the server keeps only its challenge, and the single-use code the app gets is exchanged with
 * the verifier. A code from someone else's flow (an attacker's, planted in this page: a login CSRF) then
 * finds no verifier here that matches. Loaded only by `oidcCrossOriginStartUrl`.
 */

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/** A fresh verifier (32 random bytes: 43 characters) and its S256 challenge. */
export async function newPkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return { verifier, challenge: base64url(new Uint8Array(digest)) };
}
