import { createHash, randomInt } from 'node:crypto';

/**
 * `baton_pat_` + 32 base62 characters (190 bits, far above the 128 a guess must beat). The fixed prefix is
 * what secret scanners (and people) recognise a leaked token by; base62 keeps it one word when copied.
 */
export const API_TOKEN_PREFIX = 'baton_pat_';
const RANDOM_LENGTH = 32;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const API_TOKEN_PATTERN = /^baton_pat_[0-9A-Za-z]{32}$/;

export function generateApiToken(): { secret: string; prefix: string; hash: string } {
  // randomInt draws uniformly (no modulo bias), from the CSPRNG.
  let random = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) random += BASE62[randomInt(BASE62.length)];
  const secret = API_TOKEN_PREFIX + random;
  return { secret, prefix: secret.slice(0, API_TOKEN_PREFIX.length + 6), hash: hashApiToken(secret) };
}

/** sha-256 is enough for a 190-bit random secret: there is nothing to brute-force, unlike a password. */
export function hashApiToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
