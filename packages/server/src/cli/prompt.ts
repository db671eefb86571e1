import { createInterface } from 'node:readline';
import type { CliIo } from './io.js';

export interface Prompter {
  ask(question: string): Promise<string>;
  /** Input not echoed on a terminal. */
  askSecret(question: string): Promise<string>;
  readonly interactive: boolean;
  close(): void;
}

/**
 * Questions on a terminal, or answers read line by line from piped input (for scripts and tests). Piped
 * input is read whole first, so no answer is lost between two questions.
 */
export async function createPrompter(io: CliIo): Promise<Prompter> {
  if (!io.stdin.isTTY) {
    const lines: string[] = [];
    for await (const line of createInterface({ input: io.stdin, crlfDelay: Infinity })) lines.push(line);
    const next = (question: string) => {
      io.stdout.write(question);
      const answer = lines.shift();
      io.stdout.write('\n');
      return Promise.resolve(answer ?? '');
    };
    return { ask: next, askSecret: next, interactive: false, close: () => undefined };
  }

  let muted = false;
  const rl = createInterface({ input: io.stdin, output: io.stdout, terminal: true });
  // readline echoes typed characters through this method; muting it hides a password as it is typed.
  const internals = rl as unknown as { _writeToOutput: (text: string) => void };
  const write = internals._writeToOutput.bind(rl);
  internals._writeToOutput = (text) => {
    if (!muted || text.includes('\n')) write(muted ? '\n' : text);
  };
  const question = (text: string) => new Promise<string>((resolve) => rl.question(text, resolve));
  return {
    ask: question,
    async askSecret(text) {
      io.stdout.write(text);
      muted = true;
      try {
        return await question('');
      } finally {
        muted = false;
      }
    },
    interactive: true,
    close: () => rl.close(),
  };
}
