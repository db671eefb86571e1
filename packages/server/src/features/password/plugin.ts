import {
  credentialsSchema,
  PasswordChangeRequest,
  SignedInResponse,
  SignUpRequest,
} from '@gatehouse/contract';
import type { Core, Feature } from '../../core/core.js';
import { invalidProblems, signInError } from '../../http/errors.js';
import { allowOnly } from '../../http/method-not-allowed.js';
import { RATE_LIMITS } from '../../http/rate-limit.js';
import { clientInfo } from '../../http/request-context.js';
import { checkBrowserRequest, signedInAnswer } from '../../http/token-delivery.js';
import { emailService } from '../email/plugin.js';
import { createPasswordService, type PasswordService } from './service.js';

const tags = ['accounts'];

/** The password service over the core; the tutorials' aliases (compat) build theirs with it too. */
export function passwordService(core: Core): PasswordService {
  const { users, store, clock, signIn, config, mail } = core;
  const email = emailService(core);
  return createPasswordService({
    users,
    throttle: core.loginThrottle,
    signIn,
    store,
    clock,
    accountMail: (client) => email.accountMail(client),
    requireEmail: config.mail.emailVerification === 'mandatory',
    ...(config.mail.notices.includes('password_changed') && { notice: { wake: () => mail.wake() } }),
  });
}

/** The identifier the credentials carry (the schema requires one), `first` when both are sent. */
export function identifierOf(
  { username, email }: { username?: string; email?: string },
  first: 'username' | 'email',
): string {
  return (first === 'email' ? (email ?? username) : (username ?? email)) ?? '';
}

/**
 * Signing in with a password, registering with one, and changing it, in token mode or browser mode
 * (the refresh token in an httpOnly cookie: http/token-delivery.ts). The login is shared with tutorial B,
 * whose clients send `email`.
 */
export const passwordFeature: Feature = async (app, core) => {
  const { guards, rateLimit, config } = core;
  const passwords = passwordService(core);

  app.post(
    '/api/users/',
    {
      schema: {
        tags,
        summary: 'Register: a new account, signed in',
        body: SignUpRequest,
        response: { 201: SignedInResponse },
      },
      onRequest: rateLimit(RATE_LIMITS.register),
    },
    async (request, reply) => {
      checkBrowserRequest(request, config);
      const { username, email, password, first_name, last_name } = request.body;
      const result = await passwords.signUp(
        {
          username,
          email: email ?? null,
          password,
          ...(first_name !== undefined && { firstName: first_name }),
          ...(last_name !== undefined && { lastName: last_name }),
        },
        clientInfo(request),
      );
      if (!result.ok) throw 'problems' in result ? invalidProblems(result.problems) : signInError(result);
      return reply.code(201).send(signedInAnswer(request, reply, config, result.session));
    },
  );

  app.post(
    '/api/auth/login/',
    {
      schema: {
        tags,
        summary: 'Log in with a username or an email: tokens and the account',
        body: credentialsSchema('email'),
        response: { 200: SignedInResponse },
      },
    },
    async (request, reply) => {
      checkBrowserRequest(request, config);
      const result = await passwords.signIn(
        identifierOf(request.body, 'email'),
        request.body.password,
        clientInfo(request),
      );
      if (!result.ok) throw signInError(result);
      return signedInAnswer(request, reply, config, result.session);
    },
  );
  allowOnly(app, '/api/auth/login/', ['POST']);

  app.post(
    '/api/users/me/password/',
    {
      preValidation: guards.signedIn,
      schema: {
        tags,
        summary: 'Change the password (needs the current one; ends every other session)',
        body: PasswordChangeRequest,
      },
      onRequest: rateLimit(RATE_LIMITS.password),
    },
    async (request, reply) => {
      const { current_password, new_password } = request.body;
      const result = await passwords.changePassword(guards.caller(request), current_password, new_password);
      if (!result.ok) throw invalidProblems(result.problems);
      return reply.code(204).send();
    },
  );
  allowOnly(app, '/api/users/me/password/', ['POST']);
};
