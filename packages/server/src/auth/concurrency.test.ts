import { expect, test } from 'vitest';
import { limitConcurrency, Overloaded } from './concurrency.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('runs at most `limit` tasks at once, the rest in arrival order, and survives failures', async () => {
  const limit = limitConcurrency(2);
  const gates = [deferred(), deferred(), deferred(), deferred()];
  const started: number[] = [];
  let active = 0;
  let peak = 0;
  const results = gates.map((gate, i) =>
    limit(async () => {
      started.push(i);
      active += 1;
      peak = Math.max(peak, active);
      await gate.promise;
      active -= 1;
      if (i === 1) throw new Error('task 1 failed');
      return i;
    }),
  );
  await new Promise((r) => setImmediate(r));
  expect(started).toEqual([0, 1]);
  gates[1]?.resolve();
  await expect(results[1]).rejects.toThrow('task 1 failed');
  await new Promise((r) => setImmediate(r));
  expect(started).toEqual([0, 1, 2]);
  for (const gate of gates) gate.resolve();
  expect(await Promise.all([results[0], results[2], results[3]])).toEqual([0, 2, 3]);
  expect(started).toEqual([0, 1, 2, 3]);
  expect(peak).toBe(2);
});

test('beyond `maxWaiting` waiting tasks, a task is refused with Overloaded at once', async () => {
  const limit = limitConcurrency(1, 2);
  const gate = deferred();
  const running = limit(() => gate.promise);
  const queued = [limit(async () => 'a'), limit(async () => 'b')];
  await expect(limit(async () => 'c')).rejects.toBeInstanceOf(Overloaded);
  gate.resolve();
  await running;
  expect(await Promise.all(queued)).toEqual(['a', 'b']);
  // Room again once the queue drained.
  expect(await limit(async () => 'd')).toBe('d');
});
