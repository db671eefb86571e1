import type { ProfileResponse, UserResponse } from '@gatehouse/contract';
import type { User } from '../store/store.js';

export function presentUser(user: User): UserResponse {
  return {
    id: user.id,
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

export function presentProfile(user: User): ProfileResponse {
  return {
    user: presentUser(user),
    first_name: user.firstName,
    last_name: user.lastName,
    email: user.profileEmail,
  };
}
