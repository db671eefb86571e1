import { OIDC_PROVIDER_NAME_PATTERN } from '@gatehouse/contract';

/** How Gatehouse talks to a provider: OpenID Connect by discovery, or GitHub's OAuth 2 and REST API. */
export type OidcProviderKind = 'oidc' | 'github';

export interface OidcProviderConfig {
  /** As in GATEHOUSE_OIDC_PROVIDERS and the URLs: `/api/auth/oidc/<name>/start`. */
  readonly name: string;
  readonly displayName: string;
  readonly kind: OidcProviderKind;
  /**
   * The identities' issuer: the OIDC issuer (discovered from it), or GitHub's web URL. Only loopback may
   * be plain http.
   */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scopes: readonly string[];
  /** May link to a local account by a verified address (the provider guarantees its addresses). */
  readonly trustEmail: boolean;
  /** May create an account for an identity that matches none. */
  readonly allowSignup: boolean;
  /** GitHub only: its REST API (`/user`, `/user/emails`). */
  readonly apiUrl?: string;
}

export interface OidcConfig {
  readonly providers: readonly OidcProviderConfig[];
}

/** What config.ts lends the parser: its reader (which records the name as known) and its problem list. */
export interface OidcConfigReader {
  read(name: string): string | undefined;
  problem(name: string, message: string): void;
}

const OIDC_PREFIX = 'GATEHOUSE_OIDC_';
const NAME = new RegExp(OIDC_PROVIDER_NAME_PATTERN);

interface Preset {
  kind: OidcProviderKind;
  displayName: string;
  issuer: string;
  scopes: string[];
  /** Google verifies the addresses it vouches for; GitHub's verified primary address is verified. */
  trustEmail: boolean;
}

/** Built-in providers: GATEHOUSE_OIDC_PROVIDERS=google needs only a client id and secret. */
const PRESETS: Readonly<Record<string, Preset>> = {
  google: {
    kind: 'oidc',
    displayName: 'Google',
    issuer: 'https://accounts.google.com',
    scopes: ['openid', 'email', 'profile'],
    trustEmail: true,
  },
  github: {
    kind: 'github',
    displayName: 'GitHub',
    issuer: 'https://github.com',
    scopes: ['read:user', 'user:email'],
    trustEmail: true,
  },
};
const GITHUB_API = 'https://api.github.com';

/**
 * GATEHOUSE_OIDC_PROVIDERS=google,github,corp and, for each NAME, GATEHOUSE_OIDC_<NAME>_ISSUER,
 * _CLIENT_ID, _CLIENT_SECRET, _SCOPES, _DISPLAY_NAME, _TRUST_EMAIL, _ALLOW_SIGNUP (GitHub: _URL and
 * _API_URL instead of _ISSUER, for GitHub Enterprise or a test server).
 */
export function parseOidcConfig({ read, problem }: OidcConfigReader): OidcConfig {
  const listed = read(`${OIDC_PREFIX}PROVIDERS`);
  if (listed === undefined) return { providers: [] };
  const names = listed
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const providers: OidcProviderConfig[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (!NAME.test(name)) {
      problem(
        `${OIDC_PREFIX}PROVIDERS`,
        `${JSON.stringify(name)} is not a provider name (lower case letters, digits and _, starting with a letter)`,
      );
      continue;
    }
    if (seen.has(name)) {
      problem(`${OIDC_PREFIX}PROVIDERS`, `${name} is listed twice`);
      continue;
    }
    seen.add(name);
    const provider = parseProvider(name, read, problem);
    if (provider) providers.push(provider);
  }
  return { providers };
}

function parseProvider(
  name: string,
  read: OidcConfigReader['read'],
  problem: OidcConfigReader['problem'],
): OidcProviderConfig | undefined {
  const key = (suffix: string) => `${OIDC_PREFIX}${name.toUpperCase()}_${suffix}`;
  const preset = PRESETS[name];
  const kind = preset?.kind ?? 'oidc';
  let ok = true;
  const fail = (setting: string, message: string) => {
    problem(setting, message);
    ok = false;
  };
  const flag = (suffix: string, fallback: boolean) => {
    const raw = read(key(suffix));
    if (raw === undefined) return fallback;
    const value = raw.toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    fail(`${key(suffix)}=${JSON.stringify(raw)}`, 'expected true or false');
    return fallback;
  };
  const url = (setting: string, raw: string): string | undefined => {
    const problemOf = issuerProblem(raw);
    if (problemOf) {
      fail(`${setting}=${JSON.stringify(raw)}`, problemOf);
      return undefined;
    }
    return raw.replace(/\/+$/, '');
  };

  let issuer: string | undefined;
  let apiUrl: string | undefined;
  if (kind === 'github') {
    issuer = url(key('URL'), read(key('URL')) ?? preset?.issuer ?? '');
    apiUrl = url(key('API_URL'), read(key('API_URL')) ?? GITHUB_API);
  } else {
    const raw = read(key('ISSUER')) ?? preset?.issuer;
    if (raw === undefined) fail(key('ISSUER'), `required for ${name} (its OpenID Connect issuer)`);
    else issuer = url(key('ISSUER'), raw);
  }
  const clientId = read(key('CLIENT_ID'));
  if (clientId === undefined) fail(key('CLIENT_ID'), `required for ${name}`);
  // Never echoed: it is a secret.
  const clientSecret = read(key('CLIENT_SECRET'));
  if (clientSecret === undefined) fail(key('CLIENT_SECRET'), `required for ${name}`);
  const rawScopes = read(key('SCOPES'));
  const scopes =
    rawScopes === undefined
      ? (preset?.scopes ?? ['openid', 'email', 'profile'])
      : rawScopes.split(/[\s,]+/).filter(Boolean);
  if (kind === 'oidc' && !scopes.includes('openid')) {
    fail(`${key('SCOPES')}=${JSON.stringify(rawScopes)}`, 'must include openid (an OpenID Connect sign-in)');
  }
  const trustEmail = flag('TRUST_EMAIL', preset?.trustEmail ?? false);
  const allowSignup = flag('ALLOW_SIGNUP', true);
  const displayName = read(key('DISPLAY_NAME')) ?? preset?.displayName ?? name;
  if (!ok || issuer === undefined || clientId === undefined || clientSecret === undefined) return undefined;
  return Object.freeze({
    name,
    displayName,
    kind,
    issuer,
    clientId,
    clientSecret,
    scopes: Object.freeze(scopes),
    trustEmail,
    allowSignup,
    ...(apiUrl !== undefined && { apiUrl }),
  });
}

/** Loopback, where plain http is allowed (tests, local development): nothing else can listen there. */
export function isLoopbackHost(hostname: string): boolean {
  return ['127.0.0.1', '[::1]', '::1', 'localhost'].includes(hostname.toLowerCase());
}

/** Why `raw` cannot be an issuer (or GitHub URL): https, or http on loopback; no query or fragment. */
export function issuerProblem(raw: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return 'expected an https URL';
  }
  if (parsed.search || parsed.hash || parsed.username || parsed.password) {
    return 'expected a URL without query, fragment or credentials';
  }
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return undefined;
  return 'must be https (plain http only on loopback: 127.0.0.1, ::1, localhost)';
}
