import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  OIDC_CODE_FRAGMENT,
  OIDC_ERROR_FRAGMENT,
  OIDC_LANDING_PATH,
  type OidcErrorCode,
} from '@gatehouse/contract';
import { auditByLink } from '../../core/audit.js';
import type { Caller } from '../../core/caller.js';
import { auditBy } from '../../core/audit.js';
import type { OneTimeTokens } from '../../core/one-time-tokens/one-time-tokens.js';
import type { ClientInfo, IssuedSession } from '../../core/session-issuer.js';
import type { SignInOutcome, SignInPipeline } from '../../core/sign-in.js';
import type { NewMail } from '../../mail/message.js';
import type { User, UserStore } from '../../store/users/store.js';
import { canonicalEmail, isValidEmail, usernameKey } from '../../users/canonical.js';
import type { OidcProviderConfig } from './config.js';
import {
  createProviderClient,
  type FlowSecrets,
  type ProviderClient,
  type ProviderProfile,
} from './provider-client.js';
import type { Identity, IdentityStore } from './store.js';
import { usernameBases, usernameVariant } from './usernames.js';

/** The one-time token purposes of a flow (its state) and of a callback's single-use code. */
export const FLOW_PURPOSE = 'oidc_flow';
export const EXCHANGE_PURPOSE = 'oidc_exchange';
/** A flow may take this long at the provider (seconds); its callback's answer is remembered as long. */
export const FLOW_TTL = 10 * 60;
/** The single-use code a callback hands to a page: exchanged at once (seconds). */
export const EXCHANGE_TTL = 60;
/** A second arrival while the first is still being answered waits this long for its answer, at most. */
const REPEAT_WAIT_MS = 5000;
const REPEAT_POLL_MS = 100;

export type OidcIntent = 'login' | 'link';

/** Where a link flow goes back to when its `next` names nowhere allowed: the account's Security page. */
export const LINK_DEFAULT_NEXT = '/account/security';

export type StartResult =
  | { ok: true; location: string; binding: string }
  | { ok: false; code: 'oidc_unknown_provider' }
  /**
   * The provider cannot be reached (its discovery failed), or a sign-in for another origin came without
   * its `code_challenge`: `location` (the login page, or that origin's `next`) says so.
   */
  | { ok: false; code: 'oidc_failed'; location: string };

/** Where the callback sends the browser; `session`: signed in here, the refresh cookie set with it. */
export type CallbackAnswer =
  { ok: false; code: 'oidc_unknown_provider' } | { ok: true; location: string; session?: IssuedSession };

export type ExchangeResult =
  { ok: true; outcome: SignInOutcome } | { ok: false; code: 'oidc_code_invalid' | 'oidc_account_inactive' };

export type UnlinkResult = { ok: true } | { ok: false; code: 'not_found' | 'oidc_last_method' };

export interface OidcService {
  providers(): readonly OidcProviderConfig[];
  displayNameOf(provider: string): string;
  /**
   * Where a link that cannot start (no session in the browser, or a sign-in too old) sends the browser:
   * `next#oidc_error=<code>`, for the page that started it to explain.
   */
  linkRefusal(
    next: string | undefined,
    code: 'not_authenticated' | 'reauthentication_required' | 'link_not_same_origin',
  ): string;
  start(
    name: string,
    request: { next: string | undefined; intent: OidcIntent; linkUserId?: number; codeChallenge?: string },
  ): Promise<StartResult>;
  callback(
    name: string,
    query: Readonly<Record<string, string>>,
    binding: string | undefined,
    client: ClientInfo,
  ): Promise<CallbackAnswer>;
  /** `verifier`: the PKCE verifier of the flow's `code_challenge` (a code handed to another origin). */
  exchange(code: string, verifier: string | undefined, client: ClientInfo): Promise<ExchangeResult>;
  list(userId: number): Promise<Identity[]>;
  unlink(caller: Caller, id: string): Promise<UnlinkResult>;
}

