import { Overloaded } from '../auth/concurrency.js';
import { STATUS_CODES } from './status-codes.js';
import { Messages, type ErrorBody, type ErrorCode, type FieldErrors } from '@gatehouse/contract';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SignInFailure } from '../core/sign-in.js';
import type { TokenRejection } from '../core/tokens.js';
import { isTransientDatabaseError } from '../store/database-errors.js';
import type { FieldProblems } from '../users/problems.js';
import { fieldErrors } from './messages.js';
import { CHALLENGE } from './security-headers.js';
import { toFieldErrors } from './validation.js';

/** The one error type routes throw for an expected failure: its body is sent as it is. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    readonly body: ErrorBody | FieldErrors,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(code);
    this.name = 'HttpError';
  }
}

export const invalidFields = (errors: FieldErrors) => new HttpError(400, 'invalid', errors);
/** A service's refusal, in DRF's words. */
export const invalidProblems = (problems: FieldProblems) => invalidFields(fieldErrors(problems));
export const notFound = () => new HttpError(404, 'not_found', { detail: Messages.notFound });
export const forbidden = () =>
  new HttpError(403, 'permission_denied', { detail: 'You do not have permission to perform this action.' });
/** Two Authorization headers: a proxy in front may have read the other one. */
export const duplicateAuthorization = () =>
  new HttpError(400, 'bad_authorization_header', {
    detail: 'Multiple Authorization headers are not allowed.',
  });
export const unauthorized = (code: ErrorCode, detail: string, withCode = false) =>
  new HttpError(401, code, withCode ? { detail, code } : { detail });

/** DRF's Throttled answer, with the Retry-After header. */
export const throttled = (retryAfter: number) =>
  new HttpError(
    429,
    'throttled',
    {
      detail: `Request was throttled. Expected available in ${retryAfter} second${retryAfter === 1 ? '' : 's'}.`,
    },
    { 'retry-after': String(retryAfter) },
  );

/** Seconds a client is told to wait when the database is out of reach (a restart takes a few). */
export const UNAVAILABLE_RETRY_AFTER = 5;

/** The database is out of reach for now (restarting, failing over, overloaded): try again shortly. */
export const serviceUnavailable = () =>
  new HttpError(
    503,
    'service_unavailable',
    { detail: Messages.serviceUnavailable, code: 'service_unavailable' },
    { 'retry-after': String(UNAVAILABLE_RETRY_AFTER) },
  );

/** Too many passwords are waiting to be hashed: try again in a moment (auth/concurrency.ts). */
export const overloaded = (retryAfter: number) =>
  new HttpError(
    503,
    'service_unavailable',
    { detail: Messages.serviceUnavailable, code: 'service_unavailable' },
    { 'retry-after': String(retryAfter) },
  );

/** A sensitive change asked for a sign-in more recent than the caller's session has. */
export const reauthenticationRequired = () =>
  new HttpError(403, 'reauthentication_required', {
    detail: Messages.reauthenticationRequired,
    code: 'reauthentication_required',
  });

/**
 * A refused login: throttled; simplejwt's one answer for unknown user, wrong password and inactive
 * account; or a right first factor on an account that asks for a second, or whose address must be
 * verified first, answered as a 401 so that the tutorials' simplejwt clients, which look for `access`,
 * fail closed instead of keeping half a login.
 */
export function signInError(failure: SignInFailure): HttpError {
  if ('next' in failure && failure.next === 'enroll_second_factor') {
    return new HttpError(401, 'mfa_enrollment_required', {
      detail: Messages.secondFactorEnrollmentRequired,
      code: 'mfa_enrollment_required',
      mfa_token: failure.enrollment,
    });
  }
  if ('next' in failure) {
    return new HttpError(401, 'mfa_required', {
      detail: Messages.secondFactorRequired,
      code: 'mfa_required',
      mfa_token: failure.challenge,
      methods: failure.methods,
    });
  }
  switch (failure.code) {
    case 'throttled':
      return throttled(failure.retryAfter);
    case 'email_not_verified':
      return unauthorized('email_not_verified', Messages.emailNotVerified, true);
    default:
      return unauthorized('no_active_account', Messages.noActiveAccount);
  }
}

const REJECTION_MESSAGES: Record<TokenRejection, string> = {
  invalid: Messages.tokenInvalid,
  wrong_type: Messages.tokenWrongType,
  no_type: Messages.tokenNoType,
  no_id: Messages.tokenNoId,
  no_user_id: Messages.tokenNoUserId,
  blacklisted: Messages.tokenBlacklisted,
  user_inactive: Messages.userInactive,
  user_not_found: Messages.userNotFound,
};

/** A refused token at the token endpoints (refresh, blacklist, verify), as simplejwt's InvalidToken. */
export function tokenEndpointError(reason: TokenRejection): HttpError {
  if (reason === 'user_inactive' || reason === 'user_not_found') {
    return unauthorized('no_active_account', Messages.noActiveAccountForToken, true);
  }
  return unauthorized('token_not_valid', REJECTION_MESSAGES[reason], true);
}

/** A refused access token on a protected route, as simplejwt's JWTAuthentication words it. */
export function authenticationError(reason: TokenRejection): HttpError {
  switch (reason) {
    case 'user_inactive':
      return unauthorized('user_inactive', Messages.userInactive, true);
    case 'user_not_found':
      return unauthorized('user_not_found', Messages.userNotFound, true);
    case 'no_user_id':
      return unauthorized('token_not_valid', Messages.tokenNoUserId, true);
    default:
      return new HttpError(401, 'token_not_valid', {
        detail: Messages.tokenNotValidForAnyType,
        code: 'token_not_valid',
        messages: [{ token_class: 'AccessToken', token_type: 'access', message: REJECTION_MESSAGES[reason] }],
      });
  }
}

/**
 * One error handler: expected errors keep their status and body; framework errors below 500 get a
 * short generic body; a database out of reach is a 503 with Retry-After; anything else is logged with
 * the request id and answered as a bare 500, so no stack trace or internal message ever reaches a client.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof HttpError) {
      if (error.statusCode === 401) reply.header('www-authenticate', CHALLENGE);
      return reply.code(error.statusCode).headers(error.headers).send(error.body);
    }
    if (error instanceof Overloaded) {
      request.log.warn('password hashing queue full: answered 503');
      const busy = overloaded(error.retryAfter);
      return reply.code(busy.statusCode).headers(busy.headers).send(busy.body);
    }
    if (isTransientDatabaseError(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      const unavailable = serviceUnavailable();
      return reply.code(unavailable.statusCode).headers(unavailable.headers).send(unavailable.body);
    }
    if (error.validation) {
      const schema = request.routeOptions.schema?.body as { properties?: object } | undefined;
      return reply.code(400).send(toFieldErrors(error.validation, schema, request.body));
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'unhandled error');
      return reply.code(500).send({ detail: Messages.serverError });
    }
    return reply.code(status).send({ detail: clientErrorDetail(error, request) });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ detail: Messages.notFound }));
}

function clientErrorDetail(error: FastifyError, request: FastifyRequest): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `Unsupported media type "${request.headers['content-type'] ?? ''}" in request.`;
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return Messages.bodyTooLarge;
    default:
      return STATUS_CODES[error.statusCode ?? 400] ?? 'Bad Request';
  }
}
