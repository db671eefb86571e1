import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import config from '../../../../vitest.config.js';

// The suite's order, held to the files: whatever spawns or serves the build's output runs in the project
// that builds once first, and the README's `npm start` (which rebuilds) runs after all of them.
const root = fileURLToPath(new URL('../../../..', import.meta.url));
const projects = (config.test?.projects ?? []).flatMap((p) =>
  typeof p === 'object' && 'test' in p ? [p.test ?? {}] : [],
);

function testFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.test\.tsx?$/.test(entry.name))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .filter((file) => !file.includes('node_modules') && !file.includes('/fixtures/'));
}

function matches(glob: string, file: string): boolean {
  const pattern = glob
    .split(/(\*\*\/|\*|\{[^}]*\})/)
    .map((part) => {
      if (part === '**/') return '(?:.*/)?';
      if (part === '*') return '[^/]*';
      if (part.startsWith('{')) return `(?:${part.slice(1, -1).split(',').join('|')})`;
      return part.replace(/[.+?^$()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${pattern}$`).test(file);
}

function projectOf(file: string) {
  const owners = projects.filter(
    (p) =>
      (p.include ?? []).some((g) => matches(g, file)) && !(p.exclude ?? []).some((g) => matches(g, file)),
  );
  expect(
    owners.map((p) => p.name),
    file,
  ).toHaveLength(1);
  const [owner] = owners;
  if (!owner) throw new Error(`${file} is in no project`);
  return owner;
}

const readsTheBuild = /server-process\.js|support\/gatehouse\.js|\bdist\/(?:server|cli)/;

test('every test file that runs the built server, CLI or web app is in the project that builds first', () => {
  const files = [...testFiles('packages'), ...testFiles('apps'), ...testFiles('e2e')];
  const builders = files.filter((file) => readsTheBuild.test(readFileSync(path.join(root, file), 'utf8')));
  expect(builders.length).toBeGreaterThan(5);
  for (const file of builders) {
    const project = projectOf(file);
    if (file.endsWith('readme.process.test.ts')) continue;
    expect(project.globalSetup, file).toEqual(['./packages/server/src/testing/build-once.ts']);
  }
  for (const file of files) projectOf(file);
});

test('the README test, whose `npm start` rebuilds dist/, runs alone after every other project', () => {
  const readme = projectOf('packages/server/src/readme.process.test.ts');
  const others = projects.filter((p) => p !== readme);
  expect(others.length).toBeGreaterThan(0);
  for (const other of others) {
    expect(readme.sequence?.groupOrder ?? 0).toBeGreaterThan(other.sequence?.groupOrder ?? 0);
  }
});
