import { SignJWT, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';

/** Claims Supabase Auth puts in an access token (and the anon / service-role API keys). */
export type SupabaseClaims = JWTPayload & {
  role: string;
  sub?: string;
  email?: string;
  session_id?: string;
  aud?: string | string[];
};

export type VerifyResult =
  { ok: true; claims: SupabaseClaims } | { ok: false; reason: 'expired' | 'invalid'; message: string };

/** HS256 signing and verification with the project's JWT secret, as hosted Supabase does. */
export class JwtService {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  async sign(claims: Record<string, unknown>, expiresInSeconds: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(now)
      .setExpirationTime(now + expiresInSeconds)
      .sign(this.key);
  }

  async verify(token: string): Promise<VerifyResult> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'] });
      // PostgREST runs a valid token without a role claim as the anonymous role.
      const role = typeof payload.role === 'string' && payload.role.length > 0 ? payload.role : 'anon';
      return { ok: true, claims: { ...payload, role } as SupabaseClaims };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        return { ok: false, reason: 'expired', message: 'JWT expired' };
      }
      const detail = error instanceof Error ? error.message : String(error);
      return { ok: false, reason: 'invalid', message: detail };
    }
  }
}
