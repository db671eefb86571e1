import { setFlagsFromString } from 'node:v8';
import type * as Serve from './serve.js';

/**
 * The server's entry: `node packages/server/dist/server.js`.
 *
 * Start-up (loading the modules, compiling every route's schemas) allocates fast, and V8 answers by growing
 * the young generation to its largest (2 × 16 MiB), which an idle server then keeps: a third of its
 * resident memory. Its growth is held here, before anything else runs, and allowed again once the server
 * listens (serve.ts), so that it grows under load, where it pays.
 */
setFlagsFromString('--semi-space-growth-factor=1');

// The server as one file (rolldown.config.mjs), imported only now: a static import would run before the
// line above. The URL keeps tsc from looking for a file that only the bundler writes.
const bundle = new URL('./serve.bundle.js', import.meta.url).href;
const { serve, failedToStart } = (await import(bundle)) as typeof Serve;
serve().catch(failedToStart);
