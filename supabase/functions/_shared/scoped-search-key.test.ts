import Typesense from 'typesense';
import { describe, expect, it } from 'vitest';
import { generateScopedSearchKey, SCOPED_KEY_LIFETIME_SECONDS, scopedSearchParams } from './scoped-search-key.ts';

/** The official client's own generator: what the app uses, and what Typesense's docs describe. */
const official = new Typesense.Client({ nodes: [{ host: '127.0.0.1', port: 1, protocol: 'http' }], apiKey: 'x' });

describe('generateScopedSearchKey (Web Crypto, for the worker)', () => {
  it.each([
    ['a plain portal filter', 'portal_id:=4242'],
    ['backticks, quotes, commas and parentheses', 'title:=`He said "hi", (twice)` && (state:[DRAFT, PUBLISHED])'],
    ['non-Latin text and emoji', 'title:=`ブログ記事 Статья 🚀`'],
    ['no filter (the whole collection)', null],
  ])('makes the same key as the typesense client for %s', async (_, filter) => {
    const params = scopedSearchParams(filter, Date.UTC(2026, 11, 10));
    for (const parent of ['baton-dev-typesense-search-key', 'Xy9kP2mQ7rT4vW8zA1bC3dE5fG6hJ0nL']) {
      expect(await generateScopedSearchKey(parent, params)).toBe(
        official.keys().generateScopedSearchKey(parent, params),
      );
    }
  });
});

describe('scopedSearchParams', () => {
  it('embeds the trimmed mandatory filter and an expiry an hour ahead', () => {
    const now = Date.UTC(2026, 11, 10, 12, 0, 0, 500);
    const expiresAt = Math.floor(now / 1000) + SCOPED_KEY_LIFETIME_SECONDS;
    expect(scopedSearchParams('  portal_id:=1 ', now)).toEqual({ filter_by: 'portal_id:=1', expires_at: expiresAt });
    expect(scopedSearchParams('   ', now)).toEqual({ expires_at: expiresAt });
  });
});
