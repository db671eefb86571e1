import type { Readable, Writable } from 'node:stream';

/** Everything a command touches outside the database, injectable for tests. */
export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: Writable;
  stderr: Writable;
}

export class UsageError extends Error {}
export class CommandError extends Error {}

export function writeLine(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}
