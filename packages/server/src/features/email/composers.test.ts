import { expect, test } from 'vitest';
import { formatTime, humanDuration } from './composers.js';

test('humanDuration says how long a link lasts in the largest whole unit, hours up to two days', () => {
  expect([3600, 7200, 86400, 172800, 259200, 604800, 1800, 60, 90, 1, 5400].map(humanDuration)).toEqual([
    '1 hour',
    '2 hours',
    '24 hours',
    '48 hours',
    '3 days',
    '7 days',
    '30 minutes',
    '1 minute',
    '90 seconds',
    '1 second',
    '90 minutes',
  ]);
});

test('formatTime is UTC to the minute', () => {
  expect(formatTime(new Date('2026-12-04T16:29:59.999Z'))).toBe('2026-12-04 16:29 UTC');
});
