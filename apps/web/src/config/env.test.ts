import { describe, expect, it } from 'vitest';
import { parseEnv } from './env';

describe('parseEnv', () => {
  it('defaults to the page origin', () => {
    expect(parseEnv({})).toEqual({ apiUrl: undefined });
    expect(parseEnv({ VITE_GATEHOUSE_API_URL: '' })).toEqual({ apiUrl: undefined });
  });

  it('accepts an http(s) base URL without its trailing slash', () => {
    expect(parseEnv({ VITE_GATEHOUSE_API_URL: 'https://auth.example.com/' }).apiUrl).toBe(
      'https://auth.example.com',
    );
    expect(parseEnv({ VITE_GATEHOUSE_API_URL: 'http://127.0.0.1:8000/gate/' }).apiUrl).toBe(
      'http://127.0.0.1:8000/gate',
    );
  });

  it('refuses what is not a base URL, naming the variable', () => {
    expect(() => parseEnv({ VITE_GATEHOUSE_API_URL: 'auth.example.com' })).toThrow(/VITE_GATEHOUSE_API_URL/);
    expect(() => parseEnv({ VITE_GATEHOUSE_API_URL: 'ftp://auth.example.com' })).toThrow(/http\(s\)/);
    expect(() => parseEnv({ VITE_GATEHOUSE_API_URL: 'https://a.example?x=1' })).toThrow(/query/);
  });
});
