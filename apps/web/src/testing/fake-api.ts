import {
  createAuthClient,
  type Account,
  type AuthClient,
  type EmailNotice,
  type Notice,
  type Passkey,
  type SecondFactorErrorCode,
  type SecondFactorSummary,
  type SessionsEnded,
  type TotpSetup,
  type WebAuthn,
} from '@gatehouse/client';
import {
  Messages,
  type AccountResponse,
  type AdminUserResponse,
  type AuditEntryResponse,
  type BrowserRefreshRequest,
  type Credentials,
  type EmptyResponse,
  type ErrorBody,
  type FieldErrors,
  type GroupCreateRequest,
  type GroupDetailResponse,
  type GroupMembersRequest,
  type GroupResponse,
  type GroupUpdateRequest,
  type IdentityListResponse,
  type PermissionsResponse,
  type RoleCreateRequest,
  type RoleResponse,
  type RoleUpdateRequest,
  type UserGroupsRequest,
  type UserRolesRequest,
  type LogoutRequest,
  type OidcExchangeRequest,
  type OidcProviderListResponse,
  type PaginatedResponse,
  type ProfileResponse,
  type RefreshResponse,
  type SessionResponse,
  type SignedInResponse,
  type SignUpRequest,
  type UserResponse,
} from '@gatehouse/contract';

/** The second factor's refusals (issue 15), whose codes the contract does not list yet. */
export interface SecondFactorRefusal {
  detail: string;
  code: SecondFactorErrorCode;
  mfa_token?: string;
  methods?: string[];
}

/** The passkey in the tests' routes (its id in the paths below). */
export const PASSKEY_ID = 'pk1';
/** The linked identity in the tests' routes (its id in the paths below). */
export const IDENTITY_ID = 'id1';
/** A user's factors as a superuser sees them (GET /api/users/<id>/mfa/). */
interface AdminUserFactors {
  totp: boolean;
  recovery_codes_left: number;
  passkeys: { id: string; name: string; created_at: string; last_used_at: string | null }[];
}
type MfaAnswer = { mfa_token: string; code: string; recovery_code: string };
type Credential = { credential: unknown };

