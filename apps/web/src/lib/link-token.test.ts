import { describe, expect, it } from 'vitest';
import { readLinkToken, takeLinkToken } from './link-token';

function fakeHistory() {
  const replaced: { state: unknown; url: string | URL | null | undefined }[] = [];
  return {
    state: { idx: 0 } as unknown,
    replaceState(state: unknown, _unused: string, url?: string | URL | null) {
      replaced.push({ state, url });
    },
    replaced,
  };
}

describe('link tokens', () => {
  it('reads #token=, URL-decoded; nothing else counts', () => {
    expect(readLinkToken('#token=abc_-123')).toBe('abc_-123');
    expect(readLinkToken('#token=a%2Bb&x=1')).toBe('a+b');
    for (const hash of ['', '#', '#token=', '#tokens=abc', '#x=1']) expect(readLinkToken(hash)).toBeNull();
  });

  it('reads a provider sign-in’s single-use #code= as well', () => {
    expect(readLinkToken('#code=c0de')).toBe('c0de');
    for (const hash of ['#code=', '#codes=abc']) expect(readLinkToken(hash)).toBeNull();
  });

  it('takes a provider sign-in’s code out of the address as a mailed token', () => {
    const history = fakeHistory();
    const taken = takeLinkToken({ pathname: '/login/oidc', search: '', hash: '#code=c0de' }, history);
    expect(taken).toEqual({ pathname: '/login/oidc', token: 'c0de' });
    expect(history.replaced).toEqual([{ state: { idx: 0 }, url: '/login/oidc' }]);
  });

  it('takes the token out of the address at once, keeping the path, the query and the history state', () => {
    const history = fakeHistory();
    const taken = takeLinkToken(
      { pathname: '/reset-password', search: '?lang=fr', hash: '#token=abc' },
      history,
    );
    expect(taken).toEqual({ pathname: '/reset-password', token: 'abc' });
    expect(history.replaced).toEqual([{ state: { idx: 0 }, url: '/reset-password?lang=fr' }]);
  });

  it('leaves an address without a token alone', () => {
    const history = fakeHistory();
    expect(takeLinkToken({ pathname: '/login', search: '', hash: '#main' }, history)).toBeNull();
    expect(history.replaced).toEqual([]);
  });
});
