import {
  IdentityListResponse,
  Messages,
  OIDC_PROVIDER_NAME_PATTERN,
  OidcExchangeRequest,
  OidcProviderListResponse,
  OidcStartQuery,
  SignedInResponse,
} from '@gatehouse/contract';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Core, Feature } from '../../core/core.js';
import { SESSION_CLAIM } from '../../core/session-issuer.js';
import { HttpError, notFound, signInError } from '../../http/errors.js';
import { allowOnly } from '../../http/method-not-allowed.js';
import type { RateLimitRule } from '../../http/rate-limit.js';
import { readRefreshCookie, setRefreshCookie } from '../../http/refresh-cookie.js';
import { clientInfo } from '../../http/request-context.js';
import { checkBrowserRequest, signedInAnswer } from '../../http/token-delivery.js';
import { createOidcService, FLOW_TTL } from './service.js';
import { presentIdentity } from './presenter.js';

const tags = ['oidc'];

/** Per client IP, on the routes that need no sign-in: each start writes a flow, each exchange spends a code. */
export const OIDC_RATE_LIMIT: RateLimitRule = { name: 'oidc', limit: 120, windowSeconds: 60 };

/** The browser binding of a flow: httpOnly, Lax (the provider's redirect back is a cross-site navigation). */
export const BINDING_COOKIE = 'gatehouse_oidc';
const BINDING_PATH = '/api/auth/oidc/';

