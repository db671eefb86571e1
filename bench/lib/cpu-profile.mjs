// Where the server's time goes: a summary of a V8 .cpuprofile (written by `node --cpu-prof`), self time
// by package / Gatehouse file and by function.
import { readFileSync } from 'node:fs';

/**
 * @param {string} url
 * @param {string} functionName
 */
function place(url, functionName) {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1];
  const ours = /packages\/([^/]+)\/dist\/(.+)$/.exec(url);
  if (ours) return `gatehouse ${ours[1]}/${ours[2]}`;
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

/**
 * @param {string} file  a .cpuprofile
 * @param {number} [top]
 */
export function summarizeProfile(file, top = 25) {
  /** @type {{ nodes: { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }[], samples: number[], timeDeltas: number[] }} */
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  /** @type {Map<number, number>} */
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i + 1] is the time until the next sample: the time spent where sample i was taken.
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + delta);
  }
  /** @type {Map<string, number>} */
  const byPlace = new Map();
  /** @type {Map<string, number>} */
  const byFunction = new Map();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    busy += us;
    const where = place(url, functionName);
    byPlace.set(where, (byPlace.get(where) ?? 0) + us);
    const name = `${functionName || '(anonymous)'}  ${where}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  }
  const ranked = (/** @type {Map<string, number>} */ map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: busy === 0 ? 0 : us / busy }));
  return { busyMs: busy / 1000, byPlace: ranked(byPlace), byFunction: ranked(byFunction) };
}

/**
 * @param {ReturnType<typeof summarizeProfile>} summary
 */
export function formatProfile(summary) {
  const line = (/** @type {{ name: string, ms: number, share: number }} */ row) =>
    `  ${(row.share * 100).toFixed(1).padStart(5)}%  ${row.ms.toFixed(0).padStart(7)} ms  ${row.name}`;
  return [
    `busy (non-idle) CPU on the main thread: ${summary.busyMs.toFixed(0)} ms`,
    'self time by package / Gatehouse file:',
    ...summary.byPlace.map(line),
    'self time by function:',
    ...summary.byFunction.map(line),
  ].join('\n');
}
