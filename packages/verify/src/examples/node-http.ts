import { createServer, type ServerResponse } from 'node:http';
import { readBearer, requirePermission, type Verifier } from '../index.js';

const send = (response: ServerResponse, status: number, body: object) => {
  response.writeHead(status, {
    'content-type': 'application/json',
    ...(status === 401 && { 'www-authenticate': 'Bearer' }),
  });
  response.end(JSON.stringify(body));
};

/** Orders behind Gatehouse: listing them needs `orders:read`, a refund `orders:refund`. */
export function ordersServer(verifier: Verifier) {
  return createServer(async (request, response) => {
    const result = await verifier.verify(readBearer(request.headers.authorization));
    if (!result.ok)
      return send(response, result.code === 'jwks_unavailable' ? 503 : 401, { error: result.code });
    const refund = request.method === 'POST' && request.url?.startsWith('/orders/');
    const allowed = requirePermission(result.claims, refund ? 'orders:refund' : 'orders:read');
    if (!allowed.ok) return send(response, 403, { error: allowed.code });
    send(response, 200, { user: result.claims.username });
  });
}
