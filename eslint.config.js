import path from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // e2e/fixtures holds other projects' code as they published it: it is tested, never restyled.
  { ignores: ['**/dist/**', '**/node_modules/**', 'data/**', 'coverage/**', 'e2e/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: [
      'packages/server/src/http/**/*.ts',
      'packages/server/src/auth/**/*.ts',
      'packages/server/src/users/**/*.ts',
    ],
    rules: {
      // Only server.ts and the CLI read the environment; everything else receives a Config.
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration from Config.' },
      ],
    },
  },
  {
    files: ['apps/web/src/**/*.{ts,tsx}'],
    plugins: { web: { rules: { layers: webLayersRule() } } },
    rules: { 'web/layers': 'error' },
  },
);

// The web app's layers (bulletproof-react): shared code (components, lib, config, styles) ← features ← app.
function webLayer(file) {
  const relative = path.relative(path.join(import.meta.dirname, 'apps/web/src'), file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  const [top, feature] = relative.split(path.sep);
  if (top === 'app' || top === 'main.tsx') return { rank: 2, name: 'app/' };
  if (top === 'features') return { rank: 1, name: `features/${feature}/`, feature };
  return { rank: 0, name: `${top}/` };
}

/** Imports flow one way (shared → features → app), and a feature never imports another feature. */
function webLayersRule() {
  return {
    meta: {
      type: 'problem',
      schema: [],
      messages: {
        upward: '{{from}} must not import from {{to}}: imports flow shared → features → app.',
        crossFeature: '{{from}} must not import from {{to}}: features are independent; compose them in app/.',
      },
    },
    create(context) {
      const from = webLayer(context.filename);
      if (!from) return {};
      const check = (node) => {
        const specifier = node.source?.value;
        if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
        const to = webLayer(path.resolve(path.dirname(context.filename), specifier));
        if (!to) return;
        const data = { from: from.name, to: to.name };
        if (to.rank > from.rank) context.report({ node: node.source, messageId: 'upward', data });
        else if (from.feature && to.feature && from.feature !== to.feature) {
          context.report({ node: node.source, messageId: 'crossFeature', data });
        }
      };
      return {
        ImportDeclaration: check,
        ExportNamedDeclaration: check,
        ExportAllDeclaration: check,
        ImportExpression: check,
      };
    },
  };
}
