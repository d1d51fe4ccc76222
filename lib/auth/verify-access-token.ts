import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { JwksUnavailableError, type JwksCache } from './jwks-cache';

/**
 * The asymmetric algorithms Supabase Auth signs access tokens with (ES256 recommended, RS256;
 * docs/protocols-2026.md §2.2), the two auth-js's getClaims() verifies. Anything else in a token's
 * header (`none`, `None`, ES384, …) is refused before a key is looked up.
 */
const ASYMMETRIC_ALGORITHMS = ['ES256', 'RS256'];
/** The legacy JWT secret's algorithm: only Auth holds the secret, so only Auth can say (GET /auth/v1/user). */
const SYMMETRIC_ALGORITHM = 'HS256';

export type AccessTokenCheck =
  | { status: 'valid'; userId: string; email: string | null }
  /** The token is not a session of this project's; `message` tells the person what to do. */
  | { status: 'invalid'; message: string }
  /** Auth could not be asked (JWKS or GET /user unreachable): nothing is known about the token. */
  | { status: 'unavailable'; message: string };

export type AccessTokenVerifier = {
  jwks: JwksCache;
  /** Auth's verdict on a token signed with the legacy secret (GET /auth/v1/user). */
  askAuth: (token: string) => Promise<'valid' | 'invalid' | 'unavailable'>;
};

const SIGN_IN_AGAIN = 'Sign in again.';
const invalid = (why: string): AccessTokenCheck => ({ status: 'invalid', message: `${why} ${SIGN_IN_AGAIN}` });
const unavailable: AccessTokenCheck = {
  status: 'unavailable',
  message: 'Your sign-in could not be checked because Supabase Auth did not answer. Try again in a moment.',
};

/**
 * Checks a user's access token as hosted Supabase's services do: signed by a key the project publishes
 * (looked up by `kid`, refreshed when unknown), with an algorithm Auth uses, not expired, and a signed-in
 * user's (`sub`, role `authenticated`). Every way a token can be wrong is an `invalid` result, never a
 * throw, so callers answer 401 or send the person to sign in.
 */
export async function verifyAccessToken(token: string, verifier: AccessTokenVerifier): Promise<AccessTokenCheck> {
  let alg: unknown;
  let kid: unknown;
  try {
    ({ alg, kid } = decodeProtectedHeader(token));
  } catch {
    return invalid('Your session token is malformed.');
  }

  let claims: JWTPayload;
  if (alg === SYMMETRIC_ALGORITHM) {
    const verdict = await verifier.askAuth(token);
    if (verdict === 'unavailable') return unavailable;
    if (verdict === 'invalid') return invalid('Your session is not valid or has expired.');
    claims = decodeJwt(token); // Auth vouched for it
  } else {
    if (typeof alg !== 'string' || !ASYMMETRIC_ALGORITHMS.includes(alg)) {
      return invalid('Your session token is signed with an algorithm this project does not use.');
    }
    if (typeof kid !== 'string') return invalid('Your session token does not name its signing key.');
    let keys;
    try {
      keys = await verifier.jwks.keysFor(kid);
    } catch (error) {
      if (error instanceof JwksUnavailableError) return unavailable;
      throw error;
    }
    if (!keys.kids.has(kid)) return invalid('Your session was signed by a key this project no longer trusts.');
    try {
      ({ payload: claims } = await jwtVerify(token, keys.getKey, { algorithms: ASYMMETRIC_ALGORITHMS }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return invalid('Your session has expired.');
      // A signature that does not verify, a key of another type than `alg` needs, bad claims: all jose errors.
      if (error instanceof joseErrors.JOSEError) return invalid('Your session token does not verify.');
      throw error;
    }
  }

  if (typeof claims.sub !== 'string' || claims.role !== 'authenticated') {
    return invalid('This token is not a signed-in user’s session.');
  }
  return { status: 'valid', userId: claims.sub, email: typeof claims.email === 'string' ? claims.email : null };
}
