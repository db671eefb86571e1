import type { Account } from './auth-state.js';
import type { GatehouseError } from './errors.js';
import { errorFromResponse, unexpectedResponse } from './errors.js';
import { readJson, type Http } from './http.js';
import type { Passkey, PasskeyCeremonies } from './passkeys.js';

/** An authenticator app to set up: the key, as text and as the URI its QR code carries. */
export interface TotpSetup {
  secret: string;
  otpauth_uri: string;
}

/** The second factors of the signed-in user. */
export interface SecondFactorSummary {
  totp: boolean;
  passkeys: number;
  recovery_codes_left: number;
}

/** A sign-in that set up the authenticator app (enrolment under policy): the recovery codes, shown once. */
export interface EnrolledSignIn {
  user: Account;
  recoveryCodes: string[];
}

/** The answer to a challenge: a code from the authenticator app, or one of the recovery codes. */
export type SecondFactorAnswer =
  { mfaToken: string; code: string } | { mfaToken: string; recoveryCode: string };

/** The second step of a login that answered `SecondFactorRequired`, and passkey sign-in. */
export interface SecondFactorSignIn {
  /** Answers the challenge with a code; signs in as `login` does. A wrong code: `invalid_mfa_code`. */
  completeSecondFactor(answer: SecondFactorAnswer): Promise<Account>;
  /** Under the server's policy (`mfa_enrollment_required`): a new authenticator-app key. */
  startTotpEnrollment(mfaToken: string): Promise<TotpSetup>;
  /** Confirms the new key with a code from the app; signs in and hands over the recovery codes. */
  confirmTotpEnrollment(mfaToken: string, code: string): Promise<EnrolledSignIn>;
  /** Passwordless: the browser asks for a passkey of this site, which signs in. Browser only. */
  signInWithPasskey(): Promise<Account>;
  /** Answers the challenge with a passkey (`hwk` listed). Browser only. */
  passkeySecondStep(mfaToken: string): Promise<Account>;
}

/** The signed-in user's factors. Adding or removing one needs a recent sign-in (`reauthentication_required`). */
export interface SecondFactorManagement {
  getSecondFactors(): Promise<SecondFactorSummary>;
  /** A new authenticator-app key, not in use until `confirmTotp`. */
  startTotp(): Promise<TotpSetup>;
  /** Turns the app on with a code from it; answers the recovery codes, shown once. */
  confirmTotp(code: string): Promise<string[]>;
  /** Turns the app off, with a code from it. */
  disableTotp(code: string): Promise<void>;
  /** New recovery codes; the old ones stop working. */
  regenerateRecoveryCodes(): Promise<string[]>;
  listPasskeys(): Promise<Passkey[]>;
  /** The browser creates a passkey for this site, saved under `name`. Browser only. */
  addPasskey(name: string): Promise<Passkey>;
  renamePasskey(id: string, name: string): Promise<Passkey>;
  removePasskey(id: string): Promise<void>;
}

export interface SecondFactorDeps {
  http: Http;
  authenticatedFetch(path: string, init: RequestInit): Promise<Response>;
  now(): number;
  /** Posts to a login route and starts the session it answers with; resolves to the whole answer. */
  signIn(path: string, body: object): Promise<{ user: Account; body: unknown }>;
  ceremonies: PasskeyCeremonies;
}

