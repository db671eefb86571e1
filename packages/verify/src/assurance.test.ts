import { describe, expect, test } from 'vitest';
import { isMultiFactor, isRecentlyAuthenticated, requireAssurance } from './index.js';

const NOW = 1_750_000_000_000;
const seconds = NOW / 1000;

describe('assurance of a verified token', () => {
  test('multi-factor: mfa, or a passkey with user verification', () => {
    expect(isMultiFactor({ amr: ['pwd', 'otp', 'mfa'] })).toBe(true);
    expect(isMultiFactor({ amr: ['hwk', 'user', 'mfa'] })).toBe(true);
    expect(isMultiFactor({ amr: ['hwk', 'user'] })).toBe(true);
    expect(isMultiFactor({ amr: ['swk', 'user'] })).toBe(true);
    expect(isMultiFactor({ amr: ['swk'] })).toBe(false);
    expect(isMultiFactor({ amr: ['pwd'] })).toBe(false);
    expect(isMultiFactor({ amr: ['pwd', 'otp'] })).toBe(false);
    expect(isMultiFactor({})).toBe(false);
    expect(isMultiFactor({ amr: 'mfa' as unknown as string[] })).toBe(false);
  });

  test('recent: auth_time within the window; missing or in the future is not', () => {
    expect(isRecentlyAuthenticated({ auth_time: seconds - 300 }, 300, NOW)).toBe(true);
    expect(isRecentlyAuthenticated({ auth_time: seconds - 301 }, 300, NOW)).toBe(false);
    expect(isRecentlyAuthenticated({}, 300, NOW)).toBe(false);
    expect(isRecentlyAuthenticated({ auth_time: seconds + 30 }, 300, NOW)).toBe(true);
    expect(isRecentlyAuthenticated({ auth_time: seconds + 3600 }, 300, NOW)).toBe(false);
    expect(isRecentlyAuthenticated({ auth_time: Number.NaN }, 300, NOW)).toBe(false);
  });

  test('requireAssurance: one value, the first missing requirement', () => {
    const clock = () => NOW;
    const strong = { amr: ['pwd', 'otp', 'mfa'], auth_time: seconds - 10 };
    expect(requireAssurance(strong, { multiFactor: true, maxAge: 60, clock })).toEqual({ ok: true });
    expect(requireAssurance({ ...strong, amr: ['pwd'] }, { multiFactor: true, maxAge: 60, clock })).toEqual({
      ok: false,
      code: 'mfa_required',
    });
    expect(requireAssurance({ ...strong, auth_time: seconds - 61 }, { maxAge: 60, clock })).toEqual({
      ok: false,
      code: 'reauthentication_required',
    });
    expect(requireAssurance({ amr: ['pwd'] }, {})).toEqual({ ok: true });
  });
});
