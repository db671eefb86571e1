import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { INITIAL_JS_BUDGET_KB, initialJs } from '../bench/lib/web-size.mjs';

const dist = fileURLToPath(new URL('../apps/web/dist', import.meta.url));

// Issue 20: the login page, the first most visits see, loads at most 90 KB of gzipped JavaScript. The
// other pages are loaded when opened (apps/web/src/app/routes.tsx); `npm run bench` prints the figure.
describe('the web app build', () => {
  it(`loads the login page with at most ${INITIAL_JS_BUDGET_KB} KB of gzipped JavaScript`, () => {
    const initial = initialJs(dist);
    const files = initial.files.map((f) => `${f.file} ${(f.gzipBytes / 1024).toFixed(1)} KB`).join(', ');
    expect(initial.gzipKB, `initial JavaScript: ${files}`).toBeLessThanOrEqual(INITIAL_JS_BUDGET_KB);
  });
});