export interface OidcServiceDeps {
  providers: readonly OidcProviderConfig[];
  /** GATEHOUSE_PUBLIC_URL: the redirect URIs are `<publicUrl>/api/auth/oidc/<name>/callback`. */
  publicUrl: string;
  /** GATEHOUSE_CORS_ALLOWED_ORIGINS: the other origins `next` may name. */
  corsOrigins: readonly string[];
  store: IdentityStore &
    Pick<UserStore, 'findUserById'> & { findUserByEmail(email: string): Promise<User | undefined> };
  oneTimeTokens: Pick<OneTimeTokens, 'issue' | 'peek' | 'consume'>;
  signIn: Pick<SignInPipeline, 'complete'>;
  clock: () => Date;
  /** Mail the owner an `identity_linked` notice (GATEHOUSE_SECURITY_NOTICES); `wake` once it is queued. */
  notice?: { wake: () => void };
  /**
   * GATEHOUSE_EMAIL_VERIFICATION=mandatory: a new account needs an address the provider verified, as a
   * password account could never sign in without one (and one without a password cannot add one).
   */
  requireVerifiedEmail?: boolean;
}

export function redirectUriOf(publicUrl: string, name: string): string {
  return `${publicUrl}/api/auth/oidc/${name}/callback`;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * The PKCE verifier and the nonce are derived from the browser binding (which only the browser's cookie
 * holds) and the state: the database keeps neither, only the binding's hash.
 */
function secretsOf(binding: string, state: string): FlowSecrets {
  const derive = (label: string) =>
    createHmac('sha256', binding).update(`${label}:${state}`).digest('base64url');
  return { state, nonce: derive('nonce'), codeVerifier: derive('pkce') };
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Where `next` may send the browser: a path of this origin, or a URL of a listed CORS origin; anything
 * else is `fallback`.
 */
export function resolveNext(
  next: string | undefined,
  publicUrl: string,
  corsOrigins: readonly string[],
  fallbackPath = '/',
): { path: string } | { url: string } {
  const fallback = { path: fallbackPath };
  if (next === undefined || next === '') return fallback;
  // eslint-disable-next-line no-control-regex
  if (next.includes('\\') || /[\u0000-\u001f\u007f]/.test(next)) return fallback;
  // The path is judged as the URL parser leaves it, not as it arrived: dot-segments collapse, so
  // `/.//evil.com` becomes `//evil.com`, which a browser reads as another host.
  const pathOf = (parsed: URL) => {
    const path = `${parsed.pathname}${parsed.search}`;
    return path.startsWith('/') && !path.startsWith('//') ? { path } : fallback;
  };
  if (next.startsWith('/')) {
    if (next.startsWith('//')) return fallback;
    const parsed = new URL(next, publicUrl);
    if (parsed.origin !== publicUrl) return fallback;
    return pathOf(parsed);
  }
  let parsed: URL;
  try {
    parsed = new URL(next);
  } catch {
    return fallback;
  }
  if (parsed.username || parsed.password) return fallback;
  if (parsed.origin === publicUrl) return pathOf(parsed);
  if (!corsOrigins.includes(parsed.origin)) return fallback;
  return { url: `${parsed.origin}${parsed.pathname}${parsed.search}` };
}

interface FlowData {
  provider: string;
  binding: string;
  intent: OidcIntent;
  /** A path of this origin, or a URL of a listed CORS origin (`cross`). */
  next: string;
  cross: boolean;
  /** The S256 `code_challenge` a sign-in for another origin started with; its code's exchange needs the verifier. */
  challenge?: string;
}

function flowDataOf(data: Record<string, unknown> | null): FlowData | undefined {
  if (!data) return undefined;
  const { provider, binding, intent, next, cross, challenge } = data;
  if (typeof provider !== 'string' || typeof binding !== 'string' || typeof next !== 'string')
    return undefined;
  if (intent !== 'login' && intent !== 'link') return undefined;
  return {
    provider,
    binding,
    intent,
    next,
    cross: cross === true,
    ...(typeof challenge === 'string' && { challenge }),
  };
}

export function createOidcService(deps: OidcServiceDeps): OidcService {
  const { store, oneTimeTokens, signIn, clock, publicUrl, corsOrigins, notice } = deps;
  const clients = new Map<string, ProviderClient>(
    deps.providers.map((config) => [config.name, createProviderClient(config)]),
  );

  // A login's refusal is explained by the login page (or the other origin that asked); a link's by the page
  // that started it: a signed-in user sent to /login would be bounced on by its guest-only guard, unread.
  const errorAt = (flow: Pick<FlowData, 'intent' | 'next' | 'cross'> | undefined, code: OidcErrorCode) =>
    flow?.cross || flow?.intent === 'link'
      ? `${flow.next}#${OIDC_ERROR_FRAGMENT}=${code}`
      : `/login#${OIDC_ERROR_FRAGMENT}=${code}`;
  const targetOf = (next: string | undefined, intent: OidcIntent) => {
    const target = resolveNext(next, publicUrl, corsOrigins, intent === 'link' ? LINK_DEFAULT_NEXT : '/');
    return 'url' in target ? { next: target.url, cross: true } : { next: target.path, cross: false };
  };

  const noticeMail = (user: User, provider: OidcProviderConfig, client: ClientInfo): NewMail[] =>
    notice && user.email
      ? [
          {
            kind: 'identity_linked',
            to: user.email,
            userId: user.id,
            data: { provider: provider.displayName, ip: client.ip, user_agent: client.userAgent },
          },
        ]
      : [];

  const identityOf = (provider: OidcProviderConfig, profile: ProviderProfile) => ({
    provider: provider.name,
    issuer: provider.issuer,
    subject: profile.subject,
    email: profile.email,
    createdAt: clock(),
  });
  const auditDetail = (provider: OidcProviderConfig, subject: string) => ({
    provider: provider.name,
    issuer: provider.issuer,
    subject,
  });

  /**
   * A single-use code for a page to exchange (POST /api/auth/oidc/exchange/): the first factor, proved.
   * `challenge`: its exchange must show the verifier (a code for another origin).
   */
  const exchangeCode = async (user: User, challenge?: string) =>
    (
      await oneTimeTokens.issue({
        purpose: EXCHANGE_PURPOSE,
        userId: user.id,
        ttlSeconds: EXCHANGE_TTL,
        maxAttempts: 1,
        data: { methods: ['fed'], ...(challenge !== undefined && { challenge }) },
      })
    ).token;

  /** The user is proved by the provider: a session here, or a code for the page that finishes. */
  async function signedIn(
    user: User,
    flow: FlowData,
    client: ClientInfo,
  ): Promise<{ location: string; remembered: string; session?: IssuedSession }> {
    if (flow.cross) {
      return {
        location: `${flow.next}#${OIDC_CODE_FRAGMENT}=${await exchangeCode(user, flow.challenge)}`,
        remembered: flow.next,
      };
    }
    const outcome = await signIn.complete(user, { methods: ['fed'], client: { ...client, browser: true } });
    if (outcome.ok) return { location: flow.next, remembered: flow.next, session: outcome.session };
    // A second factor (or a verified address) is still asked for: the landing page exchanges the code and
    // is answered as a login is. This code needs no verifier: planted in a victim's browser (a login CSRF),
    // it leads only to the attacker's second-factor challenge (or email_not_verified), which the victim
    // cannot pass, so never to a session as the attacker.
    const query = flow.next === '/' ? '' : `?next=${encodeURIComponent(flow.next)}`;
    return {
      location: `${OIDC_LANDING_PATH}${query}#${OIDC_CODE_FRAGMENT}=${await exchangeCode(user)}`,
      remembered: flow.next,
    };
  }

  /** `email`: the new account's address, verified by a trusted provider (or none). */
  async function createAccount(
    provider: OidcProviderConfig,
    profile: ProviderProfile,
    email: string | null,
    client: ClientInfo,
  ): Promise<User | 'email' | 'identity'> {
    const bases = usernameBases(profile);
    const candidates = [...bases, ...bases.flatMap((base) => [usernameVariant(base), usernameVariant(base)])];
    for (const username of candidates) {
      const result = await store.createAccountWithIdentity(
        {
          username,
          usernameKey: usernameKey(username),
          email,
          passwordHash: null,
          name: profile.name ?? '',
          emailVerified: email !== null,
        },
        identityOf(provider, profile),
        {
          audit: (user) =>
            auditByLink(
              user,
              'user.created_by_provider',
              clock(),
              client.ip,
              auditDetail(provider, profile.subject),
            ),
          now: clock(),
        },
      );
      if (result.ok) return result.user;
      // Another flow of the same identity made its account meanwhile (its username or address won the
      // race): that account is this identity's.
      const made = await store.findIdentity(provider.issuer, profile.subject);
      if (made) return (await store.findUserById(made.userId)) ?? 'identity';
      if (result.reason !== 'username') return result.reason;
    }
    throw new Error('oidc: no free username for a new account');
  }

  /** The callback's work once the flow is this browser's: the provider's answer, then the account. */
  async function settle(
    client: ProviderClient,
    flow: FlowData,
    flowUserId: number | null,
    query: Readonly<Record<string, string>>,
    binding: string,
    state: string,
    info: ClientInfo,
  ): Promise<{ location: string; remembered: string; session?: IssuedSession }> {
    const provider = client.config;
    const refuse = (code: OidcErrorCode) => ({
      location: errorAt(flow, code),
      remembered: errorAt(flow, code),
    });
    if (query['error'] !== undefined)
      return refuse(query['error'] === 'access_denied' ? 'oidc_access_denied' : 'oidc_failed');
    const callbackUrl = new URL(redirectUriOf(publicUrl, provider.name));
    for (const [key, value] of Object.entries(query)) callbackUrl.searchParams.set(key, value);
    let profile: ProviderProfile;
    try {
      profile = await client.exchange(callbackUrl, secretsOf(binding, state));
    } catch {
      return refuse('oidc_failed');
    }
    const known = await store.findIdentity(provider.issuer, profile.subject);

    if (flow.intent === 'link') {
      const user = flowUserId === null ? undefined : await store.findUserById(flowUserId);
      if (!user?.isActive) return refuse('oidc_account_inactive');
      if (known)
        return known.userId === user.id
          ? { location: flow.next, remembered: flow.next }
          : refuse('oidc_identity_in_use');
      const linked = await store.linkIdentity(user.id, identityOf(provider, profile), {
        audit: auditByLink(user, 'identity.linked', clock(), info.ip, auditDetail(provider, profile.subject)),
        mail: noticeMail(user, provider, info),
        now: clock(),
      });
      // Linked meanwhile to this same account (the flow's callback is single use, another flow's is not).
      if (!linked.ok && linked.userId !== user.id) return refuse('oidc_identity_in_use');
      if (linked.ok && notice && user.email) notice.wake();
      return { location: flow.next, remembered: flow.next };
    }

    if (known) {
      const user = await store.findUserById(known.userId);
      if (!user?.isActive) return refuse('oidc_account_inactive');
      await store.recordIdentityUse(known.id, profile.email, clock());
      return signedIn(user, flow, info);
    }

    const email =
      profile.email !== null && isValidEmail(canonicalEmail(profile.email))
        ? canonicalEmail(profile.email)
        : null;
    const local = email === null ? undefined : await store.findUserByEmail(email);
    if (local) {
      // Linked by address only when every one of these holds: a provider trusted to have checked it, its
      // claim the boolean true, and the local account's own proof of the same address.
      if (!(provider.trustEmail && profile.emailVerified && local.emailVerified))
        return refuse('oidc_account_exists');
      if (!local.isActive) return refuse('oidc_account_inactive');
      const linked = await store.linkIdentity(local.id, identityOf(provider, profile), {
        audit: auditByLink(
          local,
          'identity.linked',
          clock(),
          info.ip,
          auditDetail(provider, profile.subject),
        ),
        mail: noticeMail(local, provider, info),
        now: clock(),
      });
      if (!linked.ok && linked.userId !== local.id) return refuse('oidc_identity_in_use');
      if (linked.ok && notice && local.email) notice.wake();
      return signedIn(local, flow, info);
    }

    if (!provider.allowSignup) return refuse('oidc_signup_disabled');
    // The new account has the address only when the provider is trusted to have checked it and says so: an
    // unchecked one (a provider where anyone may claim any address) would keep its owner from signing up
    // with it. The identity still records what the provider said, to tell identities apart.
    const proved = provider.trustEmail && profile.emailVerified ? email : null;
    if (proved === null && deps.requireVerifiedEmail) return refuse('oidc_email_unverified');
    const created = await createAccount(provider, profile, proved, info);
    if (created === 'email') return refuse('oidc_account_exists');
    if (created === 'identity') return refuse('oidc_failed');
    if (!created.isActive) return refuse('oidc_account_inactive');
    return signedIn(created, flow, info);
  }

  /** A second arrival of a callback whose state is spent: the first's answer, for the same browser. */
  async function repeat(stateHash: string, binding: string | undefined): Promise<string | undefined> {
    if (binding === undefined) return undefined;
    const deadline = Date.now() + REPEAT_WAIT_MS;
    for (;;) {
      const record = await store.findOidcCallback(stateHash, clock());
      if (!record || !sameSecret(record.bindingHash, sha256(binding))) return undefined;
      if (record.location !== null) return record.location;
      if (Date.now() >= deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, REPEAT_POLL_MS));
    }
  }

  return {
    providers: () => deps.providers,
    displayNameOf: (name) => clients.get(name)?.config.displayName ?? name,
    linkRefusal: (next, code) => errorAt({ intent: 'link', ...targetOf(next, 'link') }, code),

    async start(name, { next, intent, linkUserId, codeChallenge }) {
      const client = clients.get(name);
      if (!client) return { ok: false, code: 'oidc_unknown_provider' };
      const binding = randomBytes(32).toString('base64url');
      const data: FlowData = {
        provider: name,
        binding: sha256(binding),
        intent,
        ...targetOf(next, intent),
        ...(codeChallenge !== undefined && { challenge: codeChallenge }),
      };
      // A sign-in for another origin ends with a code in that origin's page: without a challenge, a code
      // from the attacker's own flow, planted in a victim's page, would sign the victim in as the attacker.
      if (data.cross && intent === 'login' && data.challenge === undefined)
        return { ok: false, code: 'oidc_failed', location: errorAt(data, 'oidc_failed') };
      const { token: state } = await oneTimeTokens.issue({
        purpose: FLOW_PURPOSE,
        userId: linkUserId ?? null,
        ttlSeconds: FLOW_TTL,
        maxAttempts: 1,
        data: { ...data },
      });
      try {
        const url = await client.authorizationUrl(redirectUriOf(publicUrl, name), secretsOf(binding, state));
        return { ok: true, location: url.href, binding };
      } catch {
        return { ok: false, code: 'oidc_failed', location: errorAt(data, 'oidc_failed') };
      }
    },

    async callback(name, query, binding, info) {
      const client = clients.get(name);
      if (!client) return { ok: false, code: 'oidc_unknown_provider' };
      const invalid = { ok: true as const, location: errorAt(undefined, 'oidc_state_invalid') };
      const state = query['state'];
      if (state === undefined) return invalid;
      const stateHash = sha256(state);
      const peeked = await oneTimeTokens.peek(FLOW_PURPOSE, state);
      if (!peeked.ok) {
        if (peeked.code !== 'used') return invalid;
        const location = await repeat(stateHash, binding);
        return location === undefined ? invalid : { ok: true, location };
      }
      const flow = flowDataOf(peeked.data);
      // The state must be this provider's flow, started in this browser (a login CSRF brings another's).
      if (
        !flow ||
        flow.provider !== name ||
        binding === undefined ||
        !sameSecret(flow.binding, sha256(binding))
      ) {
        return invalid;
      }
      // The claim comes first: a second arrival from now on finds it and waits for its answer, and of two
      // arrivals at once the database lets one claim the state.
      const expiresAt = new Date(clock().getTime() + FLOW_TTL * 1000);
      if (!(await store.claimOidcCallback(stateHash, flow.binding, expiresAt, clock()))) {
        const location = await repeat(stateHash, binding);
        return location === undefined ? invalid : { ok: true, location };
      }
      const consumed = await oneTimeTokens.consume(FLOW_PURPOSE, state);
      if (!consumed.ok) {
        // Expired between the look and the claim.
        await store.settleOidcCallback(stateHash, invalid.location);
        return invalid;
      }
      const answer = await settle(client, flow, consumed.userId, query, binding, state, info);
      await store.settleOidcCallback(stateHash, answer.remembered);
      return { ok: true, location: answer.location, ...(answer.session && { session: answer.session }) };
    },

    async exchange(code, verifier, info) {
      // Spent before the verifier is checked: a wrong guess burns the code.
      const consumed = await oneTimeTokens.consume(EXCHANGE_PURPOSE, code);
      if (!consumed.ok || consumed.userId === null) return { ok: false, code: 'oidc_code_invalid' };
      const challenge = consumed.data?.['challenge'];
      if (
        typeof challenge === 'string' &&
        (verifier === undefined || !sameSecret(sha256(verifier), challenge))
      )
        return { ok: false, code: 'oidc_code_invalid' };
      const user = await store.findUserById(consumed.userId);
      if (!user?.isActive) return { ok: false, code: 'oidc_account_inactive' };
      return { ok: true, outcome: await signIn.complete(user, { methods: ['fed'], client: info }) };
    },

    list: (userId) => store.listIdentities(userId),

    async unlink(caller, id) {
      const result = await store.unlinkIdentity(caller.user.id, id, (identity) => ({
        audit: auditBy(caller, 'identity.unlinked', clock(), {
          provider: identity.provider,
          issuer: identity.issuer,
          subject: identity.subject,
        }),
        now: clock(),
      }));
      if (result.ok) return { ok: true };
      return { ok: false, code: result.reason === 'last_method' ? 'oidc_last_method' : 'not_found' };
    },
  };
}
