import { MfaMessages, type ErrorCode } from '@gatehouse/contract';
import { HttpError, throttled } from '../../http/errors.js';

type Refusal =
  | {
      ok: false;
      code:
        | 'invalid_mfa_token'
        | 'totp_already_enabled'
        | 'totp_not_enabled'
        | 'no_pending_totp'
        | 'mfa_not_enabled';
    }
  | { ok: false; code: 'invalid_mfa_code'; attemptsLeft?: number }
  | { ok: false; code: 'throttled'; retryAfter: number };

const refusal = (status: number, code: ErrorCode, detail: string, extra: object = {}) =>
  new HttpError(status, code, { detail, code, ...extra });

/**
 * The feature's refusals. At a sign-in's second step a wrong code is a 401 (no session, as a wrong
 * password), with the attempts the challenge has left; for a signed-in caller it is a 400, so a client
 * does not take it for an expired session.
 */
export function mfaError(result: Refusal, signingIn = false): HttpError {
  switch (result.code) {
    case 'throttled':
      return throttled(result.retryAfter);
    case 'invalid_mfa_token':
      return refusal(401, result.code, MfaMessages.invalidToken);
    case 'invalid_mfa_code':
      return signingIn
        ? refusal(401, result.code, MfaMessages.invalidCode, { attempts_left: result.attemptsLeft ?? 0 })
        : refusal(400, result.code, MfaMessages.invalidCode);
    case 'totp_already_enabled':
      return refusal(409, result.code, MfaMessages.totpAlreadyEnabled);
    case 'totp_not_enabled':
      return refusal(409, result.code, MfaMessages.totpNotEnabled);
    case 'no_pending_totp':
      return refusal(409, result.code, MfaMessages.noPendingTotp);
    case 'mfa_not_enabled':
      return refusal(409, result.code, MfaMessages.mfaNotEnabled);
  }
}
