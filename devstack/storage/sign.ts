import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { storageErrors } from './errors';

/**
 * Signed download URLs as Storage issues them (`storage/object.ts signObjectUrl`): an HS256 JWT
 * `{url: "<bucket>/<key>", iat, exp}` signed with the project's JWT secret. Not `ctx.jwt`, because that
 * service insists on a `role` claim, which these tokens do not carry.
 */
export class UrlSigner {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  async sign(bucket: string, key: string, expiresInSeconds: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ url: `${bucket}/${key}` })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(now)
      .setExpirationTime(now + expiresInSeconds)
      .sign(this.key);
    // Unencoded, as the real server answers; storage-js runs encodeURI over base + signedURL.
    return `/object/sign/${bucket}/${key}?token=${token}`;
  }

  /** Throws Storage's InvalidJWT (bad or expired token) or InvalidSignature (token for another object). */
  async verify(token: string, bucket: string, key: string): Promise<void> {
    let url: unknown;
    try {
      ({
        payload: { url },
      } = await jwtVerify(token, this.key, { algorithms: ['HS256'] }));
    } catch (error) {
      throw storageErrors.invalidJwt(error instanceof joseErrors.JWTExpired ? 'jwt expired' : 'invalid signature');
    }
    if (url !== `${bucket}/${key}`) throw storageErrors.invalidSignature();
  }
}
