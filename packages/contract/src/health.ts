import { Type, type Static } from 'typebox';

/** `GET /api/health`: the process answers (the database is not asked). */
export const HealthResponse = Type.Object({ status: Type.Literal('ok') });
export type HealthResponse = Static<typeof HealthResponse>;

/** `GET /api/ready`: the process answers and its database too, so it can serve requests. */
export const ReadyResponse = Type.Object({ status: Type.Literal('ready'), database: Type.Literal('ok') });
export type ReadyResponse = Static<typeof ReadyResponse>;

/** `GET /api/ready` with a 503: a load balancer should send requests elsewhere for now. */
export const NotReadyResponse = Type.Object({
  status: Type.Literal('unavailable'),
  database: Type.Literal('unreachable'),
});
export type NotReadyResponse = Static<typeof NotReadyResponse>;