const ProviderParams = Type.Object({ name: Type.String({ pattern: OIDC_PROVIDER_NAME_PATTERN }) });
const IdentityParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
/** An authorization response (RFC 6749 §4.1.2, RFC 9207's iss); anything else a provider adds is kept. */
const CallbackQuery = Type.Object(
  {
    state: Type.Optional(Type.String({ maxLength: 512 })),
    code: Type.Optional(Type.String({ maxLength: 2048 })),
    iss: Type.Optional(Type.String({ maxLength: 2048 })),
    error: Type.Optional(Type.String({ maxLength: 256 })),
    error_description: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  { additionalProperties: Type.String({ maxLength: 2048 }) },
);

const unknownProvider = () =>
  new HttpError(404, 'oidc_unknown_provider', {
    detail: 'No sign-in provider of that name is enabled.',
    code: 'oidc_unknown_provider',
  });

const bindingCookieName = (request: FastifyRequest) =>
  request.protocol === 'https' ? `__Secure-${BINDING_COOKIE}` : BINDING_COOKIE;

function bindingCookie(request: FastifyRequest, value: string): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${bindingCookieName(request)}=${value}; Path=${BINDING_PATH}; Max-Age=${FLOW_TTL}; HttpOnly; SameSite=Lax${secure}`;
}

/** The binding the request carries; two of them (one planted by a sibling site) count as none. */
function readBinding(request: FastifyRequest): string | undefined {
  const wanted = bindingCookieName(request);
  const values = (request.headers.cookie ?? '')
    .split(';')
    .map((part) => part.trim().split('='))
    .filter(([name]) => name === wanted)
    .map(([, ...value]) => value.join('='));
  return values.length === 1 ? values[0] : undefined;
}

/**
 * Sign in with OIDC and OAuth 2 providers (GATEHOUSE_OIDC_PROVIDERS): the browser flow (start, callback),
 * the exchange of a callback's single-use code, and the caller's linked identities.
 */
export const oidcFeature: Feature = async (app, core: Core) => {
  const { config, guards, rateLimit, store, mail, clock, tokens } = core;
  const oidc = createOidcService({
    providers: config.oidc.providers,
    publicUrl: config.mail.publicUrl,
    corsOrigins: config.corsAllowedOrigins,
    store,
    oneTimeTokens: core.oneTimeTokens,
    signIn: core.signIn,
    clock,
    ...(config.mail.notices.includes('identity_linked') && { notice: { wake: () => mail.wake() } }),
    requireVerifiedEmail: config.mail.emailVerification === 'mandatory',
  });

  /**
   * Who starts a link: the browser's refresh cookie (a navigation carries no Authorization header), its
   * session open and its sign-in recent; else why not.
   */
  async function linkingUser(
    request: FastifyRequest,
  ): Promise<number | 'not_authenticated' | 'reauthentication_required'> {
    const cookie = readRefreshCookie(request);
    const token = 'token' in cookie ? cookie.token : undefined;
    if (token === undefined) return 'not_authenticated';
    const verified = await tokens.verify(token);
    if (!verified.ok) return 'not_authenticated';
    // Verified above (signature, expiry, not spent): its claims can be read.
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const userId = claims[config.jwt.userIdClaim];
    const sessionId = claims[SESSION_CLAIM];
    const authTime = claims['auth_time'];
    if (
      claims[config.jwt.tokenTypeClaim] !== 'refresh' ||
      typeof userId !== 'number' ||
      typeof sessionId !== 'string'
    ) {
      return 'not_authenticated';
    }
    const subject = await store.findAccessSubject(userId, sessionId);
    if (!subject?.user.isActive || !subject.sessionActive) return 'not_authenticated';
    const age = Math.floor(clock().getTime() / 1000) - (typeof authTime === 'number' ? authTime : -Infinity);
    if (!(age <= config.sessions.reauthenticationWindow)) return 'reauthentication_required';
    return subject.user.id;
  }

  const redirect = (reply: FastifyReply, location: string) =>
    reply.header('cache-control', 'no-store').redirect(location, 302);

  app.get(
    '/api/auth/oidc/providers/',
    {
      schema: {
        tags,
        summary: 'The enabled sign-in providers, for the login page’s buttons',
        response: { 200: OidcProviderListResponse },
      },
    },
    async () =>
      oidc.providers().map((provider) => ({ name: provider.name, display_name: provider.displayName })),
  );
  allowOnly(app, '/api/auth/oidc/providers/', ['GET']);

  app.get(
    '/api/auth/oidc/:name/start',
    {
      schema: {
        tags,
        summary:
          'Start signing in with a provider: 302 to it (PKCE S256, state, nonce), the flow bound to this browser by a cookie; a next of another origin needs code_challenge (else 302 to next#oidc_error=oidc_failed); intent=link adds it to the signed-in account (this origin’s pages only, recent sign-in; else 302 to next#oidc_error=link_not_same_origin, not_authenticated or reauthentication_required)',
        params: ProviderParams,
        querystring: OidcStartQuery,
      },
      onRequest: rateLimit(OIDC_RATE_LIMIT),
    },
    async (request, reply) => {
      const { name } = request.params;
      if (!oidc.providers().some((provider) => provider.name === name)) throw unknownProvider();
      const intent = request.query.intent ?? 'login';
      // A link starts from this site's own pages (or a typed URL, a bookmark: `none`): a sibling
      // subdomain's page (`same-site`) could otherwise navigate a signed-in user into linking an identity
      // of its choosing. A browser that sends no Sec-Fetch-Site is let through (the binding cookie and the
      // recent sign-in still hold).
      const site = request.headers['sec-fetch-site'];
      if (intent === 'link' && site !== undefined && site !== 'same-origin' && site !== 'none')
        return redirect(reply, oidc.linkRefusal(request.query.next, 'link_not_same_origin'));
      const linkUserId = intent === 'link' ? await linkingUser(request) : undefined;
      // A navigation: the refusal goes back to the page that started it (its fragment says why), not as
      // JSON in its place.
      if (typeof linkUserId === 'string')
        return redirect(reply, oidc.linkRefusal(request.query.next, linkUserId));
      const started = await oidc.start(name, {
        next: request.query.next,
        intent,
        ...(linkUserId !== undefined && { linkUserId }),
        ...(request.query.code_challenge !== undefined && { codeChallenge: request.query.code_challenge }),
      });
      if (!started.ok) {
        if (started.code === 'oidc_failed') return redirect(reply, started.location);
        throw unknownProvider();
      }
      reply.header('set-cookie', bindingCookie(request, started.binding));
      return redirect(reply, started.location);
    },
  );
  allowOnly(app, '/api/auth/oidc/:name/start', ['GET']);

  app.get(
    '/api/auth/oidc/:name/callback',
    {
      schema: {
        tags,
        summary:
          "The provider's redirect back: 302 to next (signed in, the refresh cookie set), to a page with a single-use #code=, or to /login#oidc_error= (a link's refusal: next#oidc_error=)",
        params: ProviderParams,
        querystring: CallbackQuery,
      },
      onRequest: rateLimit(OIDC_RATE_LIMIT),
    },
    async (request, reply) => {
      const query = Object.fromEntries(
        Object.entries(request.query).filter(
          (entry): entry is [string, string] => typeof entry[1] === 'string',
        ),
      );
      const answer = await oidc.callback(
        request.params.name,
        query,
        readBinding(request),
        clientInfo(request),
      );
      if (!answer.ok) throw unknownProvider();
      if (answer.session) {
        setRefreshCookie(request, reply, answer.session.tokens.refresh, config.jwt.refreshTokenLifetime);
      }
      return redirect(reply, answer.location);
    },
  );
  allowOnly(app, '/api/auth/oidc/:name/callback', ['GET']);

  app.post(
    '/api/auth/oidc/exchange/',
    {
      schema: {
        tags,
        summary:
          "A callback's single-use code (60 seconds) for what a login answers: tokens and the account, or 401 mfa_required; a code handed to another origin needs the code_verifier of its flow's code_challenge",
        body: OidcExchangeRequest,
        response: { 200: SignedInResponse },
      },
      onRequest: rateLimit(OIDC_RATE_LIMIT),
    },
    async (request, reply) => {
      checkBrowserRequest(request, config);
      const result = await oidc.exchange(request.body.code, request.body.code_verifier, clientInfo(request));
      if (!result.ok) {
        const detail =
          result.code === 'oidc_code_invalid'
            ? 'The sign-in code is invalid, used or expired. Sign in again.'
            : Messages.noActiveAccount;
        throw new HttpError(400, result.code, { detail, code: result.code });
      }
      if (!result.outcome.ok) throw signInError(result.outcome);
      return signedInAnswer(request, reply, config, result.outcome.session);
    },
  );
  allowOnly(app, '/api/auth/oidc/exchange/', ['POST']);

  app.get(
    '/api/users/me/identities/',
    {
      preValidation: guards.signedIn,
      schema: {
        tags,
        summary: "The caller's linked provider identities, oldest first",
        response: { 200: IdentityListResponse },
      },
    },
    async (request) =>
      (await oidc.list(guards.caller(request).user.id)).map((identity) =>
        presentIdentity(identity, config.oidc.providers),
      ),
  );
  allowOnly(app, '/api/users/me/identities/', ['GET']);

  app.delete(
    '/api/users/me/identities/:id/',
    {
      preValidation: guards.recentlyAuthenticated,
      schema: {
        tags,
        summary:
          'Unlink one of the caller’s identities (recent sign-in; refused for the last way to sign in)',
        params: IdentityParams,
      },
    },
    async (request, reply) => {
      const result = await oidc.unlink(guards.caller(request), request.params.id);
      if (!result.ok) {
        if (result.code === 'not_found') throw notFound();
        throw new HttpError(400, 'oidc_last_method', {
          detail: 'This is the last way to sign in to the account: set a password or add a passkey first.',
          code: 'oidc_last_method',
        });
      }
      return reply.code(204).send();
    },
  );
  allowOnly(app, '/api/users/me/identities/:id/', ['DELETE']);
};