export function createSecondFactors({
  http,
  authenticatedFetch,
  now,
  signIn,
  ceremonies,
}: SecondFactorDeps): SecondFactorSignIn & SecondFactorManagement {
  async function signedIn(method: string, path: string, body?: object): Promise<unknown> {
    const headers = http.modeHeaders(new Headers({ accept: 'application/json' }));
    if (body !== undefined) headers.set('content-type', 'application/json');
    const init: RequestInit = { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) };
    const response = await authenticatedFetch(path, init);
    if (!response.ok) throw await errorFromResponse(response, now());
    return readJson(response);
  }
  const signInUser = async (path: string, body: object) => (await signIn(path, body)).user;

  return {
    completeSecondFactor: (answer) =>
      signInUser(
        '/api/auth/mfa/',
        'code' in answer
          ? { mfa_token: answer.mfaToken, code: answer.code }
          : { mfa_token: answer.mfaToken, recovery_code: answer.recoveryCode },
      ),
    startTotpEnrollment: async (mfaToken) =>
      readTotpSetup(await http.call('POST', '/api/auth/mfa/enroll/totp/', { body: { mfa_token: mfaToken } })),
    async confirmTotpEnrollment(mfaToken, code) {
      const { user, body } = await signIn('/api/auth/mfa/enroll/totp/confirm/', {
        mfa_token: mfaToken,
        code,
      });
      return { user, recoveryCodes: readRecoveryCodes(body) };
    },
    async signInWithPasskey() {
      const options = await http.call('POST', '/api/auth/passkey/options/', { body: {} });
      const credential = await ceremonies.authenticate(options);
      return signInUser('/api/auth/passkey/', { credential });
    },
    async passkeySecondStep(mfaToken) {
      const options = await http.call('POST', '/api/auth/mfa/passkey/options/', {
        body: { mfa_token: mfaToken },
      });
      const credential = await ceremonies.authenticate(options);
      return signInUser('/api/auth/mfa/passkey/', { mfa_token: mfaToken, credential });
    },

    getSecondFactors: async () => readSummary(await signedIn('GET', '/api/users/me/mfa/')),
    startTotp: async () => readTotpSetup(await signedIn('POST', '/api/users/me/mfa/totp/', {})),
    confirmTotp: async (code) =>
      readRecoveryCodes(await signedIn('POST', '/api/users/me/mfa/totp/confirm/', { code })),
    async disableTotp(code) {
      await signedIn('DELETE', '/api/users/me/mfa/totp/', { code });
    },
    regenerateRecoveryCodes: async () =>
      readRecoveryCodes(await signedIn('POST', '/api/users/me/mfa/recovery-codes/', {})),
    async listPasskeys() {
      const body = await signedIn('GET', '/api/users/me/passkeys/');
      const list = Array.isArray(body) ? body : isRecord(body) ? body['results'] : undefined;
      if (!Array.isArray(list)) throw unexpected('no list of passkeys');
      return list.map(readPasskey);
    },
    async addPasskey(name) {
      const options = await signedIn('POST', '/api/users/me/passkeys/options/', {});
      const credential = await ceremonies.register(options);
      return readPasskey(await signedIn('POST', '/api/users/me/passkeys/', { credential, name }));
    },
    renamePasskey: async (id, name) =>
      readPasskey(await signedIn('PATCH', `/api/users/me/passkeys/${encodeURIComponent(id)}/`, { name })),
    async removePasskey(id) {
      await signedIn('DELETE', `/api/users/me/passkeys/${encodeURIComponent(id)}/`);
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const unexpected = (what: string): GatehouseError =>
  unexpectedResponse(200, `The server's answer has ${what}.`);

function readTotpSetup(body: unknown): TotpSetup {
  if (!isRecord(body) || typeof body['secret'] !== 'string' || typeof body['otpauth_uri'] !== 'string') {
    throw unexpected('no secret');
  }
  return { secret: body['secret'], otpauth_uri: body['otpauth_uri'] };
}

function readRecoveryCodes(body: unknown): string[] {
  const codes = isRecord(body) ? body['recovery_codes'] : undefined;
  if (!Array.isArray(codes) || !codes.every((code) => typeof code === 'string')) {
    throw unexpected('no recovery codes');
  }
  return codes as string[];
}

function readSummary(body: unknown): SecondFactorSummary {
  if (!isRecord(body) || typeof body['totp'] !== 'boolean') throw unexpected('no second factors');
  const count = (value: unknown) => (typeof value === 'number' ? value : 0);
  return {
    totp: body['totp'],
    passkeys: count(body['passkeys']),
    recovery_codes_left: count(body['recovery_codes_left']),
  };
}

function readPasskey(body: unknown): Passkey {
  const id = isRecord(body) ? body['id'] : undefined;
  if (
    !isRecord(body) ||
    (typeof id !== 'string' && typeof id !== 'number') ||
    typeof body['name'] !== 'string'
  ) {
    throw unexpected('no passkey');
  }
  return { ...(body as unknown as Passkey), id: String(id) };
}
