import { Type, type Static } from 'typebox';

const DateTime = Type.String({ format: 'date-time' });

/** S256 of a PKCE verifier: 32 bytes of SHA-256, base64url without padding. */
export const OIDC_CODE_CHALLENGE_PATTERN = '^[A-Za-z0-9_-]{43}$';
/** A PKCE verifier (RFC 7636 §4.1): 43–128 unreserved characters. */
export const OIDC_CODE_VERIFIER_PATTERN = '^[A-Za-z0-9._~-]{43,128}$';

/** A provider's configured name: `GATEHOUSE_OIDC_PROVIDERS=google,github,corp`, in URLs. */
export const OIDC_PROVIDER_NAME_PATTERN = '^[a-z][a-z0-9_]{0,31}$';

/** GET /api/auth/oidc/providers/: the enabled providers, for the login page's buttons. */
export const OidcProvider = Type.Object({ name: Type.String(), display_name: Type.String() });
export type OidcProvider = Static<typeof OidcProvider>;
export const OidcProviderListResponse = Type.Array(OidcProvider);
export type OidcProviderListResponse = Static<typeof OidcProviderListResponse>;

/**
 * GET /api/auth/oidc/<name>/start: `next` a path of this origin, or an absolute URL of a listed CORS
 * origin (the callback then hands it a single-use code); `intent=link` adds the identity to the signed-in
 * caller's account (recent authentication; the browser's refresh cookie says who).
 */
export const OidcStartQuery = Type.Object({
  next: Type.Optional(Type.String({ maxLength: 2048 })),
  intent: Type.Optional(Type.Union([Type.Literal('login'), Type.Literal('link')])),
  /**
   * PKCE for the single-use code (RFC 7636 S256: base64url SHA-256 of the app's verifier). Required when
   * `next` is another origin's: its exchange must then show the verifier, so a code stolen from another
   * browser's flow (login CSRF) cannot be exchanged by the victim's app.
   */
  code_challenge: Type.Optional(Type.String({ pattern: OIDC_CODE_CHALLENGE_PATTERN })),
});
export type OidcStartQuery = Static<typeof OidcStartQuery>;

/**
 * Where the callback sends the browser, every secret in the fragment (never the query string):
 * - same origin, signed in: 302 to `next`, the refresh cookie set (browser mode);
 * - a second factor needed, or `next` on another origin: 302 to `<next or /login/oidc>#code=<code>`; the
 *   page posts the code to POST /api/auth/oidc/exchange/, whose answer is a login's (tokens, or
 *   401 `mfa_required` with its challenge);
 * - refused: 302 to `<PUBLIC_URL>/login#oidc_error=<OidcErrorCode>` (or `next#oidc_error=…` for
 *   another origin, and for every link: `intent=link` comes back to `next`, default `/account/security`,
 *   whose page explains; the start itself redirects there when linking cannot begin).
 */
export const OIDC_CODE_FRAGMENT = 'code';
export const OIDC_ERROR_FRAGMENT = 'oidc_error';
/** The web app's page that exchanges a code (a second factor, or a session in this origin's app). */
export const OIDC_LANDING_PATH = '/login/oidc';

/**
 * POST /api/auth/oidc/exchange/: the single-use code of a callback (60 seconds); `code_verifier` the PKCE
 * verifier whose challenge started the flow (required for a code handed to another origin).
 */
export const OidcExchangeRequest = Type.Object({
  code: Type.String({ minLength: 1, maxLength: 128 }),
  code_verifier: Type.Optional(Type.String({ pattern: OIDC_CODE_VERIFIER_PATTERN })),
});
export type OidcExchangeRequest = Static<typeof OidcExchangeRequest>;

/** A linked identity: the provider's (issuer, subject), never matched by email. */
export const IdentityResponse = Type.Object({
  id: Type.String(),
  provider: Type.String(),
  display_name: Type.String(),
  issuer: Type.String(),
  subject: Type.String(),
  /** The address the provider gave at the last sign-in, shown to tell identities apart. */
  email: Type.Union([Type.String(), Type.Null()]),
  created_at: DateTime,
  last_used_at: Type.Union([DateTime, Type.Null()]),
});
export type IdentityResponse = Static<typeof IdentityResponse>;
export const IdentityListResponse = Type.Array(IdentityResponse);
export type IdentityListResponse = Static<typeof IdentityListResponse>;

/** The `oidc_error` of a refused callback, for the login page to explain. */
export type OidcErrorCode =
  /** The flow's state is unknown, used, expired or not this browser's: start again. */
  | 'oidc_state_invalid'
  /** The user cancelled at the provider (`access_denied`). */
  | 'oidc_access_denied'
  /** The provider's answer failed a check (code exchange, ID token, nonce, issuer). */
  | 'oidc_failed'
  /** A local account has the address but it cannot be linked automatically: sign in there, then link. */
  | 'oidc_account_exists'
  /** New accounts through this provider are not allowed (`_ALLOW_SIGNUP=false`). */
  | 'oidc_signup_disabled'
  /**
   * GATEHOUSE_EMAIL_VERIFICATION=mandatory, and the provider did not give an address it is trusted to
   * have verified: no account is made (it could never sign in).
   */
  | 'oidc_email_unverified'
  /** The identity belongs to another account already. */
  | 'oidc_identity_in_use'
  /** The account is deactivated. */
  | 'oidc_account_inactive'
  /**
   * A link's start (`intent=link`) came from another origin's page (`Sec-Fetch-Site: same-site` or
   * `cross-site`): a link is started from this site's own pages only.
   */
  | 'link_not_same_origin'
  /** A link's start (`intent=link`) found no session in this browser: sign in, then link again. */
  | 'not_authenticated'
  /**
   * A link's start found a sign-in older than GATEHOUSE_REAUTHENTICATION_WINDOW: sign in again, then
   * link.
   */
  | 'reauthentication_required';
