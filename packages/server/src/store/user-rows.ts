import type { Selectable } from 'kysely';
import type { UsersTable } from './schema.js';
import type { User } from './users/store.js';

/** Every user column but the password hash, which only the login lookup selects. */
export const USER_COLUMNS = [
  'users.id',
  'users.public_id',
  'users.username',
  'users.email',
  'users.first_name',
  'users.last_name',
  'users.profile_email',
  'users.name',
  'users.email_verified',
  'users.is_active',
  'users.is_staff',
  'users.is_superuser',
  'users.last_login',
  'users.created',
  'users.updated',
] as const;

export type UserRow = Pick<
  Selectable<UsersTable>,
  | 'id'
  | 'public_id'
  | 'username'
  | 'email'
  | 'first_name'
  | 'last_name'
  | 'profile_email'
  | 'name'
  | 'email_verified'
  | 'is_active'
  | 'is_staff'
  | 'is_superuser'
  | 'last_login'
  | 'created'
  | 'updated'
>;

export function toUser(row: UserRow): User {
  return {
    id: Number(row.id),
    publicId: row.public_id,
    username: row.username,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    profileEmail: row.profile_email,
    name: row.name,
    emailVerified: Boolean(row.email_verified),
    isActive: Boolean(row.is_active),
    isStaff: Boolean(row.is_staff),
    isSuperuser: Boolean(row.is_superuser),
    lastLogin: row.last_login === null ? null : new Date(row.last_login),
    created: new Date(row.created),
    updated: new Date(row.updated),
  };
}
