// The web app's initial JavaScript: what a browser downloads before it can show the first page (login).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** The budget of the login page's JavaScript, gzipped (issue 20); KB here are 1,024 bytes. */
export const INITIAL_JS_BUDGET_KB = 90;

/**
 * The entry script of apps/web/dist/index.html and the modules it preloads (its static imports), each
 * gzipped at level 9: the chunks loaded on demand (every page but login) do not count.
 * @param {string} dist the web app's build output, apps/web/dist
 * @returns {{ files: { file: string, bytes: number, gzipBytes: number }[], bytes: number, gzipBytes: number, gzipKB: number }}
 */
export function initialJs(dist) {
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const urls = [
    ...[...html.matchAll(/<script\b[^>]*\btype="module"[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]),
    ...[...html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*\bhref="([^"]+)"/g)].map((m) => m[1]),
  ];
  if (urls.length === 0) throw new Error(`${dist}/index.html loads no module script`);
  const files = [...new Set(urls)].map((url) => {
    const code = readFileSync(path.join(dist, url.replace(/^\//, '')));
    return { file: url, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
  });
  const sum = (/** @type {'bytes' | 'gzipBytes'} */ key) => files.reduce((n, f) => n + f[key], 0);
  const gzipBytes = sum('gzipBytes');
  return { files, bytes: sum('bytes'), gzipBytes, gzipKB: gzipBytes / 1024 };
}
