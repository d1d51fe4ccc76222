import { describe, expect, it } from 'vitest';
import { offSiteTargets, sameSiteTargets } from '../../tests/fixtures/open-redirect-corpus';
import { safeRedirectPath } from './safe-redirect';

const ORIGIN = 'https://app.example';
/** Where a browser goes with our answer as its `Location`. */
const browserOrigin = (location: string) => new URL(location, ORIGIN).origin;

describe('safeRedirectPath', () => {
  it.each(sameSiteTargets)('keeps the same-site path %j as %s', (next, path) => {
    expect(safeRedirectPath(next)).toBe(path);
  });

  it(`keeps a browser on our origin for each of the ${offSiteTargets.length} off-site encodings`, () => {
    const leaks = offSiteTargets
      .map((next) => [next, safeRedirectPath(next)] as const)
      .filter(([, path]) => !path.startsWith('/') || browserOrigin(path) !== ORIGIN);
    expect(leaks).toEqual([]);
  });

  it.each(['/.//evil.com', '/..//evil.com', '/a/..//evil.com', '/%2e//evil.com', '/./\\evil.com'])(
    'refuses %j, whose dot segments resolve to a scheme-relative //evil.com',
    (next) => {
      expect(safeRedirectPath(next)).toBe('/');
    },
  );

  it('gives a path that reads the same when checked again', () => {
    for (const next of [...offSiteTargets, ...sameSiteTargets.map(([n]) => n)]) {
      const path = safeRedirectPath(next);
      expect(safeRedirectPath(path), JSON.stringify(next)).toBe(path);
    }
  });

  it('falls back to the home page without a target', () => {
    expect(safeRedirectPath(undefined)).toBe('/');
    expect(safeRedirectPath('')).toBe('/');
  });
});
