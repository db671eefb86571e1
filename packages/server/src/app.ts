import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerOptions,
} from 'fastify';
import { keyRingFor, type KeyRing } from './auth/key-ring.js';
import type { PasswordHasher } from './auth/passwords.js';
import type { Config } from './config.js';
import { createCore, type Feature } from './core/core.js';
import { oneTimeTokenKey } from './core/one-time-tokens/one-time-tokens.js';
import { FEATURES } from './features/features.js';
import { registerBodyParsers } from './http/body-parsers.js';
import { clientErrorHandler } from './http/client-errors.js';
import { registerCors } from './http/cors.js';
import { registerErrorHandling } from './http/errors.js';
import { registerNullCharacterCheck } from './http/null-characters.js';
import { registerForwardingCheck } from './http/forwarding-check.js';
import { applySecurityHeaders, registerSecurityHeaders } from './http/security-headers.js';
import { webApp } from './http/web-app.js';
import { startSender, type SenderOptions } from './mail/start-sender.js';
import type { Store } from './store/store.js';

/** pino's levels that include `info`. */
const LEVELS_WITH_REQUEST_LINES = new Set(['trace', 'debug', 'info']);

export interface AppDeps {
  config: Config;
  store: Store;
  hasher: PasswordHasher;
  /** A fixed HMAC secret; by default GATEHOUSE_SIGNING_KEY, or else the keys kept in the database. */
  signingKey?: string;
  /** The signing keys, when the caller has opened them (auth/key-ring.ts); otherwise opened here. */
  keys?: KeyRing;
  clock?: () => Date;
  logger?: FastifyServerOptions['logger'];
  /** The features to register; every one of Gatehouse's by default (features/features.ts). */
  features?: readonly Feature[];
  /**
   * Deliver the mail queue in the background (mail/sender.ts): the server does (serve.ts); a test asks
   * for it, with its own poll interval and back-off. Off: messages are queued and wait.
   */
  mailSender?: boolean | SenderOptions;
}

/** Builds the whole HTTP application from its dependencies. Never listens and never reads the environment. */
export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, store, hasher } = deps;
  const clock = deps.clock ?? (() => new Date());

  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: config.bodyLimit,
    // Our own onResponse hook writes the one line per request.
    logController: new LogController({ disableRequestLogging: true }),
    // X-Forwarded-For decides the client IP (and so the login throttle's key) only behind a trusted proxy.
    trustProxy: config.trustedProxies.length > 0 ? [...config.trustedProxies] : false,
    // Slow clients: a request (head and body) must arrive whole within 15 s, its head within 10 s, checked
    // every second, so slowloris connections cannot pile up. Given to Node when it creates the server:
    // set later, Node's 60 s default for the head would stretch the body's limit to it.
    http: { requestTimeout: 15_000, headersTimeout: 10_000, connectionsCheckingInterval: 1_000 },
    // Fastify sets this on the server after creating it (0, none, by default): the same 15 s.
    requestTimeout: 15_000,
    clientErrorHandler,
    routerOptions: { ignoreTrailingSlash: true },
    // A URL the router cannot decode (`/api/%zz`): our error shape, not Fastify's.
    // Such replies skip the hooks, so the security headers are applied here too.
    frameworkErrors: (_error, _request, reply: FastifyReply) => {
      applySecurityHeaders(reply.code(400));
      return reply.send({ detail: 'Malformed URL.' });
    },
    ajv: {
      customOptions: { allErrors: true, coerceTypes: false, removeAdditional: false, useDefaults: false },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerBodyParsers(app);
  registerNullCharacterCheck(app);
  registerSecurityHeaders(app);
  registerForwardingCheck(app, config.trustedProxies);
  registerErrorHandling(app);
  // One line per request, without query string, headers or body: nothing secret reaches the log. Not
  // registered at all when the level leaves it out (production's warn): a hook costs on every request.
  if (LEVELS_WITH_REQUEST_LINES.has(app.log.level)) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.info(
        {
          method: request.method,
          path: request.url.split('?')[0],
          status: reply.statusCode,
          ms: reply.elapsedTime,
        },
        'request',
      );
      done();
    });
  }
  registerCors(app, config.corsAllowedOrigins);

  const keys =
    deps.keys ??
    (await keyRingFor(config.jwt, store, {
      clock,
      signingKey: deps.signingKey,
      onError: (error) =>
        app.log.error({ err: error }, 'reloading the signing keys failed; keeping the loaded ones'),
    }));
  const core = createCore({
    config,
    store,
    hasher,
    keys,
    clock,
    oneTimeTokenKey: await oneTimeTokenKey(store, clock(), config.jwt.keyEncryptionKey),
  });

  // Registered before the routes, so that it sees every route's schema.
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Gatehouse',
        version: '0.1.0',
        description:
          'Authentication API, wire-compatible with Django REST framework + simplejwt. Gatehouse’s own API is ' +
          'tagged `accounts` and `administration`; the tutorials’ routes are aliases kept for their clients.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });

  for (const feature of deps.features ?? FEATURES) await app.register(feature, core);
  if (config.webRoot !== undefined) {
    await app.register(webApp, { root: config.webRoot, sourceMaps: config.webSourceMaps });
  }
  // After the features, which define the kinds of mail and their composers.
  if (deps.mailSender) startSender(app, core, deps.mailSender === true ? {} : deps.mailSender);

  return app;
}
