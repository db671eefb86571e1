import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { build, transformWithOxc, type Plugin } from 'vite';

const FIXTURE = fileURLToPath(new URL('../fixtures/tutorial-a/', import.meta.url));
/** Where the tutorial's code sends every request: its Django server. */
const TUTORIAL_API = 'http://127.0.0.1:8000';

/**
 * Bundles tutorial A's React client (e2e/fixtures/tutorial-a, its code as published) into `outDir`, as
 * create-react-app would: JSX in .js files, the automatic JSX runtime. The one change is the API's
 * address, rewritten at build time so that the files themselves stay the tutorial's.
 */
export async function buildTutorialA(apiOrigin: string, outDir: string): Promise<void> {
  const createReactApp: Plugin = {
    name: 'tutorial-a-as-create-react-app',
    enforce: 'pre',
    async transform(code, id) {
      if (!id.startsWith(FIXTURE) || !id.endsWith('.js')) return undefined;
      const source = code.replaceAll(TUTORIAL_API, apiOrigin);
      const { code: js, map } = await transformWithOxc(source, id, {
        lang: 'jsx',
        jsx: { runtime: 'automatic' },
      });
      return map ? { code: js, map } : { code: js };
    },
  };
  await build({
    root: FIXTURE,
    configFile: false,
    logLevel: 'warn',
    plugins: [createReactApp, react()],
    build: { outDir, emptyOutDir: true },
  });
}
