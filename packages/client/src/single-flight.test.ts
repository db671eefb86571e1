import { expect, test } from 'vitest';
import { singleFlight } from './single-flight.js';

test('calls while the task runs share its promise; a call after it settles starts it again', async () => {
  let runs = 0;
  const once = singleFlight(async () => {
    runs++;
    await new Promise((resolve) => setTimeout(resolve, 1));
    return runs;
  });
  const results = await Promise.all(Array.from({ length: 50 }, once));
  expect(new Set(results)).toEqual(new Set([1]));
  expect(await once()).toBe(2);
});

test('a failure is shared too, and does not stick', async () => {
  let fail = true;
  const once = singleFlight(async () => {
    if (fail) throw new Error('down');
    return 'ok';
  });
  const results = await Promise.allSettled([once(), once()]);
  expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
  fail = false;
  expect(await once()).toBe('ok');
});
