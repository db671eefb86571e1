// The load generator: autocannon in this process against a server in another one (2 cores: never share
// one event loop with the server under test). Latencies are kept exactly (autocannon's own histogram has
// 1 ms resolution, too coarse for sub-millisecond answers).
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { HOST } from './processes.mjs';

/**
 * @typedef {object} LoadSpec
 * @property {number} port
 * @property {string} path
 * @property {'GET' | 'POST'} [method]
 * @property {Record<string, string>} [headers]
 * @property {string} [body]                        a fixed body
 * @property {() => string} [nextBody]              a fresh body per request (e.g. a refresh token never used before)
 * @property {number} connections
 * @property {number} seconds
 * @property {number} [overallRate]                 requests per second over all connections (open-loop)
 */

/**
 * @typedef {object} LoadResult
 * @property {number} seconds      measured wall time
 * @property {number} ok           2xx answers
 * @property {number} rps          2xx answers per second
 * @property {number} non2xx
 * @property {Record<string, number>} statusCodes
 * @property {number} errors       connection errors and timeouts (10 s)
 * @property {{ mean: number, p50: number, p90: number, p99: number, max: number }} latencyMs  of the 2xx answers
 */

/**
 * @param {LoadSpec} spec
 * @returns {Promise<LoadResult>}
 */
export async function runLoad(spec) {
  return summarize([await drive(spec)]);
}

/**
 * The same load spread over several servers, as behind a load balancer that assigns connections: the
 * connections shared out between the ports (10 over 2: 5 each), one autocannon per port, all at once in
 * this process, each for the same duration; 2xx answers summed over the longest wall time, latencies
 * merged before the percentiles are taken. Also what each server answered.
 * @param {number[]} ports
 * @param {Omit<LoadSpec, 'port'>} spec
 * @returns {Promise<LoadResult & { instances: { port: number, connections: number, ok: number, rps: number }[] }>}
 */
export async function runSpreadLoad(ports, spec) {
  if (spec.connections < ports.length)
    throw new Error(`${spec.connections} connections cannot reach ${ports.length} servers`);
  const shares = ports.map(
    (_, i) => Math.floor(spec.connections / ports.length) + (i < spec.connections % ports.length ? 1 : 0),
  );
  const parts = await Promise.all(
    ports.map((port, i) => drive({ ...spec, port, connections: shares[i] ?? 0 })),
  );
  return {
    ...summarize(parts),
    instances: parts.map((part, i) => ({
      port: ports[i] ?? 0,
      connections: shares[i] ?? 0,
      ok: part.latencies.length,
      rps: part.latencies.length / part.seconds,
    })),
  };
}

/**
 * One autocannon run: what it answered, every 2xx latency kept.
 * @param {LoadSpec} spec
 */
async function drive(spec) {
  const method = spec.method ?? 'GET';
  const headers = {
    ...(spec.body !== undefined || spec.nextBody ? { 'content-type': 'application/json' } : {}),
    ...spec.headers,
  };
  /** @type {import('autocannon').Request} */
  const request = { method, path: spec.path, headers, ...(spec.body !== undefined && { body: spec.body }) };
  const nextBody = spec.nextBody;
  if (nextBody) {
    request.setupRequest = (req) => ({ ...req, body: nextBody() });
  }

  /** @type {number[]} */
  const latencies = [];
  /** @type {Record<string, number>} */
  const statusCodes = {};
  const started = performance.now();
  const instance = autocannon({
    url: `http://${HOST}:${spec.port}`,
    connections: spec.connections,
    pipelining: 1,
    duration: spec.seconds,
    timeout: 10,
    requests: [request],
    ...(spec.overallRate !== undefined && { overallRate: spec.overallRate }),
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await instance;
  return {
    seconds: (performance.now() - started) / 1000,
    latencies,
    non2xx: result.non2xx,
    statusCodes,
    errors: result.errors, // timeouts included
  };
}

/**
 * One result from one or more runs at once: exact percentiles of all their 2xx latencies.
 * @param {Awaited<ReturnType<typeof drive>>[]} parts
 * @returns {LoadResult}
 */
function summarize(parts) {
  const latencies = parts.flatMap((part) => part.latencies).sort((a, b) => a - b);
  const seconds = Math.max(...parts.map((part) => part.seconds));
  /** @type {Record<string, number>} */
  const statusCodes = {};
  for (const part of parts) {
    for (const [code, count] of Object.entries(part.statusCodes))
      statusCodes[code] = (statusCodes[code] ?? 0) + count;
  }
  const at = (/** @type {number} */ q) =>
    latencies.length === 0
      ? NaN
      : latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)];
  const sum = latencies.reduce((a, b) => a + b, 0);
  return {
    seconds,
    ok: latencies.length,
    rps: latencies.length / seconds,
    non2xx: parts.reduce((n, part) => n + part.non2xx, 0),
    statusCodes,
    errors: parts.reduce((n, part) => n + part.errors, 0),
    latencyMs: {
      mean: latencies.length === 0 ? NaN : sum / latencies.length,
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      max: latencies.length === 0 ? NaN : latencies[latencies.length - 1],
    },
  };
}
