import type { OidcErrorCode } from '@gatehouse/contract';

/** The `oidc_error` a refused provider sign-in leaves in the fragment (`#oidc_error=…`). */
export const OIDC_ERROR_FRAGMENT = 'oidc_error';

const MESSAGES: Record<OidcErrorCode, string> = {
  oidc_state_invalid:
    'That sign-in took too long, or was started in another browser or tab. Please try again.',
  oidc_access_denied: 'The sign-in was cancelled at the provider. Nothing was changed.',
  oidc_failed:
    'The provider’s answer could not be verified, so you were not signed in. Please try again; if it keeps happening, tell your administrator.',
  oidc_account_exists:
    'An account with this email address already exists. Log in to it first (with your password, or however you usually sign in), then link the provider from Account → Security.',
  oidc_signup_disabled:
    'No account is linked to this sign-in, and new accounts cannot be created with this provider. Log in another way, or ask your administrator.',
  oidc_email_unverified:
    'This site needs a verified email address, and the provider did not confirm one. Sign up with your email address instead, or use another provider.',
  oidc_identity_in_use:
    'This account at the provider is already linked to another account here. Log in to that account instead, or unlink it there first.',
  oidc_account_inactive: 'This account is deactivated. Contact your administrator.',
  link_not_same_origin:
    'Nothing was linked: the request came from another site. Link a provider from Account → Security on this site.',
  not_authenticated:
    'Your session had ended, so nothing was linked. Now that you are signed in, link the provider again.',
  reauthentication_required: 'For your security, sign in again before you link a provider.',
};

const UNKNOWN = 'Signing in with the provider did not work. Please try again.';

/** The reason in plain words, for any code (a newer server may send one this app does not know). */
export function oidcErrorMessage(code: string): string {
  return Object.hasOwn(MESSAGES, code) ? MESSAGES[code as OidcErrorCode] : UNKNOWN;
}

/** The `oidc_error` of a fragment (`#oidc_error=oidc_failed`), or null. */
export function readOidcError(hash: string): string | null {
  const code = new URLSearchParams(hash.replace(/^#/, '')).get(OIDC_ERROR_FRAGMENT);
  return code === null || code === '' ? null : code;
}
