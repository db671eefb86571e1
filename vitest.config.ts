import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the sources of the workspace packages, not their build output.
    alias: [
      { find: '@gatehouse/contract', replacement: source('./packages/contract/src/index.ts') },
      { find: /^@gatehouse\/client\/react$/, replacement: source('./packages/client/src/react/index.ts') },
      { find: /^@gatehouse\/client$/, replacement: source('./packages/client/src/index.ts') },
      { find: /^@gatehouse\/verify$/, replacement: source('./packages/verify/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.{ts,tsx}', 'apps/*/src/**/*.test.{ts,tsx}', 'e2e/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
