import { Type, type Static, type TSchema } from 'typebox';
import { IDENTIFIER_MAX_LENGTH, PASSWORD_MAX_LENGTH } from './tokens.js';
import { IdentityResponse } from './oidc.js';
import { UserFields } from './users.js';

const DateTime = Type.String({ format: 'date-time' });
const Password = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH });
const Username = Type.String({ minLength: 1, maxLength: 150 });
const Email = Type.String({ minLength: 1, maxLength: IDENTIFIER_MAX_LENGTH });
const Name = Type.String({ maxLength: 150 });

/**
 * An account as Gatehouse's own API shows it. `id` is the public id (a UUID), as tutorial B's client
 * expects; the integer database id is never needed by a client.
 */
export const AccountResponse = Type.Object({
  id: Type.String({ format: 'uuid' }),
  ...UserFields,
  /** The address was proved by a link sent to it (always false while there is none). */
  email_verified: Type.Boolean(),
});
export type AccountResponse = Static<typeof AccountResponse>;

/** Tutorial B's user (its register, /api/user/): the account's fields as they were, kept for its clients. */
export const TutorialBUserResponse = Type.Object({ id: Type.String({ format: 'uuid' }), ...UserFields });
export type TutorialBUserResponse = Static<typeof TutorialBUserResponse>;

/** POST /api/users/ — Gatehouse's registration. */
export const SignUpRequest = Type.Object({
  username: Username,
  email: Type.Optional(Type.Union([Email, Type.Null()])),
  password: Password,
  first_name: Type.Optional(Name),
  last_name: Type.Optional(Name),
});
export type SignUpRequest = Static<typeof SignUpRequest>;

/**
 * Login and registration answers: the tokens, then the account (tutorial B's login order). In browser
 * mode (`X-Gatehouse-Session: cookie`) `refresh` is absent: it is in an httpOnly cookie instead.
 */
export const SignedInResponse = Type.Union([
  // Two shapes rather than an optional `refresh`: the serializer would move an optional key last.
  Type.Object({ refresh: Type.String(), access: Type.String(), user: AccountResponse }),
  Type.Object({ access: Type.String(), user: AccountResponse }),
]);
export type SignedInResponse = Static<typeof SignedInResponse>;

/** Tutorial B's register body: all three required, password at least 8 characters. */
export const TutorialBRegisterRequest = Type.Object({
  username: Username,
  email: Type.String({ minLength: 1, maxLength: IDENTIFIER_MAX_LENGTH, format: 'email' }),
  password: Type.String({ minLength: 8, maxLength: PASSWORD_MAX_LENGTH }),
});
export type TutorialBRegisterRequest = Static<typeof TutorialBRegisterRequest>;

/** Tutorial B's register answer: 201, the access token named `token`. */
export const TutorialBRegisterResponse = Type.Object({
  user: TutorialBUserResponse,
  refresh: Type.String(),
  token: Type.String(),
});

/** Tutorial C's register body and answer. */
export const TutorialCRegisterRequest = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 150 }),
  email: Type.String({ minLength: 1, maxLength: IDENTIFIER_MAX_LENGTH, format: 'email' }),
  password: Password,
});
export type TutorialCRegisterRequest = Static<typeof TutorialCRegisterRequest>;
export const TutorialCRegisterResponse = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  email: Type.String(),
});

export const TutorialCLoginResponse = Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String(),
});
/** An empty `refresh_token` is allowed: tutorial C answers it 200 with nothing to blacklist. */
export const TutorialCLogoutRequest = Type.Object({ refresh_token: Type.String({ maxLength: 8192 }) });
export type TutorialCLogoutRequest = Static<typeof TutorialCLogoutRequest>;

/** PATCH /api/profile/ and /api/users/me/: the owner's editable fields. Anything else is ignored. */
export const ProfileUpdateRequest = Type.Object({
  first_name: Type.Optional(Name),
  last_name: Type.Optional(Name),
  email: Type.Optional(Type.String({ maxLength: IDENTIFIER_MAX_LENGTH })),
});
export type ProfileUpdateRequest = Static<typeof ProfileUpdateRequest>;

