import type { Location } from 'react-router';

/**
 * What travels in the history state to /login and /register: where the user was going, why they were
 * signed out, a notice to show, and whether /login should first sign out whoever is still signed in.
 */
export interface LoginState {
  from?: Pick<Location, 'pathname' | 'search' | 'hash'>;
  reason?: 'initial' | 'logout' | 'expired' | 'other-tab';
  notice?: 'account-deleted' | 'reauthenticate' | 'reauthenticate-security';
  /** A login that needs its second step (or a factor set up first): the challenge, never in the URL. */
  challenge?: Challenge;
  /**
   * Set by a page that ended the session on the server (account deletion), or that needs a fresh sign-in
   * (an email change): /login signs the client out.
   */
  signOut?: boolean;
}

/** What /login/verify and /login/setup need of a `SecondFactorRequired`. */
export interface Challenge {
  mfaToken: string;
  methods: readonly string[];
  enrollment: boolean;
}

/**
 * Where a login (or a registration, under the server's policy) that needs a second step goes next: the
 * challenge travels in the history state, never in the URL.
 */
export function secondStep(
  { mfaToken, methods, enrollment }: Challenge,
  from: LoginState['from'],
): { path: string; state: LoginState } {
  const state: LoginState = { challenge: { mfaToken, methods: [...methods], enrollment } };
  if (from) state.from = from;
  return { path: enrollment ? '/login/setup' : '/login/verify', state };
}

const NOTICES = new Set(['account-deleted', 'reauthenticate', 'reauthenticate-security']);
const REASONS = new Set(['initial', 'logout', 'expired', 'other-tab']);
const GUEST_PAGES = new Set(['/login', '/register']);

/** Reads the history state defensively: it survives reloads and may come from an older version. */
export function readLoginState(state: unknown): LoginState {
  if (typeof state !== 'object' || state === null) return {};
  const raw = state as Record<string, unknown>;
  const result: LoginState = {};
  const from = raw['from'];
  if (typeof from === 'object' && from !== null) {
    const { pathname, search, hash } = from as Record<string, unknown>;
    if (typeof pathname === 'string') {
      result.from = {
        pathname,
        search: typeof search === 'string' ? search : '',
        hash: typeof hash === 'string' ? hash : '',
      };
    }
  }
  if (typeof raw['reason'] === 'string' && REASONS.has(raw['reason'])) {
    result.reason = raw['reason'] as NonNullable<LoginState['reason']>;
  }
  if (typeof raw['notice'] === 'string' && NOTICES.has(raw['notice'])) {
    result.notice = raw['notice'] as NonNullable<LoginState['notice']>;
  }
  if (raw['signOut'] === true) result.signOut = true;
  const challenge = readChallenge(raw['challenge']);
  if (challenge) result.challenge = challenge;
  return result;
}

function readChallenge(value: unknown): Challenge | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { mfaToken, methods, enrollment } = value as Record<string, unknown>;
  if (typeof mfaToken !== 'string' || mfaToken === '') return undefined;
  return {
    mfaToken,
    methods: Array.isArray(methods) ? methods.filter((m): m is string => typeof m === 'string') : [],
    enrollment: enrollment === true,
  };
}

/** Where to go once signed in: back where the user was going, if that is a page of this app. */
export function returnPath(state: LoginState): string {
  const from = state.from;
  // Only same-app paths: "//host" would leave the origin, and the guest pages would loop.
  if (!from || !from.pathname.startsWith('/') || from.pathname.startsWith('//')) return '/';
  if (GUEST_PAGES.has(from.pathname)) return '/';
  return `${from.pathname}${from.search}${from.hash}`;
}