/** What each route the app's tests answer reads and answers, in the contract's types. */
export interface Routes {
  'POST /api/auth/login/': { body: Credentials; reply: SignedInResponse | SecondFactorRefusal };
  'POST /api/auth/mfa/': { body: MfaAnswer; reply: SignedInResponse | SecondFactorRefusal };
  'POST /api/auth/mfa/enroll/totp/': { body: { mfa_token: string }; reply: TotpSetup | SecondFactorRefusal };
  'POST /api/auth/mfa/enroll/totp/confirm/': {
    body: { mfa_token: string; code: string };
    reply: (SignedInResponse & { recovery_codes: string[] }) | SecondFactorRefusal;
  };
  'POST /api/auth/mfa/passkey/options/': { body: { mfa_token: string }; reply: object };
  'POST /api/auth/mfa/passkey/': { body: Credential & { mfa_token: string }; reply: SignedInResponse };
  'POST /api/auth/passkey/options/': { body: EmptyResponse; reply: object };
  'POST /api/auth/passkey/': { body: Credential; reply: SignedInResponse | SecondFactorRefusal };
  'GET /api/users/me/mfa/': { body: undefined; reply: SecondFactorSummary };
  'POST /api/users/me/mfa/totp/': { body: EmptyResponse; reply: TotpSetup };
  'POST /api/users/me/mfa/totp/confirm/': { body: { code: string }; reply: { recovery_codes: string[] } };
  'DELETE /api/users/me/mfa/totp/': { body: { code: string }; reply: EmptyResponse | SecondFactorRefusal };
  'POST /api/users/me/mfa/recovery-codes/': { body: EmptyResponse; reply: { recovery_codes: string[] } };
  'GET /api/users/me/passkeys/': { body: undefined; reply: Passkey[] };
  'POST /api/users/me/passkeys/options/': { body: EmptyResponse; reply: object };
  'POST /api/users/me/passkeys/': { body: Credential & { name: string }; reply: Passkey };
  'PATCH /api/users/me/passkeys/pk1/': { body: { name: string }; reply: Passkey };
  'DELETE /api/users/me/passkeys/pk1/': { body: undefined; reply: EmptyResponse };
  'GET /api/users/u2/': { body: undefined; reply: AdminUserResponse };
  'GET /api/users/u2/mfa/': { body: undefined; reply: AdminUserFactors };
  'DELETE /api/users/u2/mfa/': { body: undefined; reply: EmptyResponse };
  'POST /api/users/': { body: SignUpRequest; reply: SignedInResponse | SecondFactorRefusal };
  'GET /api/auth/oidc/providers/': { body: undefined; reply: OidcProviderListResponse };
  'POST /api/auth/oidc/exchange/': {
    body: OidcExchangeRequest;
    reply: SignedInResponse | SecondFactorRefusal;
  };
  'GET /api/users/me/identities/': { body: undefined; reply: IdentityListResponse };
  /** 302 to the provider (a bare Response), or a refusal. */
  'GET /api/auth/oidc/google/start': { body: undefined; reply: never };
  'DELETE /api/users/me/identities/id1/': { body: undefined; reply: EmptyResponse };
  'POST /api/auth/refresh/': { body: BrowserRefreshRequest; reply: RefreshResponse };
  'POST /api/auth/logout/': { body: LogoutRequest; reply: EmptyResponse };
  'GET /api/users/me/': { body: undefined; reply: Account };
  'GET /api/profile/': { body: undefined; reply: ProfileResponse };
  'GET /api/users/me/sessions/': { body: undefined; reply: SessionResponse[] };
  'GET /api/users/me/events/': { body: undefined; reply: PaginatedResponse<typeof AuditEntryResponse> };
  'POST /api/auth/password/reset/': { body: { email: string }; reply: Notice };
  'POST /api/auth/password/reset/confirm/': { body: { token: string; new_password: string }; reply: Notice };
  'POST /api/auth/email/verify/': { body: { token: string }; reply: EmailNotice };
  'POST /api/auth/email/verify/resend/': { body: { email?: string }; reply: Notice };
  'POST /api/users/me/email/': { body: { email: string; password: string }; reply: Notice };
  'POST /api/auth/email/change/confirm/': { body: { token: string }; reply: EmailNotice };
  'POST /api/auth/email/change/revert/': { body: { token: string }; reply: EmailNotice };
  'POST /api/auth/sessions/end-all/': { body: { token: string }; reply: SessionsEnded };
  // Roles, groups and permissions (issue 17); the role `support` and the group `team` in the paths.
  'GET /api/users/me/permissions/': { body: undefined; reply: PermissionsResponse };
  'GET /api/users/': {
    body: undefined;
    reply: { count: number; next: string | null; previous: string | null; results: AccountResponse[] };
  };
  'PATCH /api/users/u2/': { body: { is_active?: boolean }; reply: AccountResponse };
  'GET /api/roles/': { body: undefined; reply: RoleResponse[] };
  'POST /api/roles/': { body: RoleCreateRequest; reply: RoleResponse };
  'PATCH /api/roles/support/': { body: RoleUpdateRequest; reply: RoleResponse };
  'DELETE /api/roles/support/': { body: undefined; reply: EmptyResponse };
  'GET /api/groups/': { body: undefined; reply: GroupResponse[] };
  'POST /api/groups/': { body: GroupCreateRequest; reply: GroupResponse };
  'GET /api/groups/team/': { body: undefined; reply: GroupDetailResponse };
  'PATCH /api/groups/team/': { body: GroupUpdateRequest; reply: GroupResponse };
  'PUT /api/groups/team/members/': { body: GroupMembersRequest; reply: GroupDetailResponse };
  'PUT /api/users/u2/roles/': { body: UserRolesRequest; reply: PermissionsResponse };
  'PUT /api/users/u2/groups/': { body: UserGroupsRequest; reply: PermissionsResponse };
}
export type Route = keyof Routes;

export interface FakeRequest<Body = unknown> {
  method: string;
  path: string;
  /** As the app sent it: unvalidated, so every field may be missing. */
  body: Partial<Body> | undefined;
  headers: Headers;
}

