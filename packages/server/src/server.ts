import { setFlagsFromString } from 'node:v8';
import type * as Serve from './serve.js';
import { holdOptimizingTiers } from './startup-tiers.js';

/**
 * The server's entry: `node packages/server/dist/server.js`.
 *
 * Start-up (loading the modules, compiling every route's schemas) allocates fast, and V8 answers by growing
 * the young generation to its largest (2 × 16 MiB), which an idle server then keeps: a third of its
 * resident memory. Its growth is held here, before anything else runs, and allowed again once the server
 * listens (serve.ts), so that it grows under load, where it pays. V8's optimizing compilers are held the
 * same way, until listening (startup-tiers.ts).
 */
setFlagsFromString('--semi-space-growth-factor=1');
const releaseOptimizingTiers = holdOptimizingTiers();

// The server as one file (rolldown.config.mjs), imported only now: a static import would run before the
// lines above. The URL keeps tsc from looking for a file that only the bundler writes.
const bundle = new URL('./serve.bundle.js', import.meta.url).href;
const { serve, failedToStart } = (await import(bundle)) as typeof Serve;
serve().then(releaseOptimizingTiers, failedToStart);
