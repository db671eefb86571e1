// The machine a run came from, and the printed table.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import process from 'node:process';

export function machine() {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) cpuModel = match[1].trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  return {
    nproc: os.availableParallelism(),
    cpuModel,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}

/**
 * @param {number} value
 * @param {number} [digits]
 */
export function fixed(value, digits = 0) {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/**
 * A plain-text table, numbers right-aligned.
 * @param {string[]} header
 * @param {string[][]} rows
 */
export function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (/** @type {string[]} */ cells) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(render)].join('\n');
}

/**
 * The same table in Markdown, for BENCHMARKS.md.
 * @param {string[]} header
 * @param {string[][]} rows
 */
export function markdownTable(header, rows) {
  const line = (/** @type {string[]} */ cells) =>
    `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [
    line(header),
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((row) => line(row.map((c) => c.trim() || ' '))),
  ].join('\n');
}
