import {
  SignJWT,
  decodeProtectedHeader,
  errors as joseErrors,
  importJWK,
  jwtVerify,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import { newSigningKey, type DevstackKeys, type SigningKey } from './keys';

/** Which keys the devstack project uses (`DEVSTACK_API_KEYS`); see `config.ts`. */
export type ApiKeyMode = 'new' | 'legacy';

/** Claims Supabase Auth puts in an access token (and the claims the gateway mints for an API key). */
export type SupabaseClaims = JWTPayload & {
  role: string;
  sub?: string;
  email?: string;
  session_id?: string;
  aud?: string | string[];
};

export type VerifyResult =
  { ok: true; claims: SupabaseClaims } | { ok: false; reason: 'expired' | 'invalid'; message: string };

/** What `GET /auth/v1/.well-known/jwks.json` lists for a key (docs/protocols-2026.md §2.1). */
export type PublicJwk = JWK & { kid: string; alg: 'ES256'; use: 'sig'; key_ops: ['verify'] };

export class SigningKeyError extends Error {}

/**
 * The project's JWT signing and verification, as Supabase Auth and every service that checks a token
 * do it (docs/protocols-2026.md §2):
 * - `new` (a 2026 project): access tokens are ES256 with a `kid`; every published key (standby, in use,
 *   previously used) verifies, a revoked one does not. The legacy HS256 secret is revoked, so HS256
 *   tokens (and the legacy anon / service-role keys) are refused.
 * - `legacy` (a project still on its JWT secret): tokens are HS256 without a `kid`, signed and checked
 *   with the legacy secret; nothing asymmetric is published.
 */
export class JwtService {
  private readonly hsKey: Uint8Array;
  private readonly imported = new Map<string, Promise<CryptoKey>>();

  constructor(
    private readonly keys: DevstackKeys,
    readonly mode: ApiKeyMode,
    /** Writes the keys back after a rotation, so the data dir keeps them. */
    private readonly persist: (keys: DevstackKeys) => Promise<void> = async () => {},
  ) {
    this.hsKey = new TextEncoder().encode(keys.jwtSecret);
  }

  async sign(claims: Record<string, unknown>, expiresInSeconds: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT(claims).setIssuedAt(now).setExpirationTime(now + expiresInSeconds);
    if (this.mode === 'legacy') return jwt.setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(this.hsKey);
    const current = this.currentKey();
    return jwt
      .setProtectedHeader({ alg: 'ES256', kid: current.kid, typ: 'JWT' })
      .sign(await this.cryptoKey(current, 'private'));
  }

  async verify(token: string): Promise<VerifyResult> {
    try {
      let header: ReturnType<typeof decodeProtectedHeader>;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        return { ok: false, reason: 'invalid', message: 'token is malformed' };
      }
      let key: CryptoKey | Uint8Array;
      if (header.kid !== undefined) {
        const found = this.keys.signingKeys.find((k) => k.kid === header.kid && k.status !== 'revoked');
        if (this.mode === 'legacy' || !found)
          return { ok: false, reason: 'invalid', message: `invalid kid: ${header.kid}` };
        key = await this.cryptoKey(found, 'public');
      } else if (this.mode === 'legacy') {
        key = this.hsKey;
      } else {
        return { ok: false, reason: 'invalid', message: 'signature is invalid: the legacy JWT secret is revoked' };
      }
      const { payload } = await jwtVerify(token, key, {
        algorithms: [this.mode === 'legacy' || header.kid === undefined ? 'HS256' : 'ES256'],
      });
      // PostgREST runs a valid token without a role claim as the anonymous role.
      const role = typeof payload.role === 'string' && payload.role.length > 0 ? payload.role : 'anon';
      return { ok: true, claims: { ...payload, role } as SupabaseClaims };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: 'expired', message: 'JWT expired' };
      const detail = error instanceof Error ? error.message : String(error);
      return { ok: false, reason: 'invalid', message: detail };
    }
  }

  /** The public keys that verify tokens: standby, in use and previously used (never symmetric ones). */
  jwks(): { keys: PublicJwk[] } {
    if (this.mode === 'legacy') return { keys: [] };
    return {
      keys: this.keys.signingKeys
        .filter((k) => k.status !== 'revoked')
        .map((k) => {
          const { d: _private, ...pub } = k.privateJwk;
          return { ...pub, kid: k.kid, alg: 'ES256', use: 'sig', key_ops: ['verify'] };
        }),
    };
  }

  signingKeys(): Array<Pick<SigningKey, 'kid' | 'algorithm' | 'status' | 'createdAt'>> {
    return this.keys.signingKeys.map(({ kid, algorithm, status, createdAt }) => ({
      kid,
      algorithm,
      status,
      createdAt,
    }));
  }

  /** Creates a standby key: published at once, so verifiers know it before it signs anything. */
  async createStandbyKey(): Promise<SigningKey> {
    const key = await newSigningKey('standby');
    this.keys.signingKeys.push(key);
    await this.persist(this.keys);
    return key;
  }

  /** The newest standby key starts signing; the key in use becomes previously used and still verifies. */
  async rotate(): Promise<SigningKey> {
    const standby = this.keys.signingKeys.findLast((k) => k.status === 'standby');
    if (!standby) throw new SigningKeyError('No standby key to rotate to: create one first');
    this.currentKey().status = 'previously_used';
    standby.status = 'in_use';
    await this.persist(this.keys);
    return standby;
  }

  /** Revokes a previously used or standby key: tokens it signed stop verifying. The key in use cannot be. */
  async revoke(kid: string): Promise<SigningKey> {
    const key = this.keys.signingKeys.find((k) => k.kid === kid);
    if (!key) throw new SigningKeyError(`No signing key ${kid}`);
    if (key.status === 'in_use') throw new SigningKeyError('The key in use cannot be revoked: rotate first');
    key.status = 'revoked';
    this.imported.delete(`public:${kid}`);
    await this.persist(this.keys);
    return key;
  }

  private currentKey(): SigningKey {
    const current = this.keys.signingKeys.find((k) => k.status === 'in_use');
    if (!current) throw new SigningKeyError('No signing key is in use');
    return current;
  }

  private cryptoKey(key: SigningKey, part: 'public' | 'private'): Promise<CryptoKey> {
    const cacheKey = `${part}:${key.kid}`;
    let pending = this.imported.get(cacheKey);
    if (!pending) {
      const { d, ...pub } = key.privateJwk;
      pending = importJWK(part === 'private' ? { ...pub, d } : pub, 'ES256') as Promise<CryptoKey>;
      this.imported.set(cacheKey, pending);
    }
    return pending;
  }
}
