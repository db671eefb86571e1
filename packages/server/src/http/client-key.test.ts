import { describe, expect, test } from 'vitest';
import { clientKey } from './client-key.js';

describe('clientKey: the bucket a client address is counted in', () => {
  test('an IPv4 address is its own key', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('203.0.113.8')).toBe('203.0.113.8');
  });

  test('IPv6: every address of one /64 shares a key, however it is written', () => {
    const key = clientKey('2001:db8:0:1::1');
    expect(key).toBe('2001:db8:0:1::/64');
    for (const address of [
      '2001:db8:0:1::2',
      '2001:db8:0:1:ffff:ffff:ffff:ffff',
      '2001:0DB8:0000:0001:0000:0000:0000:0001',
      '2001:db8::1:0:0:0:1',
      '2001:db8:0:1:a:b:1.2.3.4',
    ]) {
      expect(clientKey(address), address).toBe(key);
    }
    expect(clientKey('2001:db8:0:2::1')).not.toBe(key);
    expect(clientKey('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('::')).toBe('0:0:0:0::/64');
  });

  test('a zone id does not make a new bucket', () => {
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey('fe80::2%25en1')).toBe('fe80:0:0:0::/64');
  });

  test('an IPv4-mapped IPv6 address counts as the IPv4 address', () => {
    for (const address of ['::ffff:203.0.113.7', '::FFFF:cb00:7107', '0:0:0:0:0:ffff:203.0.113.7']) {
      expect(clientKey(address), address).toBe('203.0.113.7');
    }
  });

  test('anything else is kept as it is', () => {
    expect(clientKey('')).toBe('');
    expect(clientKey('not-an-ip')).toBe('not-an-ip');
    expect(clientKey('1::2::3')).toBe('1::2::3');
  });
});
