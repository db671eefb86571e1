/**
 * Node's reason phrases (`http.STATUS_CODES`), taken from `node:http` as CommonJS.
 *
 * An ES `import … from 'node:http'`, even of one name, makes Node build the module's ES namespace, which
 * reads every export, lazy ones included: since Node 22 `http.WebSocket`, `CloseEvent` and `MessageEvent`
 * are getters that load undici, and with it web streams and zlib, none of which the server uses. On
 * Node 26 the idle server was 4 MiB larger for it (nodejs/node#59686; BENCHMARKS.md, Session 6).
 * `process.getBuiltinModule` returns the module's exports and reads none of them.
 */
export const STATUS_CODES: Readonly<Record<number | string, string | undefined>> =
  process.getBuiltinModule('node:http').STATUS_CODES;
