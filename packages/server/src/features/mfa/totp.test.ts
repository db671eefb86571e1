import { describe, expect, test } from 'vitest';
import { newRecoveryCodes, normalizeRecoveryCode, recoveryCodeHasher } from './recovery-codes.js';
import { base32, matchingStep, otpauthUri, timeStep, totpCode } from './totp.js';

/** RFC 6238 Appendix B: the SHA-1 seed, and the 8-digit codes at each time. */
const SEED = Buffer.from('12345678901234567890', 'ascii');
const VECTORS: [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];
const at = (seconds: number) => new Date(seconds * 1000);

describe('TOTP (RFC 6238)', () => {
  test.each(VECTORS)('Appendix B, SHA-1: at %i the code is %s', (time, code) => {
    expect(totpCode(SEED, timeStep(at(time)), 8)).toBe(code);
    // The six-digit code the app shows is the same number's last six digits.
    expect(totpCode(SEED, timeStep(at(time)))).toBe(code.slice(2));
  });

  test('a code is accepted one step either side of the clock, not two', () => {
    const now = at(1111111111);
    const step = timeStep(now);
    expect(matchingStep(SEED, totpCode(SEED, step), now)).toBe(step);
    expect(matchingStep(SEED, totpCode(SEED, step - 1), now)).toBe(step - 1);
    expect(matchingStep(SEED, totpCode(SEED, step + 1), now)).toBe(step + 1);
    expect(matchingStep(SEED, totpCode(SEED, step - 2), now)).toBeUndefined();
    expect(matchingStep(SEED, totpCode(SEED, step + 2), now)).toBeUndefined();
  });

  test('only six digits are a code', () => {
    const now = at(59);
    const code = totpCode(SEED, timeStep(now));
    for (const bad of [code.slice(1), `${code}0`, ` ${code}`, '', 'abcdef', '９４２８７０'])
      expect(matchingStep(SEED, bad, now), bad).toBeUndefined();
  });

  test('base32 is RFC 4648 without padding', () => {
    expect(base32(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(base32(Buffer.from('f'))).toBe('MY');
    expect(base32(SEED)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });

  test('the otpauth URI: issuer and account percent-encoded, SHA-1, 6 digits, 30 s', () => {
    expect(otpauthUri('My Site', 'ann+mfa@example.com', SEED)).toBe(
      'otpauth://totp/My%20Site:ann%2Bmfa%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' +
        '&issuer=My%20Site&algorithm=SHA1&digits=6&period=30',
    );
  });
});

describe('recovery codes', () => {
  test('ten codes, xxxxx-xxxxx in base32, all different', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
  });

  test('typed in any case, with or without the dash', () => {
    expect(normalizeRecoveryCode('ABCDE-fgh23')).toBe('abcdefgh23');
    expect(normalizeRecoveryCode('abcdefgh23')).toBe('abcdefgh23');
    expect(normalizeRecoveryCode(' abcde fgh23 ')).toBe('abcdefgh23');
    for (const bad of ['abcde-fgh2', 'abcde-fgh231', 'abcde-fgh01', '', 'x'.repeat(1000)])
      expect(normalizeRecoveryCode(bad), bad).toBeUndefined();
  });

  test('hashed with a key, per user', () => {
    const hash = recoveryCodeHasher(Buffer.alloc(32, 1));
    expect(hash(1, 'abcdefgh23')).toBe(hash(1, 'abcdefgh23'));
    expect(hash(1, 'abcdefgh23')).not.toBe(hash(2, 'abcdefgh23'));
    expect(recoveryCodeHasher(Buffer.alloc(32, 2))(1, 'abcdefgh23')).not.toBe(hash(1, 'abcdefgh23'));
  });
});
