import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests that run the build's output: the process tests spawn packages/server/dist, the e2e suites serve
// apps/web/dist. Their project builds once before they start (testing/build-once.ts).
const runsTheBuild = ['packages/server/src/**/*.process.test.ts', 'e2e/**/*.test.ts'];
// The README's `npm install && npm start`, run as written: `npm start` rebuilds dist/ (and empties
// apps/web/dist on the way), so it runs alone, after every other test file has finished.
const readme = 'packages/server/src/readme.process.test.ts';

export default defineConfig({
  plugins: [
    {
      // Vitest hands `--exclude` to the root config only, not to inline projects: pass it on, so that
      // `vitest run --exclude '**/*.process.test.ts'` (CI's PostgreSQL pass) excludes in every project.
      name: 'gatehouse:cli-exclude-in-every-project',
      configureVitest({ vitest, project }) {
        for (const glob of vitest.config.cliExclude ?? []) {
          if (!project.config.exclude.includes(glob)) project.config.exclude.push(glob);
        }
      },
    },
  ],
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
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.{ts,tsx}', 'apps/*/src/**/*.test.{ts,tsx}'],
          exclude: [...configDefaults.exclude, ...runsTheBuild],
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'built',
          include: runsTheBuild,
          exclude: [...configDefaults.exclude, readme],
          globalSetup: ['./packages/server/src/testing/build-once.ts'],
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        // Not 1 after the default 0: Vitest 5 runs the files of group 0 last when it has one worker (a
        // 2-CPU machine), so the other projects say 1 and this one 2.
        test: { name: 'readme', include: [readme], sequence: { groupOrder: 2 } },
      },
    ],
  },
});
