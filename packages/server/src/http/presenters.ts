import type {
  AccountResponse,
  AdminUserResponse,
  AuditEntryResponse,
  ProfileResponse,
  SessionResponse,
  TutorialBUserResponse,
  UserResponse,
} from '@gatehouse/contract';
import type { AuditEntry } from '../store/audit/store.js';
import type { Session } from '../store/sessions/store.js';
import type { User } from '../store/users/store.js';

/** Every field but `id`, which differs between tutorial A's shape and the account API's. */
function userFields(user: User): Omit<UserResponse, 'id'> {
  return {
    public_id: user.publicId,
    username: user.username,
    email: user.email,
    first_name: user.firstName,
    last_name: user.lastName,
    is_active: user.isActive,
    is_staff: user.isStaff,
    is_superuser: user.isSuperuser,
    last_login: user.lastLogin?.toISOString() ?? null,
    created: user.created.toISOString(),
    updated: user.updated.toISOString(),
  };
}

/** Tutorial A's nested user (integer id, as the `user_id` claim); never the password hash. */
export function presentUser(user: User): UserResponse {
  return { id: user.id, ...userFields(user) };
}

export function presentProfile(user: User): ProfileResponse {
  return {
    user: presentUser(user),
    first_name: user.firstName,
    last_name: user.lastName,
    email: user.profileEmail,
  };
}

/** The account API's user: `id` is the public UUID. */
export function presentAccount(user: User): AccountResponse {
  return { id: user.publicId, ...userFields(user), email_verified: user.emailVerified };
}

/** Tutorial B's user: the account without what Gatehouse added since, the shape its clients know. */
export function presentTutorialBUser(user: User): TutorialBUserResponse {
  return { id: user.publicId, ...userFields(user) };
}

export function presentSession(session: Session, currentSessionId?: string): SessionResponse {
  return {
    id: session.id,
    created_at: session.createdAt.toISOString(),
    last_used_at: session.lastUsedAt.toISOString(),
    expires_at: session.expiresAt.toISOString(),
    user_agent: session.userAgent,
    ip: session.ip,
    current: session.id === currentSessionId,
  };
}

export function presentAdminUser(user: User, sessions: Session[]): AdminUserResponse {
  return { ...presentAccount(user), sessions: sessions.map((session) => presentSession(session)) };
}

export function presentAuditEntry(entry: AuditEntry): AuditEntryResponse {
  return {
    id: entry.id,
    at: entry.at.toISOString(),
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    detail: entry.detail,
    ip: entry.ip,
  };
}
