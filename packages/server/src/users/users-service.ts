import type { FieldErrors } from '@gatehouse/contract';
import type { PasswordHasher } from '../auth/passwords.js';
import type { User, UserStore } from '../store/users/store.js';
import {
  canonicalEmail,
  isValidEmail,
  normalizeIdentifier,
  usernameKey,
  usernameProblem,
} from './canonical.js';
import { passwordProblems } from './password-policy.js';

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
}

export type CreateAccountResult = { ok: true; user: User } | { ok: false; errors: FieldErrors };
export type AuthenticateResult = { ok: true; user: User } | { ok: false; code: 'invalid_credentials' };
export type CheckResult = { ok: true } | { ok: false; errors: FieldErrors };

export interface UsersService {
  createAccount(account: NewAccount): Promise<CreateAccountResult>;
  /** By username or email, whichever the identifier is. Inactive accounts never authenticate. */
  authenticate(identifier: string, password: string): Promise<AuthenticateResult>;
  /** The current password of a signed-in user; a wrong one is a field error on `field`. */
  checkPassword(user: User, password: string, field: string, message: string): Promise<CheckResult>;
  /** A new password checked against the policy and hashed (not stored); a field error on `field` when refused. */
  hashNewPassword(
    user: User,
    password: string,
    field: string,
  ): Promise<{ ok: true; hash: string } | { ok: false; errors: FieldErrors }>;
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

  return {
    async createAccount(account) {
      const username = normalizeIdentifier(account.username);
      const email = account.email ? canonicalEmail(account.email) : null;
      const errors: FieldErrors = {};
      const usernameIssue = usernameProblem(username);
      if (usernameIssue) errors.username = [usernameIssue];
      if (email !== null && !isValidEmail(email)) errors.email = ['Enter a valid email address.'];
      const passwordIssues = account.bypassPasswordPolicy
        ? []
        : passwordProblems(account.password, { username, email }, policy);
      if (passwordIssues.length > 0) errors.password = passwordIssues;
      if (Object.keys(errors).length > 0) return { ok: false, errors };

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
        },
        clock(),
      );
      if (result.ok) return result;
      return {
        ok: false,
        errors: Object.fromEntries(
          result.conflicts.map((field) => [field, [`user with this ${field} already exists.`]]),
        ),
      };
    },

    async authenticate(identifier, password) {
      const candidate = await store.findLoginCandidate({
        usernameKey: usernameKey(identifier),
        email: canonicalEmail(identifier),
      });
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
    },

    async checkPassword(user, password, field, message) {
      const { ok } = await hasher.verify(await store.findPasswordHash(user.id), password);
      return ok ? { ok: true } : { ok: false, errors: { [field]: [message] } };
    },

    async hashNewPassword(user, password, field) {
      const problems = passwordProblems(password, { username: user.username, email: user.email }, policy);
      if (problems.length > 0) return { ok: false, errors: { [field]: problems } };
      return { ok: true, hash: await hasher.hash(password) };
    },
  };
}
