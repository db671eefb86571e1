import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// The dev server proxies the API to a Gatehouse server (npm start) so the SPA and the API share an origin,
// as they do in production where the server serves the built files.
const api = process.env['GATEHOUSE_API'] ?? 'http://127.0.0.1:8000';

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: [
      {
        find: /^@gatehouse\/client\/react$/,
        replacement: source('../../packages/client/src/react/index.ts'),
      },
      { find: /^@gatehouse\/client$/, replacement: source('../../packages/client/src/index.ts') },
    ],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // No preloading of a lazy page's own imports: the helper and its list of every chunk's dependencies
    // weighed on the login page's first download (issue 20, bench/lib/web-size.mjs), for a parallel fetch
    // of a few small chunks when another page is first opened. A lazy page's CSS is still loaded with it.
    modulePreload: false,
  },
  // changeOrigin stays false (the string shorthand would set it): the server's CSRF check in browser mode
  // compares the Origin header with the Host it receives, which must remain the dev server's own.
  server: { proxy: { '/api': { target: api, changeOrigin: false } } },
});
