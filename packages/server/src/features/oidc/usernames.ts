import { randomInt } from 'node:crypto';
import { normalizeIdentifier, usernameProblem } from '../../users/canonical.js';

const MAX_BASE = 30;

/**
 * Usernames to try for a new account, from what the provider says of the user: its preferred username,
 * the address's local part, the name; each kept to the characters usernames allow, without `@` (usernames
 * and addresses are one namespace: an `@` would make it look like an address), and only when it passes
 * the identifier rules (a mixed-script name is skipped). `user` when none does.
 */
export function usernameBases(profile: {
  preferredUsername: string | null;
  email: string | null;
  name: string | null;
}): string[] {
  const raw = [
    profile.preferredUsername,
    profile.email?.split('@')[0] ?? null,
    profile.name?.replace(/\s+/g, '.') ?? null,
  ];
  const bases: string[] = [];
  for (const candidate of raw) {
    if (candidate === null) continue;
    const cleaned = normalizeIdentifier(candidate)
      .replace(/[^\p{L}\p{M}\p{N}.+_-]/gu, '')
      .replace(/^[.+_-]+/, '')
      .slice(0, MAX_BASE);
    if (cleaned !== '' && usernameProblem(cleaned) === undefined && !bases.includes(cleaned))
      bases.push(cleaned);
  }
  if (bases.length === 0) bases.push('user');
  return bases;
}

/** A variant of a taken username: the base and a few random digits. */
export function usernameVariant(base: string): string {
  return `${base}${randomInt(1000, 100000)}`;
}
