import { expect, test } from 'vitest';
import { onCi } from './ci.js';

test('CI is on when set to anything but empty, 0 or false, in any case', () => {
  for (const value of ['true', '1', 'yes', 'TRUE', 'github']) expect(onCi({ CI: value }), value).toBe(true);
  for (const value of [undefined, '', ' ', '0', 'false', 'False'])
    expect(onCi({ CI: value }), String(value)).toBe(false);
});
