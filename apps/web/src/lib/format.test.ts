import { describe, expect, it } from 'vitest';
import { describeUserAgent, formatRelative, fullName } from './format';

describe('describeUserAgent', () => {
  it.each([
    ['Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox on Linux'],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
      'Safari on macOS',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
      'Edge on Windows',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0 Mobile/15E148 Safari/604.1',
      'Chrome on iOS',
    ],
    ['curl/8.5.0', 'curl'],
    ['', 'Unknown device'],
  ])('%s → %s', (userAgent, expected) => {
    expect(describeUserAgent(userAgent)).toBe(expected);
  });
});

describe('formatRelative', () => {
  it('says how long ago, in the largest whole unit', () => {
    const now = Date.parse('2026-01-10T12:00:00Z');
    expect(formatRelative('2026-01-10T11:59:30Z', now)).toBe('just now');
    expect(formatRelative('2026-01-10T11:55:00Z', now)).toMatch(/5 minutes ago/);
    expect(formatRelative('2026-01-08T12:00:00Z', now)).toMatch(/2 days ago/);
  });
});

describe('fullName', () => {
  it('joins the names, or says there is none', () => {
    expect(fullName({ first_name: 'Sam', last_name: 'Smith' })).toBe('Sam Smith');
    expect(fullName({ first_name: '', last_name: ' ' })).toBeUndefined();
  });
});
