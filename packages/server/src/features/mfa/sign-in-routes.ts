import {
  EnrolledSignInResponse,
  MfaAnswerRequest,
  MfaEnrollmentConfirmRequest,
  MfaEnrollmentRequest,
  MfaMessages,
  SignedInResponse,
  TotpEnrollmentResponse,
} from '@gatehouse/contract';
import type { Core, Feature } from '../../core/core.js';
import { invalidFields } from '../../http/errors.js';
import { allowOnly } from '../../http/method-not-allowed.js';
import { clientInfo } from '../../http/request-context.js';
import { checkBrowserRequest, signedInAnswer } from '../../http/token-delivery.js';
import { mfaError } from './errors.js';
import type { MfaService } from './service.js';
import { createMfaSignIn } from './sign-in-step.js';

const tags = ['accounts'];

/**
 * A login's second step (`mfa_required`), and the enrolment GATEHOUSE_MFA_REQUIRED asks for
 * (`mfa_enrollment_required`). Both end as a login does: the same answer, the same cookie in browser mode.
 */
export function signInRoutes(app: Parameters<Feature>[0], core: Core, mfa: MfaService): void {
  const { config, signIn, loginThrottle } = core;
  const steps = createMfaSignIn({ signIn, throttle: loginThrottle, mfa });

  app.post(
    '/api/auth/mfa/',
    {
      schema: {
        tags,
        summary: "A login's second step: the mfa_token and a code of the app, or a recovery code",
        body: MfaAnswerRequest,
        response: { 200: SignedInResponse },
      },
    },
    async (request, reply) => {
      checkBrowserRequest(request, config);
      const { mfa_token, code, recovery_code } = request.body;
      if ((code === undefined) === (recovery_code === undefined)) {
        throw invalidFields({ non_field_errors: [MfaMessages.oneAnswer] });
      }
      const answer = code !== undefined ? { code } : { recoveryCode: recovery_code ?? '' };
      const result = await steps.answer(mfa_token, answer, clientInfo(request));
      if (!result.ok) throw mfaError(result, true);
      return signedInAnswer(request, reply, config, result.session);
    },
  );
  allowOnly(app, '/api/auth/mfa/', ['POST']);

  app.post(
    '/api/auth/mfa/enroll/totp/',
    {
      schema: {
        tags,
        summary: 'A login held for enrolment: start setting up an authenticator app',
        body: MfaEnrollmentRequest,
        response: { 200: TotpEnrollmentResponse },
      },
    },
    async (request) => {
      const started = await steps.startEnrollment(request.body.mfa_token);
      if (!started.ok) throw mfaError(started, true);
      return { secret: started.secret, otpauth_uri: started.uri };
    },
  );
  allowOnly(app, '/api/auth/mfa/enroll/totp/', ['POST']);

  app.post(
    '/api/auth/mfa/enroll/totp/confirm/',
    {
      schema: {
        tags,
        summary:
          "A login held for enrolment: the app's first code confirms it; the login's answer and the recovery codes",
        body: MfaEnrollmentConfirmRequest,
        response: { 200: EnrolledSignInResponse },
      },
    },
    async (request, reply) => {
      checkBrowserRequest(request, config);
      const { mfa_token, code } = request.body;
      const result = await steps.confirmEnrollment(mfa_token, code, clientInfo(request));
      if (!result.ok) throw mfaError(result, true);
      return {
        ...signedInAnswer(request, reply, config, result.session),
        recovery_codes: result.recoveryCodes,
      };
    },
  );
  allowOnly(app, '/api/auth/mfa/enroll/totp/confirm/', ['POST']);
}
