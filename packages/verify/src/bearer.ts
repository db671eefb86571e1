/**
 * The token of an `Authorization: Bearer <token>` header (the scheme in any case, RFC 9110 §11.1), or
 * undefined: no header, another scheme, or not exactly two parts.
 *
 * @example
 * const result = await verifier.verify(readBearer(request.headers.authorization));
 */
export function readBearer(header: string | readonly string[] | null | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string') return undefined;
  const parts = value.trim().split(/[ \t]+/);
  if (parts.length !== 2 || parts[0]?.toLowerCase() !== 'bearer') return undefined;
  return parts[1];
}
