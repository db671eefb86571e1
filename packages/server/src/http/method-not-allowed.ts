import type { FastifyInstance } from 'fastify';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
type Method = (typeof METHODS)[number];

/**
 * DRF answers a known path with the wrong method 405 and an `Allow` header (Fastify would say 404).
 * Call once per path with the methods its routes handle.
 */
export function allowOnly(app: FastifyInstance, url: string, allowed: readonly Method[]): void {
  const allow = [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');
  app.route({
    method: METHODS.filter((method) => !allowed.includes(method)),
    url,
    handler: async (request, reply) =>
      reply
        .code(405)
        .header('allow', allow)
        .send({ detail: `Method "${request.method}" not allowed.` }),
  });
  // A plain OPTIONS (CORS preflights are answered before routing) says what the path allows.
  app.route({
    method: 'OPTIONS',
    url,
    handler: async (_request, reply) => reply.code(204).header('allow', allow).send(),
  });
}