declare const replyBody: unique symbol;
/** A Response whose JSON body has type T (made by json()); a bare Response is for answers no body types. */
export type Reply<T> = Response & { readonly [replyBody]?: T };

/** Answers one request with the route's body or a refusal; a request no handler names gets a 404. */
export type Handler<K extends Route> = (
  request: FakeRequest<Routes[K]['body']>,
) =>
  | Reply<Routes[K]['reply'] | ErrorBody | FieldErrors>
  | Promise<Reply<Routes[K]['reply'] | ErrorBody | FieldErrors>>;
export type Handlers = { [K in Route]?: Handler<K> };

/** `T` comes from the handler's route, so a body the contract does not allow (or an extra key) is an error. */
export const json = <T>(status: number, body: NoInfer<T>): Reply<T> =>
  new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

export function account(overrides: Partial<Account> = {}): Account {
  return {
    id: '6f1c1f4e-2c3b-4a63-9d55-0b8c2f6d1a10',
    public_id: '6f1c1f4e-2c3b-4a63-9d55-0b8c2f6d1a10',
    username: 'ada',
    email: 'ada@example.com',
    first_name: 'Ada',
    last_name: 'Lovelace',
    is_active: true,
    is_staff: false,
    is_superuser: false,
    last_login: null,
    created: '2026-01-01T00:00:00.000Z',
    updated: '2026-01-01T00:00:00.000Z',
    email_verified: true,
    ...overrides,
  };
}

/** Tutorial A's nested user (GET /api/profile/): the account with the integer database id. */
export function user(overrides: Partial<UserResponse> = {}): UserResponse {
  return { ...account(), id: 1, ...overrides };
}

/**
 * A fetch that routes "METHOD /path" to handlers, for a real client in tests: the app talks to the
 * client exactly as in the browser, only the network is fake.
 */
export function fakeFetch(handlers: Handlers) {
  const calls: FakeRequest[] = [];
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = (init.method ?? 'GET').toUpperCase();
    const text = typeof init.body === 'string' ? init.body : undefined;
    const request: FakeRequest = {
      method,
      path: url.pathname,
      body: text === undefined ? undefined : (JSON.parse(text) as object),
      headers: new Headers(init.headers),
    };
    calls.push(request);
    const key = `${method} ${url.pathname}`;
    const handler = Object.hasOwn(handlers, key)
      ? (handlers[key as Route] as (request: FakeRequest) => Response | Promise<Response>)
      : undefined;
    return handler ? handler(request) : json<ErrorBody>(404, { detail: Messages.notFound });
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

/** Handlers of a browser-mode session for `user`, or of no session at all (the server's refusals). */
export function sessionHandlers(signedIn: Account | null): Handlers {
  return {
    'POST /api/auth/refresh/': () =>
      signedIn
        ? json(200, { access: 'access-1' })
        : json(401, { detail: Messages.tokenInvalid, code: 'token_not_valid' }),
    'GET /api/users/me/': () =>
      signedIn ? json(200, signedIn) : json(401, { detail: Messages.notAuthenticated }),
    'POST /api/auth/logout/': () => json(200, {}),
  };
}

export function testClient(
  fetch: typeof globalThis.fetch,
  options: { webAuthn?: WebAuthn } = {},
): AuthClient {
  return createAuthClient({
    baseUrl: 'http://gatehouse.test',
    mode: 'cookie',
    fetch,
    tabs: null,
    ...options,
  });
}

/** A browser whose authenticator answers every WebAuthn ceremony (or refuses it, as Chromium does). */
export function fakeWebAuthn(refuse = false): WebAuthn {
  const refusal = () =>
    Object.assign(new Error('The operation either timed out or was not allowed.'), {
      name: 'NotAllowedError',
    });
  const credential = { id: 'cred', rawId: 'cred', type: 'public-key' as const, clientExtensionResults: {} };
  return {
    startAuthentication: async () => {
      if (refuse) throw refusal();
      return { ...credential, response: { clientDataJSON: 'c', authenticatorData: 'a', signature: 's' } };
    },
    startRegistration: async () => {
      if (refuse) throw refusal();
      return { ...credential, response: { clientDataJSON: 'c', attestationObject: 'o' } };
    },
  };
}
