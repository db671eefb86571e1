import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import type { Core, Feature } from '../core/core.js';
import { FEATURES } from '../features/features.js';
import { createTestContext } from '../testing/test-app.js';
import { ALWAYS_AVAILABLE, builtInTemplatesDir } from './templates.js';

const README = new URL('../../../../README.md', import.meta.url);

/** The Mail section's table of kinds: each kind's row, its variables (what is in parentheses is an example). */
function readmeKinds(): Map<string, string[]> {
  const readme = readFileSync(README, 'utf8');
  const start = readme.indexOf('\n## Mail\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const kind = /^`([a-z0-9_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (kind === undefined) continue;
    const variables = (cells[3] ?? '').replace(/\([^)]*\)/g, '');
    rows.set(kind, [...variables.matchAll(/`([a-z_]+)`/g)].map((match) => match[1] as string).sort());
  }
  return rows;
}

function templateVariables(kind: string): string[] {
  const names = new Set<string>();
  for (const extension of ['txt', 'html']) {
    const text = readFileSync(path.join(builtInTemplatesDir(), `${kind}.${extension}`), 'utf8');
    for (const match of text.matchAll(/\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/g)) names.add(match[1] as string);
  }
  for (const always of ALWAYS_AVAILABLE) names.delete(always);
  return [...names].sort();
}

test("the README's Mail section lists every kind the app sends, with the variables its templates may use", async () => {
  let core: Core | undefined;
  const capture: Feature = async (_app, given) => {
    core = given;
  };
  const ctx = await createTestContext({}, { features: [...FEATURES, capture] });
  await ctx.app.ready();
  const kinds = core?.mail.kinds().sort() ?? [];
  await ctx.close();

  const documented = readmeKinds();
  expect(kinds).toContain('verify_email');
  expect([...documented.keys()].sort()).toEqual(kinds);
  // A deployer's template may name exactly the variables of the built-in one (templates.ts checks it).
  for (const kind of kinds) expect(documented.get(kind), kind).toEqual(templateVariables(kind));
});