/** PATCH /api/users/me/: names only; the login email and roles are not the owner's to set here. */
export const AccountUpdateRequest = Type.Object({
  first_name: Type.Optional(Name),
  last_name: Type.Optional(Name),
});
export type AccountUpdateRequest = Static<typeof AccountUpdateRequest>;

export const PasswordChangeRequest = Type.Object({ current_password: Password, new_password: Password });
export type PasswordChangeRequest = Static<typeof PasswordChangeRequest>;

/**
 * DELETE /api/users/me/: the password, for an account that has one; an account without (signed up
 * through a provider, or a passkey) confirms by a recent sign-in instead.
 */
export const AccountDeleteRequest = Type.Object({ password: Type.Optional(Password) });
export type AccountDeleteRequest = Static<typeof AccountDeleteRequest>;

/** Token mode sends `refresh`; browser mode sends nothing (the cookie carries it). */
export const LogoutRequest = Type.Object({
  refresh: Type.Optional(Type.String({ minLength: 1, maxLength: 8192 })),
});
export type LogoutRequest = Static<typeof LogoutRequest>;
export const BrowserRefreshRequest = LogoutRequest;
export type BrowserRefreshRequest = LogoutRequest;

/** POST /api/auth/logout-all/: how many sessions of the caller ended. */
export const LogoutAllResponse = Type.Object({ sessions_ended: Type.Integer() });
export type LogoutAllResponse = Static<typeof LogoutAllResponse>;

export const SessionResponse = Type.Object({
  id: Type.String(),
  created_at: DateTime,
  last_used_at: DateTime,
  expires_at: DateTime,
  user_agent: Type.String(),
  ip: Type.String(),
  /** The session of the request that lists it. */
  current: Type.Boolean(),
});
export type SessionResponse = Static<typeof SessionResponse>;

export const AdminUserResponse = Type.Object({
  ...AccountResponse.properties,
  sessions: Type.Array(SessionResponse),
  /** Direct roles, groups and the effective permissions (issue 17; absent before the roles feature). */
  roles: Type.Optional(Type.Array(Type.String())),
  groups: Type.Optional(Type.Array(Type.String())),
  permissions: Type.Optional(Type.Array(Type.String())),
  /** Linked sign-in providers (issue 16; absent before the OIDC feature). */
  identities: Type.Optional(Type.Array(IdentityResponse)),
});
export type AdminUserResponse = Static<typeof AdminUserResponse>;

/** PATCH /api/users/<public_id>/ by a superuser. */
export const AdminUserUpdateRequest = Type.Object({
  is_active: Type.Optional(Type.Boolean()),
  is_staff: Type.Optional(Type.Boolean()),
  is_superuser: Type.Optional(Type.Boolean()),
});
export type AdminUserUpdateRequest = Static<typeof AdminUserUpdateRequest>;

export const AuditEntryResponse = Type.Object({
  id: Type.Integer(),
  at: DateTime,
  actor: Type.String(),
  action: Type.String(),
  target: Type.String(),
  detail: Type.Record(Type.String(), Type.Unknown()),
  ip: Type.String(),
});
export type AuditEntryResponse = Static<typeof AuditEntryResponse>;

/** Page numbers and sizes arrive as query strings; digits only. */
const Digits = Type.String({ pattern: '^[0-9]{1,6}$' });
export const PageQuery = Type.Object({ page: Type.Optional(Digits), page_size: Type.Optional(Digits) });
export type PageQuery = Static<typeof PageQuery>;
export const UserListQuery = Type.Object({
  page: Type.Optional(Digits),
  page_size: Type.Optional(Digits),
  search: Type.Optional(Type.String({ maxLength: 100 })),
  ordering: Type.Optional(Type.Union([Type.Literal('updated'), Type.Literal('-updated')])),
});
export type UserListQuery = Static<typeof UserListQuery>;

/** DRF's PageNumberPagination body. */
export function Paginated<T extends TSchema>(item: T) {
  return Type.Object({
    count: Type.Integer(),
    next: Type.Union([Type.String(), Type.Null()]),
    previous: Type.Union([Type.String(), Type.Null()]),
    results: Type.Array(item),
  });
}
/** The body of `Paginated(item)`: `PaginatedResponse<typeof AuditEntryResponse>`. */
export type PaginatedResponse<T extends TSchema> = Static<ReturnType<typeof Paginated<T>>>;
