import { Type, type Static } from 'typebox';

const DateTime = Type.String({ format: 'date-time' });

/** A user's fields as its owner (or a superuser) sees them, but for `id`. Never the password hash. */
export const UserFields = {
  public_id: Type.String({ format: 'uuid' }),
  username: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  first_name: Type.String(),
  last_name: Type.String(),
  is_active: Type.Boolean(),
  is_staff: Type.Boolean(),
  is_superuser: Type.Boolean(),
  last_login: Type.Union([DateTime, Type.Null()]),
  created: DateTime,
  updated: DateTime,
};

/** Tutorial A's nested user: `id` is the integer database id (the `user_id` claim). */
export const UserResponse = Type.Object({ id: Type.Integer(), ...UserFields });
export type UserResponse = Static<typeof UserResponse>;

/** Tutorial A's ProfileSerializer: the nested user plus the profile's own fields. */
export const ProfileResponse = Type.Object({
  user: UserResponse,
  first_name: Type.String(),
  last_name: Type.String(),
  email: Type.String(),
});
export type ProfileResponse = Static<typeof ProfileResponse>;
