import { expect, test } from 'vitest';
import { clockSkew, expiresAt, readTimeClaims } from './jwt-expiry.js';

const token = (claims: object) =>
  ['{"alg":"HS256"}', JSON.stringify(claims), 'sig']
    .map((part) => Buffer.from(part).toString('base64url'))
    .join('.');

test('reads exp and iat from a base64url payload, unicode claims included', () => {
  expect(readTimeClaims(token({ exp: 1700000300, iat: 1700000000, username: 'Zoë ✓ ??>>' }))).toEqual({
    exp: 1700000300,
    iat: 1700000000,
  });
  expect(readTimeClaims(token({ exp: 5 }))).toEqual({ exp: 5, iat: undefined });
});

test('anything else is no expiry, not an exception', () => {
  for (const bad of ['', 'abc', 'a.b.c', 'a.!!!.c', token({}), token({ exp: '5' }), token([1])]) {
    expect(readTimeClaims(bad)).toBeUndefined();
  }
});

test('expiry on the local clock: the skew from a fresh token’s iat is taken off', () => {
  const fresh = token({ exp: 1300, iat: 1000 });
  const skew = clockSkew(fresh, 400_000);
  expect(skew).toBe(600_000);
  expect(expiresAt(fresh, skew)).toBe(700_000);
  expect(clockSkew(token({ exp: 1300 }), 400_000)).toBe(0);
});
