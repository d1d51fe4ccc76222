import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { API_TOKEN_PATTERN, generateApiToken, hashApiToken } from './api-token-secret';

describe('API token secrets', () => {
  it('are baton_pat_ and 32 base62 characters (190 bits), shown with a 6-character prefix, stored as sha-256', () => {
    const { secret, prefix, hash } = generateApiToken();
    expect(secret).toMatch(API_TOKEN_PATTERN);
    expect(secret).toMatch(/^baton_pat_[0-9A-Za-z]{32}$/);
    expect(prefix).toBe(secret.slice(0, 16));
    expect(hash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(hashApiToken(secret)).toBe(hash);
  });

  it('use the whole alphabet and never repeat', () => {
    const secrets = Array.from({ length: 500 }, () => generateApiToken().secret);
    expect(new Set(secrets).size).toBe(secrets.length);
    const characters = new Set(secrets.flatMap((s) => [...s.slice('baton_pat_'.length)]));
    expect(characters.size).toBe(62);
  });
});
