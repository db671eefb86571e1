import { afterEach, describe, expect, test, vi } from 'vitest';

const setFlagsFromString = vi.hoisted(() => vi.fn<(flags: string) => void>());
vi.mock('node:v8', () => ({ setFlagsFromString }));

const { choosesTiers, holdOptimizingTiers, optimizingTiers } = await import('./startup-tiers.js');

afterEach(() => setFlagsFromString.mockClear());

describe('the optimizing compilers held during start-up', () => {
  test('Maglev as well as TurboFan from V8 12 (Node 22) on; TurboFan alone before', () => {
    expect(optimizingTiers('14.6.202.34-node.40')).toEqual(['maglev', 'turbofan']);
    expect(optimizingTiers('12.4.254.21-node.57')).toEqual(['maglev', 'turbofan']);
    // Node 20's V8 ships Maglev off: it must not be turned on once listening.
    expect(optimizingTiers('11.3.244.8-node.38')).toEqual(['turbofan']);
  });

  test('held, then released once, in that order', () => {
    const release = holdOptimizingTiers([], undefined, '14.6.202.34-node.40');
    expect(setFlagsFromString.mock.calls.map(([flag]) => flag)).toEqual(['--no-maglev', '--no-turbofan']);
    release();
    release();
    expect(setFlagsFromString.mock.calls.map(([flag]) => flag)).toEqual([
      '--no-maglev',
      '--no-turbofan',
      '--maglev',
      '--turbofan',
    ]);
  });

  test.each([
    [['--no-maglev'], ''],
    [['--jitless'], ''],
    [['--max-opt=2'], ''],
    [['--no_turbofan'], ''],
    [['--turbofan'], ''],
    [[], '--enable-source-maps --no-opt'],
    [[], '--jitless'],
  ])('left alone when the process chose its tiers: %j, NODE_OPTIONS=%j', (execArgv, nodeOptions) => {
    expect(choosesTiers(execArgv, nodeOptions)).toBe(true);
    holdOptimizingTiers(execArgv, nodeOptions, '14.6.202.34-node.40')();
    expect(setFlagsFromString).not.toHaveBeenCalled();
  });

  test('other flags do not count as a choice', () => {
    expect(choosesTiers(['--enable-source-maps', '--max-semi-space-size=4', '--trace-opt'], '')).toBe(false);
    expect(choosesTiers([], '--max-old-space-size=256')).toBe(false);
    expect(choosesTiers([])).toBe(false);
  });
});
