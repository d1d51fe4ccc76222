import { describe, expect, it } from 'vitest';
import { createShareLinkToken, hashShareLinkToken, sameTokenHash } from './share-link-token';

describe('share link tokens', () => {
  it('are 256 random bits in base64url, stored only as their sha-256', () => {
    const { token, sha256 } = createShareLinkToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sha256).toBe(hashShareLinkToken(token));
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(createShareLinkToken().token).not.toBe(token);
  });

  it('compare hashes whole', () => {
    const { sha256 } = createShareLinkToken();
    expect(sameTokenHash(sha256, sha256)).toBe(true);
    expect(sameTokenHash(sha256, `${sha256.slice(0, 63)}${sha256.endsWith('0') ? '1' : '0'}`)).toBe(false);
    expect(sameTokenHash(sha256, '')).toBe(false);
  });
});
