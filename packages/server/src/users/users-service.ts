import type { PasswordHasher } from '../auth/passwords.js';
import type { CreateUserEffects, LoginCandidate, User, UserStore } from '../store/users/store.js';
import {
  canonicalEmail,
  isValidEmail,
  normalizeIdentifier,
  usernameKey,
  usernameProblem,
} from './canonical.js';
import { passwordProblems } from './password-policy.js';
import type { FieldProblems, Refused } from './problems.js';

export interface NewAccount {
  username: string;
  email?: string | null | undefined;
  password: string;
  firstName?: string;
  lastName?: string;
  profileEmail?: string;
  name?: string;
  isStaff?: boolean;
  isSuperuser?: boolean;
  /** Skip the password policy: only for the demo data and an operator's explicit request. */
  bypassPasswordPolicy?: boolean;
  /** The address is known to be the owner's: an operator vouches for it (createsuperuser). */
  emailVerified?: boolean;
}

/** What creating an account causes beside it: its verification mail. */
export interface AccountEffects {
  /**
   * Asked once the account has passed validation, just before it is stored (so a refused request uses up
   * no mail under the send limits); what it returns is written in the account's transaction.
   */
  prepare(account: { email: string | null }): Promise<CreateUserEffects>;
  /** The account is stored (its transaction committed). */
  created(user: User): void;
}

export type CreateAccountResult = { ok: true; user: User } | Refused;
export type AuthenticateResult = { ok: true; user: User } | { ok: false; code: 'invalid_credentials' };
export type CheckResult = { ok: true } | Refused;

export interface UsersService {
  createAccount(account: NewAccount, effects?: AccountEffects): Promise<CreateAccountResult>;
  /** By username or email, whichever the identifier is. Inactive accounts never authenticate. */
  authenticate(identifier: string, password: string): Promise<AuthenticateResult>;
  /** The account an identifier names, looked up without checking anything (to throttle it first). */
  findCandidate(identifier: string): Promise<LoginCandidate | undefined>;
  /** `authenticate`'s check, for a candidate found already; undefined costs a hash like a real one. */
  verifyCandidate(candidate: LoginCandidate | undefined, password: string): Promise<AuthenticateResult>;
  /** Whether `password` is the signed-in user's current one; what a wrong one means is the caller's to say. */
  checkPassword(user: User, password: string): Promise<boolean>;
  /** A new password checked against the policy and hashed (not stored); a field error on `field` when refused. */
  hashNewPassword(user: User, password: string, field: string): Promise<{ ok: true; hash: string } | Refused>;
}

export interface UsersServiceDeps {
  store: Pick<
    UserStore,
    'createUser' | 'findLoginCandidate' | 'updatePasswordHash' | 'recordLogin' | 'findPasswordHash'
  >;
  hasher: PasswordHasher;
  clock: () => Date;
  updateLastLogin: boolean;
  passwordMinLength?: number;
}

/** last_login is written at most this often per user, so logins in a burst cost one write. */
const LAST_LOGIN_THROTTLE_SECONDS = 60;

export function createUsersService(deps: UsersServiceDeps): UsersService {
  const { store, hasher, clock, updateLastLogin } = deps;
  const policy = { minLength: deps.passwordMinLength ?? 8 };

  const findCandidate = (identifier: string) =>
    store.findLoginCandidate({ usernameKey: usernameKey(identifier), email: canonicalEmail(identifier) });

  async function verifyCandidate(
    candidate: LoginCandidate | undefined,
    password: string,
  ): Promise<AuthenticateResult> {
    // Unknown users are verified against a dummy hash: same cost, so timing does not reveal accounts.
    const verification = await hasher.verify(candidate?.passwordHash, password);
    if (!candidate || !verification.ok || !candidate.user.isActive) {
      return { ok: false, code: 'invalid_credentials' };
    }
    const now = clock();
    let { user } = candidate;
    if (verification.needsRehash) await store.updatePasswordHash(user.id, await hasher.hash(password), now);
    if (updateLastLogin && (await store.recordLogin(user.id, now, LAST_LOGIN_THROTTLE_SECONDS))) {
      user = { ...user, lastLogin: now };
    }
    return { ok: true, user };
  }

  return {
    async createAccount(account, effects) {
      const username = normalizeIdentifier(account.username);
      const email = account.email ? canonicalEmail(account.email) : null;
      const problems: FieldProblems = {};
      const usernameIssue = usernameProblem(username);
      if (usernameIssue) problems.username = [usernameIssue];
      // One namespace: a username that could be an address is its account's own, or another's email
      // could be taken as a username (and sign its owner's login in to the wrong account).
      else if (username.includes('@') && usernameKey(username) !== email) {
        problems.username = [{ code: 'username_not_own_email' }];
      }
      if (email !== null && !isValidEmail(email)) problems.email = [{ code: 'invalid_email' }];
      const passwordIssues = account.bypassPasswordPolicy
        ? []
        : passwordProblems(account.password, { username, email }, policy);
      if (passwordIssues.length > 0) problems.password = passwordIssues;
      if (Object.keys(problems).length > 0) return { ok: false, problems };

      const result = await store.createUser(
        {
          username,
          usernameKey: usernameKey(username),
          email,
          passwordHash: await hasher.hash(account.password),
          ...(account.firstName !== undefined && { firstName: account.firstName }),
          ...(account.lastName !== undefined && { lastName: account.lastName }),
          ...(account.profileEmail !== undefined && { profileEmail: account.profileEmail }),
          ...(account.name !== undefined && { name: account.name }),
          isStaff: account.isStaff ?? false,
          isSuperuser: account.isSuperuser ?? false,
          ...(account.emailVerified !== undefined && { emailVerified: account.emailVerified }),
        },
        clock(),
        await effects?.prepare({ email }),
      );
      if (result.ok) {
        effects?.created(result.user);
        return result;
      }
      return {
        ok: false,
        problems: Object.fromEntries(
          result.conflicts.map((field) => [field, [{ code: 'unique', params: { field } }]]),
        ),
      };
    },

    authenticate: async (identifier, password) => verifyCandidate(await findCandidate(identifier), password),
    findCandidate,
    verifyCandidate,

    async checkPassword(user, password) {
      return (await hasher.verify(await store.findPasswordHash(user.id), password)).ok;
    },

    async hashNewPassword(user, password, field) {
      const problems = passwordProblems(password, { username: user.username, email: user.email }, policy);
      if (problems.length > 0) return { ok: false, problems: { [field]: problems } };
      return { ok: true, hash: await hasher.hash(password) };
    },
  };
}
