import {
  MfaStatusResponse,
  RecoveryCodesResponse,
  TotpCodeRequest,
  TotpDisableRequest,
  TotpEnrollmentResponse,
} from '@gatehouse/contract';
import type { Core, Feature } from '../../core/core.js';
import { allowOnly } from '../../http/method-not-allowed.js';
import { RATE_LIMITS } from '../../http/rate-limit.js';
import { adminRoutes } from './admin-routes.js';
import { mfaError } from './errors.js';
import { mfaKeys } from './keys.js';
import { createMfaService, type MfaService } from './service.js';
import { signInRoutes } from './sign-in-routes.js';

const tags = ['accounts'];

/** The feature's service over the core. */
export async function mfaService(core: Core): Promise<MfaService> {
  const { store, clock, config, mail } = core;
  return createMfaService({
    store,
    keys: await mfaKeys(store, clock(), config.jwt.keyEncryptionKey),
    clock,
    issuer: config.mail.siteName,
    ...(config.mail.notices.includes('mfa_changed') && { notice: { wake: () => mail.wake() } }),
  });
}

/**
 * Second factors: an authenticator app (RFC 6238) and recovery codes, set up and removed by their owner
 * after a recent sign-in; the login's second step; the enrolment GATEHOUSE_MFA_REQUIRED asks for; and the
 * administrators' view and reset.
 */
export const mfaFeature: Feature = async (app, core) => {
  const { guards, rateLimit, store, signIn } = core;
  const mfa = await mfaService(core);
  // A confirmed app only: one pending enrolment asks nothing more of a login.
  signIn.addSecondFactor({
    method: 'otp',
    enrolled: async (user) => (await store.findTotpFactor(user.id))?.confirmedAt !== undefined,
  });

  app.get(
    '/api/users/me/mfa/',
    {
      preValidation: guards.signedIn,
      schema: { tags, summary: "The caller's second factors", response: { 200: MfaStatusResponse } },
    },
    async (request) => {
      const status = await mfa.status(guards.caller(request).user);
      return { totp: status.totp, passkeys: status.passkeys, recovery_codes_left: status.recoveryCodesLeft };
    },
  );
  allowOnly(app, '/api/users/me/mfa/', ['GET']);

  app.post(
    '/api/users/me/mfa/totp/',
    {
      preValidation: guards.recentlyAuthenticated,
      schema: {
        tags,
        summary:
          'Start setting up an authenticator app (a recent sign-in): its secret, pending for 10 minutes',
        response: { 200: TotpEnrollmentResponse },
      },
    },
    async (request) => {
      const started = await mfa.startTotp(guards.caller(request).user);
      if (!started.ok) throw mfaError(started);
      return { secret: started.secret, otpauth_uri: started.uri };
    },
  );
  app.delete(
    '/api/users/me/mfa/totp/',
    {
      preValidation: guards.recentlyAuthenticated,
      schema: {
        tags,
        summary: 'Remove the authenticator app and the recovery codes (a current code or a recovery code)',
        body: TotpDisableRequest,
      },
      onRequest: rateLimit(RATE_LIMITS.password),
    },
    async (request, reply) => {
      const result = await mfa.disableTotp(guards.caller(request), request.body.code);
      if (!result.ok) throw mfaError(result);
      return reply.code(204).send();
    },
  );
  allowOnly(app, '/api/users/me/mfa/totp/', ['POST', 'DELETE']);

  app.post(
    '/api/users/me/mfa/totp/confirm/',
    {
      preValidation: guards.recentlyAuthenticated,
      schema: {
        tags,
        summary:
          'Confirm the pending app with its first code: it is active; the recovery codes, shown this once',
        body: TotpCodeRequest,
        response: { 200: RecoveryCodesResponse },
      },
      onRequest: rateLimit(RATE_LIMITS.password),
    },
    async (request) => {
      const result = await mfa.confirmTotp(guards.caller(request), request.body.code);
      if (!result.ok) throw mfaError(result);
      return { recovery_codes: result.recoveryCodes };
    },
  );
  allowOnly(app, '/api/users/me/mfa/totp/confirm/', ['POST']);

  app.post(
    '/api/users/me/mfa/recovery-codes/',
    {
      preValidation: guards.recentlyAuthenticated,
      schema: {
        tags,
        summary: 'A new batch of recovery codes (a recent sign-in); the old batch no longer works',
        response: { 200: RecoveryCodesResponse },
      },
    },
    async (request) => {
      const result = await mfa.regenerateRecoveryCodes(guards.caller(request));
      if (!result.ok) throw mfaError(result);
      return { recovery_codes: result.recoveryCodes };
    },
  );
  allowOnly(app, '/api/users/me/mfa/recovery-codes/', ['POST']);

  signInRoutes(app, core, mfa);
  adminRoutes(app, core, mfa);
};
