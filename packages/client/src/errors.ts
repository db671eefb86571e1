import type { ErrorCode, FieldErrors } from '@gatehouse/contract';

/** The second factor's refusals (issue 15), until the contract lists them. */
export type SecondFactorErrorCode =
  'mfa_required' | 'mfa_enrollment_required' | 'invalid_mfa_code' | 'invalid_mfa_token';

/** A server error code, or one of those the client itself reports. */
export type GatehouseErrorCode =
  | ErrorCode
  | SecondFactorErrorCode
  | 'network_error'
  | 'unexpected_response'
  | 'cross_origin_path'
  | 'passkey_failed';

export interface GatehouseErrorInit {
  status: number;
  code: GatehouseErrorCode;
  detail: string;
  fieldErrors?: FieldErrors;
  retryAfter?: number | undefined;
  cause?: unknown;
}

/**
 * Every failure of the client: a refusal by the server (its status, stable `code`, `detail` and DRF field
 * errors), a network failure (`network_error`, status 0), an answer the client cannot read
 * (`unexpected_response`), or a path given to `client.fetch` that leads to another origin
 * (`cross_origin_path`, status 0: nothing was sent).
 *
 * @example
 * try {
 *   await client.login({ username, password });
 * } catch (error) {
 *   if (!(error instanceof GatehouseError)) throw error;
 *   switch (error.code) {
 *     case 'no_active_account': return showMessage('Wrong username or password');
 *     case 'throttled': return showMessage(`Try again in ${error.retryAfter ?? 60} s`);
 *     case 'invalid': return showFieldErrors(error.fieldErrors);
 *     case 'network_error': return showMessage('You are offline');
 *   }
 * }
 */
export class GatehouseError extends Error {
  readonly status: number;
  readonly code: GatehouseErrorCode;
  readonly detail: string;
  readonly fieldErrors: FieldErrors;
  /** Seconds to wait before trying again (429 and 503 answers). */
  readonly retryAfter: number | undefined;

  constructor(init: GatehouseErrorInit) {
    super(init.detail, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'GatehouseError';
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.fieldErrors = init.fieldErrors ?? {};
    this.retryAfter = init.retryAfter;
  }
}

/** What a second factor can answer a challenge with: an authenticator app (`otp`), a passkey (`hwk`). */
export type SecondFactorMethod = 'otp' | 'hwk' | (string & {});

/**
 * A login that needs one more step: a `GatehouseError` (status 401), so callers that only know errors
 * keep working. `code` is `mfa_required` (answer with `completeSecondFactor` or `passkeySecondStep`;
 * a recovery code works whenever `otp` is listed) or `mfa_enrollment_required` (the server's policy
 * wants a second factor first: `startTotpEnrollment`). `mfaToken` is the challenge: keep it in memory.
 *
 * @example
 * try {
 *   await auth.login({ username, password });
 * } catch (error) {
 *   if (error instanceof SecondFactorRequired) return askForCode(error.mfaToken, error.methods);
 *   throw error;
 * }
 */
export class SecondFactorRequired extends GatehouseError {
  declare readonly code: 'mfa_required' | 'mfa_enrollment_required';
  readonly mfaToken: string;
  /** The factors that can answer (none when the user must first set one up). */
  readonly methods: readonly SecondFactorMethod[];
  /** The user has no second factor yet and must set one up to sign in. */
  readonly enrollment: boolean;

  constructor(init: GatehouseErrorInit & { mfaToken: string; methods: readonly string[] }) {
    super(init);
    this.name = 'SecondFactorRequired';
    this.mfaToken = init.mfaToken;
    this.methods = init.methods;
    this.enrollment = init.code === 'mfa_enrollment_required';
  }
}

export function networkError(cause: unknown): GatehouseError {
  return new GatehouseError({ status: 0, code: 'network_error', detail: 'Network request failed.', cause });
}

export function crossOriginPath(path: string, origin: string): GatehouseError {
  return new GatehouseError({
    status: 0,
    code: 'cross_origin_path',
    detail: `${JSON.stringify(path)} is a path, yet it leads to ${origin}: not sent.`,
  });
}

export function unexpectedResponse(status: number, detail: string): GatehouseError {
  return new GatehouseError({ status, code: 'unexpected_response', detail });
}

/** Codes for bodies that carry none (DRF sends `code` only with some 401s), per status. */
export type StatusCodes = Partial<Record<number, ErrorCode>>;

const DEFAULT_CODES: StatusCodes = {
  400: 'invalid',
  401: 'not_authenticated',
  403: 'permission_denied',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'throttled',
};

/**
 * Reads a refusal from Gatehouse's API: `{detail, code?}`, or DRF's field errors (`{field: [message]}`),
 * and Retry-After. For the app's own calls through `client.fetch`.
 *
 * @example
 * const response = await auth.fetch('/api/users/me/', { method: 'PATCH', body, headers });
 * if (!response.ok) throw await errorFromResponse(response);
 */
export async function errorFromResponse(
  response: Response,
  now: number = Date.now(),
  codes: StatusCodes = {},
): Promise<GatehouseError> {
  const body = await response.json().catch(() => undefined);
  const fieldErrors = readFieldErrors(body);
  const detail = readDetail(body) ?? firstMessage(fieldErrors) ?? (response.statusText || 'Request failed.');
  const code = readCode(body) ?? codes[response.status] ?? statusCode(response.status);
  const retryAfter =
    readRetryAfter(response.headers.get('retry-after'), now) ??
    (response.status === 429 ? fromDetail(detail) : undefined);
  const init = { status: response.status, code, detail, fieldErrors, retryAfter };
  const challenge = readChallenge(body, code);
  return challenge ? new SecondFactorRequired({ ...init, ...challenge }) : new GatehouseError(init);
}

function readChallenge(body: unknown, code: GatehouseErrorCode) {
  if (code !== 'mfa_required' && code !== 'mfa_enrollment_required') return undefined;
  if (!isRecord(body) || typeof body['mfa_token'] !== 'string') return undefined;
  const methods = Array.isArray(body['methods']) ? body['methods'].filter((m) => typeof m === 'string') : [];
  return { code, mfaToken: body['mfa_token'], methods };
}

function statusCode(status: number): GatehouseErrorCode {
  if (status >= 500) return 'server_error';
  return DEFAULT_CODES[status] ?? 'unexpected_response';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readDetail(body: unknown): string | undefined {
  return isRecord(body) && typeof body['detail'] === 'string' ? body['detail'] : undefined;
}

function readCode(body: unknown): GatehouseErrorCode | undefined {
  // The server's codes are the contract's ErrorCode union; the client trusts it rather than re-listing it.
  return isRecord(body) && typeof body['code'] === 'string' ? (body['code'] as ErrorCode) : undefined;
}

function readFieldErrors(body: unknown): FieldErrors {
  const errors: FieldErrors = {};
  if (!isRecord(body)) return errors;
  for (const [field, messages] of Object.entries(body)) {
    if (Array.isArray(messages) && messages.every((message) => typeof message === 'string')) {
      errors[field] = messages;
    }
  }
  return errors;
}

function firstMessage(errors: FieldErrors): string | undefined {
  return (errors['non_field_errors'] ?? Object.values(errors)[0])?.[0];
}

function readRetryAfter(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

// A cross-origin page cannot read Retry-After unless the server exposes it; DRF's text says it too.
function fromDetail(detail: string): number | undefined {
  const match = /available in (\d+) second/.exec(detail);
  return match ? Number(match[1]) : undefined;
}
