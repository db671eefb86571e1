import { canonicalEmail } from '../../users/canonical.js';
import type { AccountEffects, CreateAccountResult, UsersService } from '../../users/users-service.js';

/**
 * Tutorial C's registration: a name and an email, which also serves as the username. No session. The
 * username is made valid as one and suffixed when another account already has it; it is internal, so its
 * conflicts are never reported to the client.
 */
export async function registerByEmail(
  users: Pick<UsersService, 'createAccount'>,
  name: string,
  email: string,
  password: string,
  effects?: AccountEffects,
): Promise<CreateAccountResult> {
  const canonical = canonicalEmail(email);
  const safe = canonical.replace(/[^\p{L}\p{M}\p{N}@.+_-]/gu, '_');
  // A username with @ must be the account's own address (users-service.ts): the address itself when it
  // is a valid username, else (and for the suffixed retries) a form without @.
  const internal = safe.replace(/@/g, '_at_');
  for (let attempt = 1; ; attempt++) {
    const username = attempt === 1 ? (safe === canonical ? canonical : internal) : `${internal}-${attempt}`;
    const result = await users.createAccount({ username, email, password, name }, effects);
    if (result.ok) return result;
    const { username: usernameProblems, ...others } = result.problems;
    const taken = usernameProblems?.some((problem) => problem.code === 'unique') ?? false;
    if (!taken || Object.keys(others).length > 0 || attempt === 5) {
      return { ok: false, problems: Object.keys(others).length > 0 ? others : result.problems };
    }
  }
}
