import { STATUS_CODES } from './status-codes.js';
import type { Socket } from 'node:net';

/** What Node reports on a connection before any request exists: timeouts, oversized or garbled heads. */
const STATUS_BY_CODE: Record<string, number> = {
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADER_OVERFLOW: 431,
};

/**
 * The answer to a broken connection (a slow client timed out, a 1 MB header, bytes that are not HTTP),
 * in Gatehouse's error shape and with the security headers of every other answer. No route runs, so
 * this writes to the socket itself.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
  const status = STATUS_BY_CODE[error.code ?? ''] ?? 400;
  const body = JSON.stringify({ detail: STATUS_CODES[status] ?? 'Bad Request' });
  socket.end(
    [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Cache-Control: no-store',
      'X-Content-Type-Options: nosniff',
      'X-Frame-Options: DENY',
      "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'",
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}
