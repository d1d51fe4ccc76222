import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 random bits (twice the 128 the rule asks), base64url: 43 characters, safe in a URL path. */
const TOKEN_BYTES = 32;

/** The sha-256 the database keeps instead of the token, lower-case hex. */
export function hashShareLinkToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A fresh token and its hash: the token is shown once, the hash is stored. */
export function createShareLinkToken(): { token: string; sha256: string } {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, sha256: hashShareLinkToken(token) };
}

/**
 * Whether a stored hash is the presented token's, in constant time. The lookup already found the row by
 * the hash; comparing again without short-circuiting means no code path's time depends on how many
 * leading characters of a guess were right, whatever the index did.
 */
export function sameTokenHash(stored: string, presented: string): boolean {
  const a = Buffer.from(stored, 'hex');
  const b = Buffer.from(presented, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
