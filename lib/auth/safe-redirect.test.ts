import { describe, expect, it } from 'vitest';
import { safeRedirectPath } from './safe-redirect';

describe('safeRedirectPath', () => {
  it.each([
    ['/exports/42?tab=shards#s12', '/exports/42?tab=shards#s12'],
    ['/', '/'],
    ['exports', '/exports'],
  ])('keeps the same-site path %s', (next, expected) => {
    expect(safeRedirectPath(next)).toBe(expected);
  });

  it.each([
    '/\\evil.com',
    '\\\\evil.com',
    '//evil.com',
    '/\\/evil.com',
    '///evil.com',
    'https://evil.com/exports',
    'http:evil.com',
    'javascript:alert(1)',
    ' //evil.com',
    '/\t/evil.com',
  ])('refuses %j, which leaves the site', (next) => {
    expect(safeRedirectPath(next)).toBe('/');
  });

  it('falls back to the home page without a target', () => {
    expect(safeRedirectPath(undefined)).toBe('/');
    expect(safeRedirectPath('')).toBe('/');
  });
});
