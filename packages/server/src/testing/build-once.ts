import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../..', import.meta.url));

/**
 * Vitest globalSetup of the tests that run the build's output (the process tests spawn
 * packages/server/dist, the e2e suites serve apps/web/dist): `npm run build` once, before any of them
 * starts, so every one reads the sources as they are now and none rebuilds under another's feet.
 * Vitest calls it only when such a test is queued: a run of unit tests does not wait for a build.
 */
export function setup(): void {
  // Vitest sets NODE_ENV=test, which Vite would build with (React's development version, three times the
  // size): the build the tests run is the one `npm run build` makes from a shell.
  const { NODE_ENV: _test, ...env } = process.env;
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, encoding: 'utf8', env });
  if (build.status !== 0) {
    throw new Error(`npm run build failed (exit ${build.status}):\n${build.stdout}\n${build.stderr}`);
  }
}
