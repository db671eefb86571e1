import { Type, type Static } from 'typebox';

/** Generous, checked before any hashing, so a huge password cannot be used to burn CPU. */
export const PASSWORD_MAX_LENGTH = 1024;
/** Long enough for any JWT Gatehouse issues; longer strings are rejected before parsing. */
export const TOKEN_MAX_LENGTH = 8192;
export const IDENTIFIER_MAX_LENGTH = 254;

const Identifier = Type.String({ minLength: 1, maxLength: IDENTIFIER_MAX_LENGTH });
const Password = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH });
const Jwt = Type.String({ minLength: 1, maxLength: TOKEN_MAX_LENGTH });

/**
 * Login credentials: a username or an email, and a password. `primary` is the identifier field the
 * route's clients send (`username` for tutorial A's /api/token/, `email` for simplejwt's stock views);
 * it is listed first and is the one named when neither is present.
 */
export function credentialsSchema(primary: 'username' | 'email') {
  const options = {
    anyOf: [{ required: [primary] }, { required: [primary === 'username' ? 'email' : 'username'] }],
  };
  return primary === 'username'
    ? Type.Object(
        { username: Type.Optional(Identifier), email: Type.Optional(Identifier), password: Password },
        options,
      )
    : Type.Object(
        { email: Type.Optional(Identifier), username: Type.Optional(Identifier), password: Password },
        options,
      );
}
export type Credentials = Static<ReturnType<typeof credentialsSchema>>;

export const RefreshRequest = Type.Object({ refresh: Jwt });
export type RefreshRequest = Static<typeof RefreshRequest>;

export const VerifyRequest = Type.Object({ token: Jwt });
export type VerifyRequest = Static<typeof VerifyRequest>;

export const BlacklistRequest = RefreshRequest;
export type BlacklistRequest = RefreshRequest;

/** `refresh` comes first: tutorial A's client decodes whichever token comes first in the stored body. */
export const TokenPairResponse = Type.Object({ refresh: Type.String(), access: Type.String() });
export type TokenPairResponse = Static<typeof TokenPairResponse>;

/** `refresh` is absent when ROTATE_REFRESH_TOKENS is off, as in simplejwt. */
export const RefreshResponse = Type.Object({ access: Type.String(), refresh: Type.Optional(Type.String()) });
export type RefreshResponse = Static<typeof RefreshResponse>;

export const EmptyResponse = Type.Object({});
export type EmptyResponse = Static<typeof EmptyResponse>;

export const RoutesResponse = Type.Array(Type.String());

/**
 * GET /.well-known/jwks.json (RFC 7517): the public keys that verify Gatehouse's tokens. Only the public
 * members are listed, so the serializer could not emit a private one (`d`, `p`, `k`...) even if given it.
 */
export const JwksResponse = Type.Object({
  keys: Type.Array(
    Type.Object({
      kty: Type.String(),
      kid: Type.String(),
      alg: Type.String(),
      use: Type.Literal('sig'),
      crv: Type.Optional(Type.String()),
      x: Type.Optional(Type.String()),
      y: Type.Optional(Type.String()),
      n: Type.Optional(Type.String()),
      e: Type.Optional(Type.String()),
    }),
  ),
});
export type JwksResponse = Static<typeof JwksResponse>;
