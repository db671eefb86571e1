import { describe, expect, it } from 'vitest';
import { readLoginState, returnPath } from './login-state';

describe('returnPath', () => {
  it('goes back where the user was going, with its query and fragment', () => {
    const state = readLoginState({ from: { pathname: '/admin', search: '?page=2', hash: '#top' } });
    expect(returnPath(state)).toBe('/admin?page=2#top');
  });

  it('goes home without a destination, for another origin, or for a guest page', () => {
    expect(returnPath(readLoginState(undefined))).toBe('/');
    expect(returnPath(readLoginState({ from: { pathname: '//evil.example/x' } }))).toBe('/');
    expect(returnPath(readLoginState({ from: { pathname: 'https://evil.example/' } }))).toBe('/');
    expect(returnPath(readLoginState({ from: { pathname: '/login' } }))).toBe('/');
  });
});

describe('readLoginState', () => {
  it('keeps only well-formed values', () => {
    expect(readLoginState({ reason: 'expired', notice: 'hacked', signOut: 'yes', from: 3 })).toEqual({
      reason: 'expired',
    });
    expect(readLoginState({ notice: 'account-deleted', signOut: true })).toEqual({
      notice: 'account-deleted',
      signOut: true,
    });
  });
});
