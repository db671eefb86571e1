import { setFlagsFromString } from 'node:v8';

/**
 * V8's optimizing compilers held during start-up, run again once the server listens.
 *
 * Start-up runs some code many times (compiling every route's schemas, building the OpenAPI document,
 * the migrations), and from Node 22 on V8 optimizes it with Maglev as well as TurboFan: code that never
 * runs again, and both compilers' own code paged in from the node binary. Held until listening, they
 * optimize only what runs hot while serving: the idle server is 12 MiB smaller on Node 26, 15 MiB on
 * Node 20 (TurboFan alone), with the same CPU per request (BENCHMARKS.md, Session 6). Ignition and
 * Sparkplug, the tiers below, run as always.
 */

/** The compilers to hold on this V8: TurboFan, and Maglev where it is on by default (V8 12, Node 22, on). */
export function optimizingTiers(v8Version: string): string[] {
  const major = Number.parseInt(v8Version, 10);
  return major >= 12 ? ['maglev', 'turbofan'] : ['turbofan'];
}

/**
 * Whether the process was started with flags of its own about V8's tiers (`--no-maglev`, `--jitless`,
 * `--max-opt=…`, on the command line or in NODE_OPTIONS): then they are left as given, not turned back on.
 */
export function choosesTiers(execArgv: readonly string[], nodeOptions = ''): boolean {
  const flags = [...execArgv, ...nodeOptions.split(/\s+/)];
  return flags.some((flag) =>
    /^--(no-)?(maglev|turbofan|opt|jitless|max-opt|sparkplug)(=|$)/.test(flag.replaceAll('_', '-')),
  );
}

/**
 * Holds the optimizing compilers; the function it returns lets them run again. Nothing is held when the
 * process chose its tiers itself.
 */
export function holdOptimizingTiers(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string | undefined = process.env.NODE_OPTIONS,
  v8Version: string = process.versions.v8,
): () => void {
  if (choosesTiers(execArgv, nodeOptions)) return () => {};
  const held = optimizingTiers(v8Version);
  for (const tier of held) setFlagsFromString(`--no-${tier}`);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    for (const tier of held) setFlagsFromString(`--${tier}`);
  };
}
